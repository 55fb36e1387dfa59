"""Writing an export's tables as files: one CSV per table, a zip of them, or one XLSX.

A CSV holds one table, so `csv` takes a table name and `zip` bundles all the CSVs (what a
person downloading "everything as CSV" expects). CSV cells are UTF-8 with a byte-order mark
(so Excel reads accents), dates ISO 8601 (2024-03-31), times UTC. XLSX has one sheet per
table with real numbers and dates. Text that a spreadsheet would run as a formula starts
with an apostrophe in both.
"""

import csv
import io
import zipfile
from decimal import Decimal

from imroc.errors import Invalid
from imroc.services.data_io import xlsx_write
from imroc.services.data_io.exports import Export
from imroc.services.data_io.layout import BOOL, TABLE_LABELS, TABLES, defuse, headers, text_cell

FORMATS = {"xlsx": "XLSX workbook (one sheet per table)",
           "zip": "Zip of CSV files (one per table)",
           "csv": "One table as CSV"}
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "zip": "application/zip", "csv": "text/csv; charset=utf-8"}
WIDTH = {"int": 12, "days": 10, "number": 12, "date": 14, "datetime": 20, "bool": 12,
         "text": 24}


def check_choice(fmt: str, table: str | None) -> None:
    """Refuse an unknown format or table in plain words (422 naming the field)."""
    if fmt not in FORMATS:
        raise Invalid({"format": "Choose xlsx, zip or csv"})
    if fmt == "csv" and table not in TABLES:
        raise Invalid({"table": "Choose the table to download as CSV: " + ", ".join(TABLES)})


def render_file(export: Export, fmt: str, table: str | None = None) -> tuple[bytes, str, str]:
    """The file's bytes, media type and a safe file name."""
    check_choice(fmt, table)
    if fmt == "csv":
        return to_csv(export.tables, table).encode("utf-8-sig"), MEDIA["csv"], \
            f"{export.name}-{table}.csv"
    if fmt == "zip":
        return to_zip(export), MEDIA["zip"], f"{export.name}.zip"
    return to_xlsx(export.tables), MEDIA["xlsx"], f"{export.name}.xlsx"


def to_csv(tables: dict[str, list[dict]], table: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(table))
    keys = [c.key for c in TABLES[table]]
    for row in tables[table]:
        writer.writerow([text_cell(row.get(k)) for k in keys])
    return buffer.getvalue()


def to_zip(export: Export) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in TABLES:
            zf.writestr(f"{table}.csv", to_csv(export.tables, table).encode("utf-8-sig"))
    return buffer.getvalue()


def to_xlsx(tables: dict[str, list[dict]]) -> bytes:
    sheets = []
    for table, columns in TABLES.items():
        widths = [max(WIDTH[c.kind], len(c.header) + 2) for c in columns]
        rows = [[_cell(c.kind, row.get(c.key)) for c in columns] for row in tables[table]]
        sheets.append((TABLE_LABELS[table], xlsx_write.sheet_xml(headers(table), rows, widths)))
    return xlsx_write.workbook(sheets)


def _cell(kind: str, value: object) -> object:
    if value is None or value == "":
        return None
    if kind == BOOL:
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return float(value)  # halves are exact
    if isinstance(value, str):
        # Defused: the apostrophe guards anyone who re-saves the sheet as CSV (the workbook
        # itself stores every text cell as text, never as a formula).
        return defuse(value)
    return value
