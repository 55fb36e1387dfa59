"""Every file the product hands over: one response shape, whatever the format.

A download is never cached (it holds what the person may see today), is never sniffed into
another type, and carries a file name of our own making (ASCII, no quotes), never input.
Evidence is the one exception: its own name travels percent-encoded (RFC 5987) beside such
an ASCII stand-in.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi.responses import FileResponse, Response

from imroc.services.dashboards.charts import Chart
from imroc.services.data_io import export_files
from imroc.services.data_io.exports import Export
from imroc.services.data_io.layout import defuse

Format = Literal["xlsx", "zip", "csv"]
Table = Literal["sites", "cycles", "ratings", "consensus", "priorities", "actions", "consultancy",
                "shared_changes"]
MEDIA = {**export_files.MEDIA, "pdf": "application/pdf", "json": "application/json"}


def safe_name(name: str) -> str:
    """A file name of letters, digits, dots, hyphens and underscores only."""
    return re.sub(r"[^A-Za-z0-9._-]", "", name) or "download"


def download(data: bytes, filename: str, media: str | None = None) -> Response:
    """A file download; the media type follows the file's ending unless given."""
    name = safe_name(filename)
    kind = media or MEDIA[name.rsplit(".", 1)[-1]]
    return Response(data, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


# A stored file is never a page: nothing in it may run, load or be framed, even if a
# browser were to open it in place.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def evidence_download(path: Path, *, name: str, media: str) -> FileResponse:
    """A stored file as an attachment of the type read from its content, under the name it
    was given: an ASCII stand-in for old browsers and the name itself in RFC 5987 form."""
    ending = name.rsplit(".", 1)[-1] if "." in name else ""
    plain = safe_name(name.encode("ascii", "ignore").decode())
    if plain.startswith(".") or plain == "download":
        plain = "evidence" + (f".{safe_name(ending)}" if ending else "")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
    return FileResponse(path, media_type=media, headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": FILE_CSP})


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A table as CSV, cells a spreadsheet would run as formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([defuse(c) for c in columns])
    writer.writerows([defuse(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def chart_csv(chart: Chart, filename: str) -> Response:
    """A chart's numbers as CSV, the same as its accessible table."""
    return download(table_csv(chart.table.columns, chart.table.rows), f"{filename}.csv")


def export_download(export: Export, fmt: str, table: str | None) -> Response:
    """An export of the eight tables as XLSX, a zip of CSVs or one CSV table."""
    data, media, name = export_files.render_file(export, fmt, table)
    return download(data, name, media)
