"""HTML to PDF with WeasyPrint, which never touches the network.

The report's HTML refers to our own static files (the print stylesheet). WeasyPrint asks a
URL fetcher for each; ours serves files under static/ straight from disk and refuses every
other address (http, https, file, data...), so a hostile URL placed in the text can make no
request and read no file. WeasyPrint is imported only when a PDF is made: it needs the Pango
libraries (`make pdf-libs`), and the rest of the service runs without them.
"""

import logging
import mimetypes
import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from imroc.errors import DomainError
from imroc.templating import STATIC_DIR

# Relative URLs in the report resolve against this address; nothing is ever fetched from it.
BASE_URL = "https://imroc.invalid/"
_PREFIX = "/static/"
# A PDF costs CPU and memory: a few at a time, the others wait their turn.
_RENDERS = threading.BoundedSemaphore(max(1, min(4, os.cpu_count() or 1)))
log = logging.getLogger(__name__)


class PdfUnavailable(DomainError):
    """The PDF engine cannot run on this machine."""

    status_code = 503


class RefusedURL(ValueError):
    """The report asked for something other than one of our static files."""


def static_file(url: str, root: Path = STATIC_DIR) -> Path:
    """The file under static/ that a report URL names; RefusedURL for anything else."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith(_PREFIX):
        raise RefusedURL(f"Reports may only use the service's own static files, not {url!r}")
    base = root.resolve()
    path = (base / unquote(parts.path[len(_PREFIX):])).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise RefusedURL(f"No such static file: {url!r}")
    return path


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves our static files from disk; refuses every other URL (and records it)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), fail_on_errors=False)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url, headers=None):
            try:
                path = static_file(url)
            except RefusedURL:
                self.refused.append(url)
                log.warning("PDF report: refused to fetch %s", url[:200])
                raise
            self.served.append(url)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return StaticOnlyFetcher


def make_fetcher():
    """A URL fetcher that serves only files under static/."""
    try:
        return _fetcher_class()()
    except OSError as exc:  # Pango or its friends are missing
        raise PdfUnavailable("PDFs cannot be made on this server: the Pango text libraries "
                             "are missing (run 'make pdf-libs').") from exc


def html_to_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of a complete HTML document whose relative URLs name our static files."""
    fetcher = fetcher or make_fetcher()
    from weasyprint import HTML

    with _RENDERS:
        return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher,
                    media_type="print").write_pdf()
