"""Every command's help and output fit an 80-column terminal (COLUMNS=80), as a real process.

Width is counted in terminal cells (a Chinese character takes two). Help
must also show every default whole (no ``…``). Not held to 80 columns: what
is meant to be copied as it is — the error lines (one line each, so a log
keeps them whole), a file path (never cut; the paths here are short),
``privsim schema`` (JSON) and ``--format csv|json|markdown``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from rich.cells import cell_len

from helpers import ROOT, privsim_subprocess, scenario_dict
from privsim.cli import app

pytestmark = pytest.mark.slow  # two dozen processes

COLUMNS = 80
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
#: Commands whose output is data to copy (JSON), not text to read.
DATA_OUTPUT = {"schema"}


def too_wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if cell_len(line) > COLUMNS]


def privsim(*args: object, cwd: Path) -> str:
    proc = privsim_subprocess(*args, cwd=cwd, columns=COLUMNS, timeout=300)
    assert proc.returncode in (0, 1), f"privsim {args}: {proc.stderr}"  # validate exits 1 when a target misses
    return proc.stdout + "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("error: "))


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_80_columns_and_shows_defaults_whole(command: str, tmp_path: Path) -> None:
    text = privsim(*([command] if command else []), "--help", cwd=tmp_path)
    assert too_wide(text) == [], text
    assert "…" not in text, text


def synthetic_registry(folder: Path) -> Path:
    """A one-case registry over a small scenario (366 days), a target and a holdout."""
    folder.mkdir()
    (folder / "synth.yaml").write_text(yaml.safe_dump(scenario_dict(horizon_days=366)), encoding="utf-8")
    rate = "population.purchase_rate.mean_per_year"
    case = {
        "id": "SYNTH",
        "source": "synthetic",
        "scenario": "synth.yaml",
        "calibrated": "synth.calibrated.yaml",
        "replications": 2,
        "calibration_replications": 1,
        "free_parameters": [{"path": rate, "low": 1.0, "high": 8.0, "reason": "test"}],
    }
    benchmarks = [
        {
            "id": f"SYNTH-{use.upper()}",
            "case": "SYNTH",
            "use": use,
            "reported": "60-80k",
            "low": 60_000,
            "high": 80_000,
            "measure": "gmv_per_month_rmb",
            "strategy": "none",
            "months": [0, 11],
        }
        for use in ("target", "holdout")
    ]
    path = folder / "benchmarks.yaml"
    path.write_text(yaml.safe_dump({"cases": [case], "benchmarks": benchmarks}), encoding="utf-8")
    return path


def test_every_command_output_fits_80_columns(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text(encoding="utf-8"))
    data["horizon_days"] = 60
    data["name"] = "精细化运营 试点 with a long name to wrap"  # wide characters count twice
    for group in data["population"]["initial"]:
        group["count"] //= 50
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    registry = synthetic_registry(tmp_path / "cases")
    orders = [sys.executable, ROOT / "scripts" / "make_orders.py", "--customers", 500, "--weeks", 52]
    invocations = [
        ("run", "tiny.yaml", "-n", 2, "-j", 1, "--out", "out", "--plot"),
        ("show", "out", "--ci"),
        ("check", "tiny.yaml"),
        ("plot", "out", "--out", "figures"),
        ("report", "out"),
        ("examples",),
        ("init", "starter"),
        ("policies",),
        ("fit", "orders.csv", "--calibration-end", "2024-09-30"),
        ("forecast", "orders-fit/fit.json", "--weeks", 13),
        ("calibrate", "SYNTH", "--registry", registry, "--budget", 10, "-j", 1),
        ("validate", "SYNTH", "--registry", registry, "-n", 2, "-j", 1),
    ]
    assert {args[0] for args in invocations} == set(COMMANDS) - DATA_OUTPUT, "a command without a width check"
    subprocess.run([*map(str, orders), "--out", "orders.csv"], cwd=tmp_path, check=True, capture_output=True)
    for args in invocations:
        text = privsim(*args, cwd=tmp_path)
        assert text.strip(), args
        assert too_wide(text) == [], f"privsim {' '.join(map(str, args))}:\n{text}"
