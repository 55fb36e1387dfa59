"""What kind of file a piece of evidence is, read from its content, never from its name.

Only kinds that a browser will not run are taken: PDF, PNG, JPEG, GIF and WebP images,
Word, Excel and PowerPoint files (Office Open XML, without macros), OpenDocument files, and
CSV or plain text. Web pages and SVG images are refused whatever they are called. The name's
ending must agree with the content, so that a file opens in the program its name promises.
"""

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from imroc.errors import Invalid


@dataclass(frozen=True)
class FileType:
    code: str
    media: str  # the content type the file is served with
    label: str  # as a table shows it: "PDF", "Word document"
    article: str  # in a sentence: "a PDF", "an Excel spreadsheet"
    endings: tuple[str, ...]


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
TYPES = {t.code: t for t in (
    FileType("pdf", "application/pdf", "PDF", "a PDF", (".pdf",)),
    FileType("png", "image/png", "PNG image", "a PNG image", (".png",)),
    FileType("jpeg", "image/jpeg", "JPEG image", "a JPEG image", (".jpg", ".jpeg")),
    FileType("gif", "image/gif", "GIF image", "a GIF image", (".gif",)),
    FileType("webp", "image/webp", "WebP image", "a WebP image", (".webp",)),
    FileType("docx", _OOXML + "wordprocessingml.document", "Word document",
             "a Word document", (".docx",)),
    FileType("xlsx", _OOXML + "spreadsheetml.sheet", "Excel spreadsheet",
             "an Excel spreadsheet", (".xlsx",)),
    FileType("pptx", _OOXML + "presentationml.presentation", "PowerPoint presentation",
             "a PowerPoint presentation", (".pptx",)),
    FileType("odt", _ODF + "text", "OpenDocument text", "an OpenDocument text", (".odt",)),
    FileType("ods", _ODF + "spreadsheet", "OpenDocument spreadsheet",
             "an OpenDocument spreadsheet", (".ods",)),
    FileType("odp", _ODF + "presentation", "OpenDocument presentation",
             "an OpenDocument presentation", (".odp",)),
    FileType("csv", "text/csv", "CSV file", "a CSV file", (".csv",)),
    FileType("txt", "text/plain", "Text file", "a text file", (".txt",)),
)}
BY_ENDING = {ending: t for t in TYPES.values() for ending in t.endings}
BY_MEDIA = {t.media: t for t in TYPES.values()}
ACCEPT = ",".join(ending for t in TYPES.values() for ending in t.endings)
KINDS_IN_WORDS = ("a PDF, an image (PNG, JPEG, GIF or WebP), a Word, Excel or PowerPoint "
                  "file, an OpenDocument file, or a CSV or text file")
MARKUP_ENDINGS = {".htm", ".html", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".mht",
                  ".mhtml"}
MACRO_ENDINGS = {".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm"}
OLD_OFFICE_ENDINGS = {".doc", ".xls", ".ppt", ".rtf"}

# Content markers. A zip is Office Open XML or OpenDocument only with the right inner parts.
_ZIP = b"PK\x03\x04"
_OOXML_MAIN = {
    b"wordprocessingml.document.main+xml": "docx",
    b"spreadsheetml.sheet.main+xml": "xlsx",
    b"presentationml.presentation.main+xml": "pptx",
}
_MACROS = re.compile(rb"macroEnabled", re.I)
_PART_LIMIT = 1024 * 1024  # [Content_Types].xml and mimetype are small: never read a big one
_MARKUP = re.compile(rb"^\s*<(?:!doctype|html|head|body|svg|\?xml|script|!--|iframe|meta)",
                     re.I)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MACRO, _MARKUP_FOUND = "macro", "markup"


def ending_of(name: str) -> str:
    """The name's ending in lower case, with its dot ("" when it has none)."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def check(path: Path, name: str) -> FileType:
    """The kind of the stored content, agreeing with the name's ending; else Invalid on
    `file`, saying what is wrong in words the person can act on."""
    ending = ending_of(name)
    claimed = BY_ENDING.get(ending)
    if claimed is None:
        raise Invalid({"file": _ending_refused(name, ending)})
    found = detect(path)
    if found == _MARKUP_FOUND:
        raise Invalid({"file": f"The file is called {name} but it holds a web page or an SVG "
                               "image, which cannot be added. Save it as a PDF instead."})
    if found == _MACRO:
        raise Invalid({"file": f"{name} contains macros, which cannot be added. Save it as an "
                               "ordinary document without macros, or as a PDF."})
    # Any text is a CSV or a text file: the name says which it is meant to be.
    if found is not None and found.code in ("csv", "txt") and claimed.code in ("csv", "txt"):
        return claimed
    if found is None or found.code != claimed.code:
        _mismatch(name, claimed)
    return claimed


def _mismatch(name: str, claimed: FileType) -> NoReturn:
    raise Invalid({"file": f"The file is called {name} but it is not {claimed.article}. "
                           f"Choose {claimed.article}, or save the file in that format "
                           "and try again."})


def _ending_refused(name: str, ending: str) -> str:
    if ending in MARKUP_ENDINGS:
        return (f"{name} is a web page or an SVG image, which cannot be added because it could "
                "run code in someone's browser. Save it as a PDF or a PNG image instead.")
    if ending in MACRO_ENDINGS:
        return (f"{name} is a file with macros, which cannot be added. Save it as an ordinary "
                "document without macros (.docx, .xlsx or .pptx), or as a PDF.")
    if ending in OLD_OFFICE_ENDINGS:
        return (f"{name} is in an older Office format, which cannot be added. Save it as a "
                ".docx, .xlsx or .pptx file, or as a PDF.")
    if not ending:
        return (f"The file {name} has no ending (like .pdf) to say what kind of file it is. "
                f"Choose {KINDS_IN_WORDS}.")
    return f"{name} is not a kind of file that can be added. Choose {KINDS_IN_WORDS}."


def detect(path: Path) -> FileType | str | None:
    """The kind of file the content is; _MARKUP_FOUND or _MACRO for refused content; None
    when it is none of the kinds taken."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"%PDF-"):
        return TYPES["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return TYPES["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return TYPES["webp"]
    if head.startswith(_ZIP):
        return _zipped(path)
    if _MARKUP.match(head.removeprefix(codecs.BOM_UTF8)):
        return _MARKUP_FOUND
    return TYPES["txt"] if _is_text(path) else None


def _zipped(path: Path) -> FileType | str | None:
    """Office Open XML by the main part its [Content_Types].xml declares; OpenDocument by
    its mimetype part. Only those two small parts are read."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {info.filename: info for info in archive.infolist()}
            mimetype = names.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 200:
                declared = archive.read(mimetype).decode("ascii", "replace").strip()
                found = BY_MEDIA.get(declared)
                return found if found is not None and found.code.startswith("od") else None
            types = names.get("[Content_Types].xml")
            if types is None or types.file_size > _PART_LIMIT:
                return None
            declared_parts = archive.read(types)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            OSError, EOFError, ValueError):
        return None
    if _MACROS.search(declared_parts) or any(n.lower().endswith("vbaproject.bin")
                                             for n in names):
        return _MACRO
    for marker, code in _OOXML_MAIN.items():
        if marker in declared_parts:
            return TYPES[code]
    return None


def _is_text(path: Path) -> bool:
    """UTF-8 (with or without its byte order mark), or Windows-1252 as spreadsheets save
    CSV files, without control characters (tabs, line and page breaks aside)."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(64 * 1024):
                    if b"\x00" in chunk or _CONTROL.search(decoder.decode(chunk)):
                        return False
                if _CONTROL.search(decoder.decode(b"", final=True)):
                    return False
            return True
        except UnicodeDecodeError:
            continue
    return False
