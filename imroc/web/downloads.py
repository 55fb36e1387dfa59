"""Every file the product hands over: one response shape, whatever the format.

A download is never cached (it holds what the person may see today), is never sniffed into
another type, and carries a file name of our own making (ASCII, no quotes), never input.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from fastapi.responses import Response

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
