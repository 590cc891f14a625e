"""Atomic writes: a file or a folder either is complete or is not there (or keeps its old content).

Files are written under a temporary name in the target folder and renamed
into place with :func:`os.replace` (text as UTF-8, newlines as given); a new
folder is built as a temporary folder beside the target and renamed into
place. On any failure the temporary files are removed.
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
            tmp.write_bytes(_bytes(content))
            temporary.append((tmp, folder / name))
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
            (tmp / name).write_bytes(_bytes(content))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _temporary(path: Path) -> Path:
    return path.parent / f".{path.name}.tmp-{os.getpid()}"


def _bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content
