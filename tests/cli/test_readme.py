"""The README's commands, run in order as a new user would, in an empty folder.

Every command line of the README's code blocks (``privsim ...``, ``pip
install -e . && privsim ...``, ``python scripts/...``) runs as a real process
in the order the README gives them, and the notebook snippets run as Python;
each must exit 0, so a folder one command writes is the folder the next one
reads. Transcripts (``$ privsim ...`` followed by its output) are run too
unless the same command ran before: an error transcript must exit 2 with the
error line shown. Not run: ``pip``/``pytest`` themselves, ``privsim
calibrate`` and ``privsim validate`` (minutes each, tested in
tests/calibration), ``python scripts/golden.py`` (a developer's check of
every shipped scenario, minutes) and the benchmarks. To keep it cheap,
``scenarios/quickstart.yaml`` is the shipped file with 400 days (the
repurchase rate needs more than 365) and a tenth of the members, and
``privsim run`` gets ``-n 2``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import ROOT, privsim_subprocess

README = ROOT / "README.md"
#: Commands too long for a test (minutes each); their own tests cover them.
NOT_RUN = ("privsim calibrate", "privsim validate", "python scripts/golden.py")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """The README's fenced blocks as (language, body), in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)]


def readme_steps(text: str) -> list[tuple[str, str, str]]:
    """(kind, command or code, expected output) in README order: kind is ``shell``, ``transcript`` or ``python``."""
    steps: list[tuple[str, str, str]] = []
    for language, body in code_blocks(text):
        if language == "python":
            steps.append(("python", body, ""))
            continue
        lines = body.splitlines()
        for i, line in enumerate(lines):
            command = line.split("&& ")[-1] if line.startswith("pip install -e . &&") else line
            command = re.sub(r"\s+#.*$", "", command).strip()
            if command.startswith("$ privsim "):
                shown = lines[i + 1] if i + 1 < len(lines) else ""
                steps.append(("transcript", command[2:], shown))
            elif command.startswith(("privsim ", "python scripts/")) and not command.startswith(NOT_RUN):
                steps.append(("shell", command, ""))
    return steps


def small_quickstart(folder: Path) -> None:
    """scenarios/quickstart.yaml in ``folder``: the shipped one with 400 days and a tenth of the members."""
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text(encoding="utf-8"))
    data["horizon_days"] = 400
    for group in data["population"]["initial"]:
        group["count"] //= 10
    (folder / "scenarios").mkdir()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (folder / "scenarios" / "quickstart.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "scripts", folder / "scripts")


def run_step(command: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(command)
    if args[0] == "python":
        return subprocess.run([sys.executable, *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=300)
    if args[1] == "run" and not {"-n", "--replications"} & set(args):
        args += ["-n", "2"]
    return privsim_subprocess(*args[1:], cwd=cwd, columns=80, timeout=300)


def test_readme_steps_are_found() -> None:
    steps = readme_steps(README.read_text(encoding="utf-8"))
    shell = [command for kind, command, _ in steps if kind == "shell"]
    assert shell[0] == "privsim run scenarios/quickstart.yaml --out results/quickstart"
    assert "privsim report results/quickstart" in shell
    assert sum(kind == "python" for kind, _, _ in steps) >= 2


def test_every_results_folder_the_readme_reads_is_one_it_wrote() -> None:
    """`privsim show/plot/report results/X` and load_results("results/X") only after a command wrote results/X."""
    text = README.read_text(encoding="utf-8")
    written: set[str] = set()
    for kind, command, _ in readme_steps(text):
        writes = re.findall(r"--out (results/[\w./-]+)", command) + re.findall(r'write\("(results/[^"]+)"\)', command)
        reads = re.findall(r"privsim (?:show|plot|report) (results/[\w./-]+)", command)
        reads += re.findall(r'load_results\("(results/[^"]+)"\)', command)
        assert set(reads) <= written, f"{kind} {command!r} reads {reads} before a command wrote it"
        written.update(writes)


@pytest.mark.slow
def test_readme_commands_run_in_order(tmp_path: Path) -> None:
    small_quickstart(tmp_path)
    ran: set[str] = set()
    for kind, command, shown in readme_steps(README.read_text(encoding="utf-8")):
        if kind == "python":
            env = {**os.environ, "MPLBACKEND": "Agg"}
            done = subprocess.run(
                [sys.executable, "-c", command], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
            )
            assert done.returncode == 0, f"notebook snippet failed:\n{command}\n{done.stderr}"
            continue
        if command in ran:
            continue
        if kind == "transcript" and not (tmp_path / shlex.split(command)[2]).exists():
            continue  # an example of a file the reader does not have (bad.yaml)
        done = run_step(command, tmp_path)
        ran.add(command)
        if kind == "transcript" and shown.startswith("error:"):
            assert done.returncode == 2, command
            expected = shown.split("...")[0].rstrip()  # the README may cut a long line with "..."
            assert done.stderr.startswith(expected), f"{command}: {done.stderr!r} is not the README's {shown!r}"
            continue
        assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr}"
    assert (tmp_path / "results" / "quickstart" / "report.html").is_file()
    assert (tmp_path / "results" / "quickstart" / "figures").is_dir()
    assert (tmp_path / "orders-fit" / "forecast.csv").is_file()


def test_show_without_the_timestamp_names_the_newest_run(tmp_path: Path) -> None:
    """A reader who ran without --out and typed the README's results/quickstart is told the folder's real name."""
    for name in ("quickstart-20251125-100000", "quickstart-20251126-090000", "quickstart-extra"):
        (tmp_path / "results" / name).mkdir(parents=True)
    done = privsim_subprocess("show", "results/quickstart", cwd=tmp_path, columns=80, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        "error: results/quickstart: no such folder; expected a results folder; "
        "the newest run of that name is results/quickstart-20251126-090000\n"
    )
