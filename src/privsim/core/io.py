"""Atomic writes: a file either is complete or is not there (or keeps its old content); claimed folders.

Files are written under a temporary name (``.<name>.tmp-<process id>``) in
the target folder and renamed into place with :func:`os.replace` (text as
UTF-8, newlines as given). On an exception (Ctrl-C, and SIGTERM, which the
``privsim`` command turns into one) the temporary files are removed; a
process killed outright (SIGKILL, a power cut) leaves them, and the next
process to claim the folder removes them.

A folder a process fills over time (a results folder: replications as they
finish, then the tables and the manifest) is first *claimed*
(:func:`claim_folder`): created, checked to be writable, and marked with a
claim file naming the process, made exclusively, so that of two processes
claiming one folder only one succeeds, at once. A claim whose process is no
longer running marks a folder an interrupted process left
(:func:`interrupted_claim`).

Every file privsim writes goes through here. Files get mode ``0o666`` and
folders ``0o777``, less the process's umask (``0o644`` and ``0o755`` under
the usual umask 022), as ``open`` and ``mkdir`` give them: not the ``0o600``
of :func:`tempfile.mkstemp`, so a colleague can read a shared results folder.
"""

from __future__ import annotations

import contextlib
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


#: The file that marks a folder as being written by a privsim process; it holds the process id.
CLAIM = ".privsim-writing"


def claim_folder(folder: Path, *, take_interrupted: bool = False) -> None:
    """Make ``folder`` this process's to fill: create it (and its parents) or take it empty, and claim it.

    A folder this process claimed already stays claimed. With ``take_interrupted`` a folder an interrupted process
    left is taken as it is (its stale temporary files removed). Raises PrivsimError, one line ending in what to do,
    when the folder cannot be created or written, holds other files, or is claimed by a running process (or by an
    interrupted one, without ``take_interrupted``).
    """
    holder = _claimant(folder)
    if holder == os.getpid():
        return
    if holder is not None and _running(holder):
        raise PrivsimError(_taken(folder, holder))
    if holder is not None and not take_interrupted:
        raise PrivsimError(interrupted_message(folder, holder))
    if holder is None and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PrivsimError(f"{folder}: already exists and is not an empty folder; choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if holder is not None:
            _remove_stale_temporaries(folder)
            (folder / CLAIM).unlink()
        fd = os.open(folder / CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"{os.getpid()}\n")
    except FileExistsError:
        raise PrivsimError(_taken(folder, _claimant(folder) or 0)) from None
    except OSError as err:
        raise PrivsimError(f"{folder}: cannot be written ({err.strerror or err}); choose another --out") from None


def release_folder(folder: Path) -> None:
    """Remove this process's claim on ``folder``, and the folder if that leaves it empty."""
    if _claimant(folder) == os.getpid():
        (folder / CLAIM).unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()


def interrupted_claim(folder: Path) -> int | None:
    """The id of the process that claimed ``folder`` and stopped before finishing it; None if there is none."""
    holder = _claimant(folder)
    return holder if holder is not None and not _running(holder) else None


def interrupted_message(folder: Path, process: int) -> str:
    """One line saying that ``folder`` holds what interrupted process ``process`` left, and what to do."""
    return (
        f"{folder}: left unfinished by an interrupted privsim run (process {process}); finish it with "
        "privsim run SCENARIO --resume --out FOLDER, or choose another --out"
    )


def _taken(folder: Path, process: int) -> str:
    who = f" ({process})" if process else ""
    return f"{folder}: another privsim process{who} is writing this folder; choose another --out"


def _claimant(folder: Path) -> int | None:
    """The process id in ``folder``'s claim file; 0 if it cannot be read yet (it is being created); None if none."""
    try:
        text = (folder / CLAIM).read_text(encoding="ascii")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return 0
    return int(text) if text.strip().isdigit() else 0


def _running(process: int) -> bool:
    """Whether process ``process`` exists (0, a claim being created, counts as running)."""
    if process <= 0:
        return True
    try:
        os.kill(process, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process; Windows: no such signal handling
        return True
    return True


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files (and folders) in ``folder`` whose process is no longer running."""
    for path in folder.glob(".*.tmp-*"):
        process = path.name.rpartition(".tmp-")[2]
        if process.isdigit() and not _running(int(process)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


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
