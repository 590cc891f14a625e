"""The atomic writers of privsim.core.io and the option error of privsim.core.errors."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from privsim.core.errors import OptionError, PrivsimError
from privsim.core.io import CLAIM, check_folder, claim_folder, release_folder, write_file, write_files


def test_write_files_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old", encoding="utf-8")
    paths = write_files(tmp_path, {"a.txt": "新\n", "b.bin": b"\x00\x01"})
    assert paths == [tmp_path / "a.txt", tmp_path / "b.bin"]
    assert (tmp_path / "a.txt").read_bytes() == "新\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_write_file_makes_the_folder(tmp_path: Path) -> None:
    write_file(tmp_path / "deep" / "x.md", "x")
    assert (tmp_path / "deep" / "x.md").read_text(encoding="utf-8") == "x"


def test_a_failed_write_leaves_the_old_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_files(tmp_path, {"a.txt": "new", "b.txt": 3})
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_claimed_folder_is_created_filled_and_released(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()  # an empty folder is taken
    claim_folder(out)
    assert (out / CLAIM).read_text(encoding="ascii") == f"{os.getpid()}\n"
    write_files(out, {"m.json": "{}\n", "t.csv": b"a\n"})
    release_folder(out)
    assert sorted(p.name for p in out.iterdir()) == ["m.json", "t.csv"]
    claim_folder(tmp_path / "new" / "deep")
    release_folder(tmp_path / "new" / "deep")  # nothing written: the folder goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "run"] and not any((tmp_path / "new").iterdir())


def test_a_non_empty_folder_is_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(PrivsimError, match="already exists and is not an empty folder; choose another --out"):
        claim_folder(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_check_folder_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("", encoding="utf-8")
    with pytest.raises(PrivsimError, match="f: exists and is not a folder; choose another --out"):
        check_folder(tmp_path / "f")
    check_folder(tmp_path / "missing")
    check_folder(tmp_path)


def test_option_error_names_the_option_and_pickles() -> None:
    err = OptionError("--jobs", -1, "must be 0 (one per CPU) or a positive number of processes")
    assert isinstance(err, PrivsimError)
    assert str(err) == "--jobs = -1 — must be 0 (one per CPU) or a positive number of processes"
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.option, back.value) == (OptionError, str(err), "--jobs", -1)


@pytest.mark.parametrize(("umask", "file_mode", "folder_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_files_and_folders_get_their_mode_from_the_umask(
    tmp_path: Path, umask: int, file_mode: int, folder_mode: int
) -> None:
    """Not mkstemp's 0600 whatever the umask: a colleague can read a shared results folder under umask 022."""
    old = os.umask(umask)
    try:
        write_files(tmp_path / "figures", {"a.png": b"x"})
        write_file(tmp_path / "report.html", "<p>")
        claim_folder(tmp_path / "run")
        write_files(tmp_path / "run", {"manifest.json": "{}"})
    finally:
        os.umask(old)
    for path in (tmp_path / "figures" / "a.png", tmp_path / "report.html", tmp_path / "run" / "manifest.json"):
        assert stat.S_IMODE(path.stat().st_mode) == file_mode, path
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == folder_mode
