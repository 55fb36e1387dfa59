"""The files directory (IMROC_FILES_DIR): evidence kept by the SHA-256 of its content.

A file is written to a temporary name inside the directory while it is hashed and counted,
refused as soon as it passes its size limit, and renamed into place, `<dir>/<sha[:2]>/<sha>`,
only once it has been checked and is about to be recorded: a name in the store always holds
the whole content that hashes to it, and the same content is stored once however often it is
added. Stored files are never changed; the names people gave them live in the database.
"""

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from imroc.config import get_settings

CHUNK = 64 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
TEMP = "tmp"  # unfinished uploads and restores, beside the files so a rename is atomic


class FileTooLarge(Exception):
    """The content went past the size limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class DamagedFile(Exception):
    """The content does not hash to the name it was given (a damaged or altered copy)."""


@dataclass
class Staged:
    """Content written to a temporary file and hashed, waiting to be kept or dropped."""

    store: "FileStore"
    temp: Path
    sha256: str
    size: int
    kept: bool = field(default=False)

    def keep(self) -> Path:
        """Move the content to its place (or drop it when that content is stored already)."""
        final = self.store.path_of(self.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_file() and final.stat().st_size == self.size:
            self.temp.unlink(missing_ok=True)  # wanted again: touched below
        else:
            os.replace(self.temp, final)
        # A prune leaves recently touched files alone. The time is set from the same clock
        # the prune reads (not left to the file system), so the two always agree.
        now = time.time()
        os.utime(final, (now, now))
        self.kept = True
        return final


class FileStore:
    """Content-addressed files under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def path_of(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256 or ""):
            raise ValueError("not a SHA-256 in hexadecimal")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    @contextmanager
    def staging(self, stream: BinaryIO, *, max_bytes: int) -> Iterator[Staged]:
        """Copy `stream` to a temporary file, hashing it; FileTooLarge past `max_bytes`. The
        temporary file is removed on leaving unless the caller kept it."""
        temp_dir = self.root / TEMP
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=temp_dir, prefix="upload-", suffix=".partial")
        temp = Path(name)
        staged: Staged | None = None
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            staged = Staged(store=self, temp=temp, sha256=digest.hexdigest(), size=size)
            yield staged
        finally:
            if staged is None or not staged.kept:
                temp.unlink(missing_ok=True)

    def add_verified(self, stream: BinaryIO, sha256: str, *, max_bytes: int) -> bool:
        """Store content that must hash to `sha256` (a restore); False when it was there
        already. DamagedFile when the content is not what its name says."""
        if self.exists(sha256):
            return False
        with self.staging(stream, max_bytes=max_bytes) as staged:
            if staged.sha256 != sha256:
                raise DamagedFile(f"the content of {sha256} hashes to {staged.sha256}")
            staged.keep()
        return True

    def all_files(self) -> Iterator[tuple[str, Path]]:
        """Every stored file as (its SHA-256, its path), in order of name."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not (folder.is_dir() and re.fullmatch(r"[0-9a-f]{2}", folder.name)):
                continue
            for path in sorted(folder.iterdir()):
                if SHA256.fullmatch(path.name) and path.name[:2] == folder.name \
                        and path.is_file():
                    yield path.name, path


@dataclass(frozen=True)
class Pruned:
    files: list[str]  # the SHA-256 of each file removed (or that would be, on a dry run)
    size: int
    unfinished: int  # temporary files of uploads or restores that never finished


def prune(store: FileStore, *, referenced: Callable[[str], bool], older_than: float,
          dry_run: bool = False) -> Pruned:
    """Remove stored files that no evidence names and nobody has stored or added again for
    `older_than` seconds, and unfinished temporary files as old. Each file is first moved
    out of sight and asked about again, so an upload of the same content meanwhile keeps
    it (the upload stores it afresh, or finds it put back)."""
    cutoff = time.time() - older_than
    removed, size = [], 0
    for sha, path in list(store.all_files()):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if stat.st_mtime > cutoff or referenced(sha):
            continue
        if not dry_run:
            held = store.root / TEMP / f"prune-{sha}.partial"
            held.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, held)
            if referenced(sha) and not path.exists():
                os.replace(held, path)
                continue
            held.unlink(missing_ok=True)
        removed.append(sha)
        size += stat.st_size
    unfinished = 0
    temp_dir = store.root / TEMP
    for path in sorted(temp_dir.glob("*.partial")) if temp_dir.is_dir() else []:
        if path.stat().st_mtime <= cutoff:
            unfinished += 1
            if not dry_run:
                path.unlink(missing_ok=True)
    return Pruned(files=removed, size=size, unfinished=unfinished)


def default_store() -> FileStore:
    """The store of the configured files directory."""
    return FileStore(get_settings().files_dir)
