"""The backup file: one tar archive holding the database copy and the evidence files.

Members, in this order: `imroc-backup.json` (what the archive holds), `database` (the SQLite
file or the pg_dump archive) and `files/<sha[:2]>/<sha>` for every stored file. It is not
compressed: documents and images hardly shrink, and the database copy stays readable as it
streams. Backups made before there were files are a bare database copy; backup.py reads both.
Nothing in an archive is unpacked by its own path: each member is read by a name we expect.
"""

import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imroc.files import DamagedFile, FileStore

MANIFEST = "imroc-backup.json"
DATABASE = "database"
FORMAT, VERSION = "imroc-backup", 1
_FILE = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{64})")
_TAR_MAGIC_AT = 257


class ArchiveError(Exception):
    """The archive cannot be used; the message says why, in plain English."""


def looks_like_archive(head: bytes) -> bool:
    """Whether the first 512 bytes of a file are a tar header (POSIX or GNU)."""
    return head[_TAR_MAGIC_AT:_TAR_MAGIC_AT + 5] == b"ustar"


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner, group or permission bits from this machine travel with the copy."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def write(dest: Path, *, kind: str, revision: str, database: Path, store: FileStore) -> int:
    """Write the archive to `dest` (a new file); returns how many files it holds. The list of
    files is read after the database copy was made, so every file a copied row names is in
    it (a file is stored before the row naming it is committed)."""
    files = list(store.all_files())
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "database": kind,
                           "revision": revision, "files": len(files)}).encode()
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        info = _plain(tarfile.TarInfo(MANIFEST))
        info.size = len(manifest)
        with tempfile.SpooledTemporaryFile() as buffer:
            buffer.write(manifest)
            buffer.seek(0)
            tar.addfile(info, buffer)
        tar.add(database, arcname=DATABASE, recursive=False, filter=_plain)
        for sha, path in files:
            tar.add(path, arcname=f"files/{sha[:2]}/{sha}", recursive=False, filter=_plain)
    return len(files)


def manifest(path: Path) -> dict:
    """What an archive says it holds; ArchiveError when it is not one of ours."""
    not_ours = ArchiveError(f"{path} is not a backup made by 'imroc backup'.")
    try:
        with tarfile.open(path, "r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile() \
                    or first.size > 64 * 1024:
                raise not_ours
            data = json.loads(tar.extractfile(first).read())
    except (tarfile.TarError, OSError, ValueError):
        raise not_ours from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise not_ours
    if data.get("version") != VERSION:
        raise ArchiveError(f"{path} is a backup in a newer format (version "
                           f"{data.get('version')}): restore it with the version that made it.")
    if data.get("database") not in ("sqlite", "postgresql"):
        raise not_ours
    return data


@contextmanager
def database_copy(path: Path) -> Iterator[Path]:
    """The archive's database copy, unpacked to a temporary file for as long as needed."""
    with tempfile.TemporaryDirectory(prefix="imroc-restore-") as folder:
        target = Path(folder) / "database"
        try:
            with tarfile.open(path, "r:") as tar:
                member = next((m for m in tar if m.name == DATABASE and m.isfile()), None)
                if member is None:
                    raise ArchiveError(f"{path} holds no database copy: it is incomplete.")
                with tar.extractfile(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
        except (tarfile.TarError, OSError) as exc:
            raise ArchiveError(f"{path} could not be read ({exc.__class__.__name__}): it may "
                               "be damaged or incomplete.") from None
        yield target


def restore_files(path: Path, store: FileStore) -> int:
    """Put every file of the archive into the store, each checked against its SHA-256;
    returns how many there are. Files already in the store are left as they are."""
    count = 0
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                found = _FILE.fullmatch(member.name)
                if not found or not member.isfile() or found.group(1) != found.group(2)[:2]:
                    continue
                with tar.extractfile(member) as src:
                    store.add_verified(src, found.group(2), max_bytes=member.size)
                count += 1
    except DamagedFile as exc:
        raise ArchiveError(f"A file in the backup is damaged ({exc}); nothing more was "
                           "restored.") from None
    except (tarfile.TarError, OSError) as exc:
        raise ArchiveError(f"{path} could not be read ({exc.__class__.__name__}): it may be "
                           "damaged or incomplete.") from None
    return count
