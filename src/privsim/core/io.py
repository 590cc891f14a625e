"""Atomic writes: a file or a folder either is complete or is not there (or keeps its old content).

Files are written under a temporary name in the target folder and renamed
into place with :func:`os.replace` (text as UTF-8, newlines as given); a new
folder is built as a temporary folder beside the target and renamed into
place. On any failure the temporary files are removed.

Every file privsim writes goes through here. Files get mode ``0o666`` and
folders ``0o777``, less the process's umask (``0o644`` and ``0o755`` under
the usual umask 022), as ``open`` and ``mkdir`` give them: not the ``0o600``
of :func:`tempfile.mkstemp`, so a colleague can read a shared results folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from privsim.core.errors import PrivsimError

#: A file's content: text (written as UTF-8) or bytes.
Content = str | bytes


def check_folder(folder: Path) -> None:
    """Refuse an output folder that exists and is not a folder (PrivsimError)."""
    if folder.exists() and not folder.is_dir():
        raise PrivsimError(f"{folder}: exists and is not a folder; choose another --out")


def write_file(path: Path, content: Content) -> None:
    """Write ``content`` to ``path`` atomically (replacing the file if it exists)."""
    write_files(path.parent, {path.name: content})


def write_files(folder: Path, files: Mapping[str, Content]) -> list[Path]:
    """Write each file into ``folder`` (made if missing) atomically; return their paths.

    Every file is written under a temporary name before the first is renamed into place.
    """
    folder.mkdir(parents=True, exist_ok=True)
    temporary: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            tmp = _temporary(folder / name)
            data = _bytes(content)
            temporary.append((tmp, folder / name))
            _write_new(tmp, data)
        for tmp, final in temporary:
            os.replace(tmp, final)
    finally:
        for tmp, _ in temporary:
            tmp.unlink(missing_ok=True)
    return [final for _, final in temporary]


def write_new_folder(out: Path, files: Mapping[str, Content]) -> Path:
    """Make the folder ``out`` (absent or empty) holding ``files``: built beside it, then renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, content in files.items():
            _write_new(tmp / name, _bytes(content))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


#: Mode of a new file before the umask (that of ``open(path, "w")``).
FILE_MODE = 0o666


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing a stale temporary file), mode FILE_MODE less the umask."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _temporary(path: Path) -> Path:
    return path.parent / f".{path.name}.tmp-{os.getpid()}"


def _bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content
