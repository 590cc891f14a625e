"""Runs that lose no work and leave no debris: the results folder is claimed before simulating.

- an ``--out`` that cannot be created or written is refused before the simulation (exit 2, one line), and if
  writing fails at the end the results are kept in a temporary folder, named in the error;
- of two runs with the same ``--out`` the second exits 2 at once and the first finishes its folder;
- SIGTERM stops a run as Ctrl-C does (exit 130, no temporary file left); after SIGKILL, which nothing can catch,
  the next run and ``privsim show`` say that the folder is an interrupted run's, and claiming it removes the
  temporary files the killed process left;
- the worker processes of ``--jobs 2`` end with their parent, whether it is stopped by SIGTERM or killed.

Processes are real ones (the console script), started and read line by line: the progress lines on stderr
(one per finished replication when stderr is not a terminal) say how far a run is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import PRIVSIM, privsim_subprocess, scenario_dict
from privsim import results as results_module
from privsim.cli import app
from privsim.core.errors import PrivsimError
from privsim.core.io import CLAIM, claim_folder
from privsim.results import load_results


def write_scenario(folder: Path, replications: int = 2, horizon_days: int = 120) -> Path:
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(horizon_days=horizon_days, replications=replications)), "utf-8")
    return path


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def start(*args: object, cwd: Path) -> subprocess.Popen[str]:
    """The console script in a subprocess, stderr (progress lines, errors) piped, stdout discarded."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [str(PRIVSIM), *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def finish(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script run to its end."""
    return privsim_subprocess(*args, cwd=cwd, columns=200, timeout=120)


@contextlib.contextmanager
def running(*args: object, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """The console script started in a subprocess (see :func:`start`), killed on leaving if still running."""
    proc = start(*args, cwd=cwd)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def wait_for_line(proc: subprocess.Popen[str], fragment: str, timeout_s: float = 60.0) -> list[str]:
    """Read ``proc``'s stderr until a line holds ``fragment``; return the lines read (fails on exit or timeout)."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            pytest.fail(f"process ended before {fragment!r}:\n{''.join(lines)}")
        lines.append(line)
        if fragment in line:
            return lines
    pytest.fail(f"no {fragment!r} within {timeout_s} s:\n{''.join(lines)}")


# ---------------------------------------------------------------------------
# 1. An --out that cannot be written


def test_an_out_that_cannot_be_created_is_refused_before_simulating(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "file" / "sub" / "res"
    result = invoke("run", scenario, "-j", "1", "--out", out)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {out}: cannot be written (Not a directory); choose another --out"
    assert "simulating" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "s.yaml"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_out_in_a_read_only_folder_is_refused_before_simulating(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = invoke("run", scenario, "-j", "1", "--out", locked / "sub" / "res")
    assert result.exit_code == 2, result.output
    assert "cannot be written (Permission denied); choose another --out" in result.stderr
    assert list(locked.iterdir()) == []


def test_results_that_cannot_be_written_at_the_end_are_kept_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after the simulation: the error names the temporary folder that holds the results."""
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    write_files = results_module.write_files

    def full_disk(folder: Path, files: dict) -> list[Path]:
        if folder == out:
            raise OSError(28, "No space left on device")
        return write_files(folder, files)

    monkeypatch.setattr(results_module, "write_files", full_disk)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = invoke("run", scenario, "-j", "1", "--out", out)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip().splitlines()[-1]
    prefix = f"error: {out}: cannot be written (No space left on device); the results were written to "
    assert line.startswith(prefix) and line.endswith(" instead"), line
    kept = load_results(line[len(prefix) : -len(" instead")])
    assert kept.path.parent == tmp_path and kept.path.name.startswith("privsim-results-")
    assert kept.strategies == ["none"] and set(kept.replications["replication"]) == {0, 1}


# ---------------------------------------------------------------------------
# 2. Two runs, one --out


def test_a_folder_another_process_claimed_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / CLAIM).write_text(f"{os.getppid()}\n", encoding="ascii")  # a process that is running
    with pytest.raises(PrivsimError) as err:
        claim_folder(out)
    assert (
        str(err.value)
        == f"{out}: another privsim process ({os.getppid()}) is writing this folder; choose another --out"
    )
    claim_folder(tmp_path / "mine")
    claim_folder(tmp_path / "mine")  # this process's claim stays this process's


@pytest.mark.slow
def test_the_second_run_with_the_same_out_exits_at_once(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, replications=16, horizon_days=365)
    with running("run", scenario, "-j", "1", "--out", "out", cwd=tmp_path) as first:
        wait_for_line(first, "simulating: 1/16")
        second = finish("run", scenario, "-j", "1", "--out", "out", cwd=tmp_path)
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip() == (
            f"error: out: another privsim process ({first.pid}) is writing this folder; choose another --out"
        )
        assert "simulating" not in second.stderr
        assert first.poll() is None, "the second run should have stopped while the first simulates"
        assert first.wait(timeout=120) == 0
    assert set(load_results(tmp_path / "out").replications["replication"]) == set(range(16))
    assert CLAIM not in os.listdir(tmp_path / "out")


# ---------------------------------------------------------------------------
# 4. SIGTERM and SIGKILL


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def a_dead_process() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_claiming_an_interrupted_folder_removes_what_the_killed_process_left(tmp_path: Path) -> None:
    dead = a_dead_process()
    out = tmp_path / "out"
    out.mkdir()
    (out / CLAIM).write_text(f"{dead}\n", encoding="ascii")
    (out / f".timeseries.csv.tmp-{dead}").write_text("strategy,repl", encoding="utf-8")
    with pytest.raises(PrivsimError) as err:
        claim_folder(out)
    assert str(err.value) == (
        f"{out}: left unfinished by an interrupted privsim run (process {dead}); finish it with "
        "privsim run SCENARIO --resume --out FOLDER, or choose another --out"
    )
    with pytest.raises(PrivsimError, match="left unfinished by an interrupted privsim run"):
        load_results(out)
    claim_folder(out, take_interrupted=True)
    assert sorted(os.listdir(out)) == [CLAIM]
    assert (out / CLAIM).read_text(encoding="ascii") == f"{os.getpid()}\n"


def sigterm_after(done: int, scenario: Path, total: int) -> str:
    """Run ``scenario`` into ``out`` beside it, send SIGTERM once ``done`` of ``total`` replications finished;
    check that it exits with 130 and return its last line on stderr."""
    with running("run", scenario, "-j", "1", "--out", "out", cwd=scenario.parent) as proc:
        wait_for_line(proc, f"simulating: {done}/{total}")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 130
        assert proc.stderr is not None
        return proc.stderr.read().strip().splitlines()[-1]


@pytest.mark.slow
def test_sigterm_stops_a_run_like_ctrl_c(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, replications=40, horizon_days=365)
    assert sigterm_after(1, scenario, 40).startswith("interrupted: ")
    assert not any(".tmp-" in name for name in files_under(tmp_path))


@pytest.mark.slow
def test_after_sigkill_the_next_run_and_show_say_the_folder_is_unfinished(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, replications=40, horizon_days=365)
    with running("run", scenario, "-j", "1", "--out", "out", cwd=tmp_path) as proc:
        wait_for_line(proc, "simulating: 1/40")
        proc.kill()
        proc.wait(timeout=30)
    message = (
        f"out: left unfinished by an interrupted privsim run (process {proc.pid}); finish it with "
        "privsim run SCENARIO --resume --out FOLDER, or choose another --out"
    )
    for args in (["run", scenario, "-j", "1", "--out", "out"], ["show", "out"]):
        again = finish(*args, cwd=tmp_path)
        assert again.returncode == 2, again.stderr
        assert again.stderr.strip() == f"error: {message}", again.stderr


# ---------------------------------------------------------------------------
# 3. Worker processes die with their parent


def children(pid: int) -> set[int]:
    """The ids of the processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie, ended but not yet reaped, counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_end_with_their_parent(sig: signal.Signals, tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, replications=40, horizon_days=365)
    with running("run", scenario, "-j", "2", "--out", "out", cwd=tmp_path) as proc:
        wait_for_line(proc, "simulating: 1/40")
        workers = children(proc.pid)
        assert len(workers) >= 2, workers  # the pool's two workers (and its resource tracker, if any)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == (130 if sig == signal.SIGTERM else -signal.SIGKILL)
        deadline = time.monotonic() + 10  # a worker checks every 0.5 s that its parent runs
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)], "worker processes outlived their parent"


# ---------------------------------------------------------------------------
# 7. --resume


TABLE_FILES = ("timeseries.csv", "replications.csv", "summary.csv", "differences.csv", "cohorts.csv")


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_identical_tables(tmp_path: Path) -> None:
    """SIGTERM after 3 of 8 replications; --resume (with 2 workers) simulates the rest; the tables are
    byte-identical to those of an uninterrupted run (replication k depends only on the file, the seed and k)."""
    scenario = write_scenario(tmp_path, replications=8, horizon_days=365)
    last = sigterm_after(3, scenario, 8)
    kept = len(list((tmp_path / "out" / ".replications").glob("*.npz")))
    assert kept >= 3
    assert last == (
        f"interrupted: out: {kept} of 8 replications finished and are kept there; finish the run with "
        "privsim run SCENARIO --resume --out out"
    )
    assert not (tmp_path / "out" / "manifest.json").exists()
    resumed = finish("run", scenario, "-j", "2", "--out", "out", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    progress = [line for line in resumed.stderr.splitlines() if line.startswith("simulating: ")]
    assert len(progress) == 8 - kept and progress[0].startswith(f"simulating: {kept + 1}/8 ")
    full = invoke("run", scenario, "-j", "1", "--out", tmp_path / "full")
    assert full.exit_code == 0, full.output
    for name in TABLE_FILES:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name
    assert sorted(os.listdir(tmp_path / "out")) == sorted([*TABLE_FILES, "manifest.json", "scenario.yaml"])


def test_resume_refuses_replications_of_another_seed_and_needs_out(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, replications=2, horizon_days=60)
    out = tmp_path / "out"
    (out / ".replications").mkdir(parents=True)
    (out / ".replications" / "run.json").write_text('{"scenario_sha256": "0", "seed": 1}\n', encoding="utf-8")
    (out / CLAIM).write_text(f"{a_dead_process()}\n", encoding="ascii")
    result = invoke("run", scenario, "-j", "1", "--out", out, "--resume")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith(f"error: {out}: its finished replications are of another scenario file")
    result = invoke("run", scenario, "-j", "1", "--resume")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == ("error: --resume = True — needs --out, the results folder of the interrupted run")


POOL_CHILD = """
import os, time
from concurrent.futures import ProcessPoolExecutor
from privsim.runner import end_with_parent
with ProcessPoolExecutor(1, initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_a_pool_worker_set_up_by_end_with_parent_ends_when_its_parent_is_killed() -> None:
    """As calibrate's pool: an idle worker (waiting on its pipe) ends once its parent is killed."""
    proc = subprocess.Popen([sys.executable, "-c", POOL_CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        assert alive(worker)
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10  # the worker checks every 0.5 s
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)
    finally:
        proc.kill()
        proc.wait()
