"""The built wheel, installed in a fresh virtual environment, works outside a clone.

The wheel is built from the repository (``python -m build --wheel``) and
installed with ``--no-deps`` into a new venv whose only link to this one is a
``.pth`` line naming this environment's site-packages, for the dependencies
(installing numpy, scipy, pandas and matplotlib again would take over a
minute). privsim itself is the wheel's copy: the test checks that it is
imported from the new venv. The commands run in a folder outside the clone.
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT], cwd=tmp_path)
    (wheel,) = dist.glob("privsim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode("utf-8")
    shipped = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "privsim" / "scenarios").rglob("*.*")}
    assert shipped <= names and "privsim/scenarios/cases/benchmarks.yaml" in shipped
    assert "privsim/py.typed" in names and any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata and "Classifier: Typing :: Typed" in metadata

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip()
    )
    (purelib / "_privsim_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], cwd=tmp_path)

    work = tmp_path / "work"  # outside the clone: no scenarios/ here
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", COLUMNS="80", PYTHONIOENCODING="utf-8")
    privsim = venv / "bin" / "privsim"
    where = run([python, "-c", "import privsim; print(privsim.__file__)"], work, env).stdout.strip()
    assert Path(where).is_relative_to(purelib), where

    assert run([privsim, "--version"], work, env).stdout == "privsim 0.1.0\n"
    examples = run([privsim, "examples"], work, env).stdout
    assert "quickstart" in examples and "levers/referral" in examples and str(purelib) in examples.replace("\n", "")
    assert ": OK — quickstart:" in run([privsim, "check", "scenarios/quickstart.yaml"], work, env).stdout

    run([privsim, "init", "demo"], work, env)
    starter = work / "demo" / "quickstart.yaml"
    text = starter.read_text(encoding="utf-8")
    small = re.sub(r"^horizon_days: *\d+", "horizon_days: 60", text, count=1, flags=re.MULTILINE)
    small = re.sub(r"(tier: +\w+, +count: )(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) // 50}", small)
    assert small != text
    assert "count: 200}" in small  # the day-0 base, 1/50 of it
    starter.write_text(small, encoding="utf-8")
    ran = run([privsim, "run", starter, "-n", 1, "-j", 1, "-s", "none", "-s", "nurture", "--out", "out"], work, env)
    assert "demo: 60 days, 1 replication × 2 strategies, seed" in ran.stdout and "Results written to out" in ran.stdout
    assert all(len(line) <= 80 for line in ran.stdout.splitlines())
    assert (work / "out" / "manifest.json").is_file()
    csv = run([privsim, "show", "out", "--format", "csv"], work, env).stdout
    assert csv.startswith("table,strategy,baseline,metric,mean,ci_low,ci_high,n\n")

    refused = subprocess.run(
        [str(privsim), "calibrate", "STEAK"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert "inside the installed package" in refused.stderr and "privsim init DIR --cases" in refused.stderr
    assert not any(purelib.joinpath("privsim", "scenarios", "cases").glob("*.tmp*"))
