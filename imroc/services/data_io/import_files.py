"""Reading an uploaded file into tables or a JSON document, trusting nothing about it.

The kind of file is decided by its contents, never its name: a zip signature means an XLSX
workbook (or a zip of CSVs), a leading brace a JSON exchange document, anything else must
decode as UTF-8 CSV. Damaged, empty, oversize or unreadable files are refused with a
sentence a person can act on (Invalid, naming the field "file").
"""

import csv
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Any

from imroc.errors import Invalid
from imroc.services.data_io.layout import TABLE_LABELS, TABLES

ZIP_MAGIC = b"PK\x03\x04"
# Uncompressed contents allowed inside a zip or XLSX (a guard against zip bombs).
# What a file may unpack to. Rows are kept until the whole file has been checked (nothing
# is written before), at about 6.5 MB of memory for each MB of CSV (`python -m
# bench.zip_memory`: a 120 MB entry took the process to 779 MB). The largest programme we
# know of (500 sites, 6 cycles each, 296,000 rows) exports as a zip of CSVs that unpacks to
# 18 MB (`python -m bench.data_io`). 32 MB leaves room for nearly twice that, and keeps a
# server (about 180 MB before) under 400 MB while it checks any file; a file that unpacks
# to more is refused before it is read.
MAX_UNPACKED = 32 * 1024 * 1024
MAX_ROWS = 2_000_000


@dataclass
class Sheet:
    """One table read from a file: its column keys in order and its rows by row number."""

    table: str
    columns: list[str | None]            # column key per position (None: not recognised)
    unknown: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def refuse(message: str) -> Invalid:
    return Invalid({"file": message})


class NumberTooLong(ValueError):
    """A JSON number with more digits than any id, count or level can have."""


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > 20:
        raise NumberTooLong(text[:20])
    return int(text)


def read(data: bytes, *, max_bytes: int) -> tuple[str, Any]:
    """('exchange', document) or ('tables', {table: Sheet})."""
    if not data:
        raise refuse("The file is empty")
    if len(data) > max_bytes:
        raise refuse(f"The file is larger than {max_bytes // (1024 * 1024)} MB")
    if data.startswith(ZIP_MAGIC):
        return "tables", _read_zip(data)
    text = decode_text(data)
    if text.lstrip().startswith("{"):
        try:
            return "exchange", json.loads(text, parse_int=_whole_number)
        except NumberTooLong:
            raise refuse("The JSON has a number too long to be real (more than 20 digits)") \
                from None
        except json.JSONDecodeError as exc:
            raise refuse(f"The JSON is not valid at line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None
        except RecursionError:
            raise refuse("The JSON is nested too deeply to be an exchange document") from None
    sheet = _read_csv(text, None)
    return "tables", {sheet.table: sheet}


def decode_text(data: bytes) -> str:
    """An uploaded file as UTF-8 text (a byte-order mark is dropped); refused, naming the
    line, when it holds binary data or bytes that are not UTF-8."""
    if b"\x00" in data[:4096]:
        raise refuse("This is not a text file: it holds binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise refuse(f"The file is not UTF-8 text: unreadable bytes on line {line}. "
                     "Save it as 'CSV UTF-8' and try again") from None


def _read_zip(data: bytes) -> dict[str, Sheet]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
        if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED:
            raise refuse(f"The file unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MB, "
                         "which is too large to import")
        if "xl/workbook.xml" in names:
            return _read_xlsx(data)
        csvs = {n.rsplit("/", 1)[-1].lower(): n for n in names if n.lower().endswith(".csv")}
        if not csvs:
            raise refuse("The zip holds no CSV files and is not an XLSX workbook")
        sheets = {}
        for short, name in sorted(csvs.items()):
            table = short[:-4]
            sheet = _read_member(zf, name, table if table in TABLES else None)
            sheets[sheet.table] = sheet
        return sheets
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, KeyError, OSError,
            zlib.error) as exc:
        raise refuse("The file looks like an XLSX workbook or zip but it is damaged or "
                     f"incomplete ({type(exc).__name__})") from None


def _read_member(zf: zipfile.ZipFile, name: str, table: str | None) -> Sheet:
    """One CSV of a zip, decoded and parsed as a stream: never the whole member in memory."""
    with zf.open(name) as raw:
        if b"\x00" in raw.read(4096):
            raise refuse("This is not a text file: it holds binary data")
    with zf.open(name) as raw:
        return _read_csv(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), table)


def _match(table_name: str) -> str | None:
    name = table_name.strip().lower()
    for table, label in TABLE_LABELS.items():
        if name in (table, label.lower()):
            return table
    return None


def _sheet(table: str, header: list[Any]) -> Sheet:
    by_header = {c.header.lower(): c.key for c in TABLES[table]}
    by_header.update({c.key: c.key for c in TABLES[table]})
    columns: list[str | None] = []
    unknown = []
    for h in header:
        text = str(h).strip() if h is not None else ""
        key = by_header.get(text.lower())
        columns.append(key)
        if key is None and text:
            unknown.append(text)
    return Sheet(table=table, columns=columns, unknown=unknown)


def _guess_table(header: list[str]) -> str:
    """The table whose columns a lone CSV's header row matches best."""
    said = {h.strip().lower() for h in header if h}
    best, score = None, 0
    for table, columns in TABLES.items():
        wanted = {c.header.lower() for c in columns}
        required = {c.header.lower() for c in columns if c.required}
        hits = len(said & wanted)
        if required <= said and hits - len(said - wanted) > score:
            best, score = table, hits - len(said - wanted)
    if best is None:
        raise refuse("The columns do not match any table of the import layout. The first row "
                     "must hold column names such as: " + ", ".join(
                         c.header for c in TABLES["consensus"] if not c.info))
    return best


def _read_csv(source: str | IO[str], table: str | None) -> Sheet:
    """A CSV table, from text in memory or a text stream, row by row."""
    stream = io.StringIO(source, newline="") if isinstance(source, str) else source
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise refuse("The CSV file has no header row")
        sheet = _sheet(table or _guess_table(header), header)
        for number, values in enumerate(reader, start=2):
            if number > MAX_ROWS:
                raise refuse(f"The file has more than {MAX_ROWS:,} rows")
            if not any(v.strip() for v in values):
                continue
            sheet.rows.append((number, _row(sheet, values)))
        return sheet
    except csv.Error as exc:
        raise refuse(f"The CSV file could not be read: {exc}") from None
    except UnicodeDecodeError:
        raise refuse("The file is not UTF-8 text: unreadable bytes on or after line "
                     f"{reader.line_num + 1}. Save it as 'CSV UTF-8' and try again") from None


def _row(sheet: Sheet, values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in zip(sheet.columns, values, strict=False):
        if key is not None:
            row[key] = value
    return row


def _read_xlsx(data: bytes) -> dict[str, Sheet]:
    from xml.etree.ElementTree import ParseError

    from imroc.services.data_io.xlsx_rows import Workbook

    sheets: dict[str, Sheet] = {}
    try:
        book = Workbook(data)
        for title in book.sheets:
            table = _match(title)
            if table is None:
                continue
            rows = book.rows(title)
            first = next(rows, None)
            if not first or not any(v is not None for v in first[1]):
                continue
            sheet = _sheet(table, first[1])
            for number, values in rows:
                if number > MAX_ROWS:
                    raise refuse(f"The sheet {title} has more than {MAX_ROWS:,} rows")
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                sheet.rows.append((number, _row(sheet, values)))
            sheets[table] = sheet
    except Invalid:
        raise
    except (ParseError, KeyError, ValueError, IndexError, zipfile.BadZipFile, EOFError,
            OSError, zlib.error) as exc:
        raise refuse("The XLSX workbook could not be read: it is damaged or incomplete "
                     f"({type(exc).__name__})") from None
    if not sheets:
        raise refuse("The workbook has none of the sheets the import reads: "
                     + ", ".join(TABLE_LABELS.values()))
    return sheets
