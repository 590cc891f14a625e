"""The ``privsim`` command end to end, as a real process (the console script next to sys.executable).

Every ``scenarios/**/*.yaml`` file is run with ``--replications 2`` after
shrinking its horizon to at most 120 days (the rest of the file is kept as is,
comments included); the comparison table on stdout and the results folder
(manifest.json, scenario.yaml and the five CSV tables documented in
``privsim.results``) are checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import privsim
from helpers import PRIVSIM, ROOT, privsim_subprocess
from privsim.cli import app
from privsim.scenario import Scenario

# Every scenario file under scenarios/ (the benchmark registry in scenarios/cases/ is not one).
SCENARIO_FILES = sorted(p for p in (ROOT / "scenarios").glob("**/*.yaml") if p.name != "benchmarks.yaml")
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

MAX_HORIZON = 120

HEADLINE_LABELS = ("GMV", "profit", "active members", "churned members", "repurchase rate")
#: The columns that describe a metric (what it measures, its breakdown, its unit).
DESCRIBED = ["measure", "pool", "tier", "channel", "unit"]
HEADLINE_METRICS = ("gmv_rmb", "profit_rmb", "active_members", "members_churned", "repurchase_rate")
COLUMNS = {
    "timeseries.csv": ["strategy", "replication", "month", "month_start", "metric", *DESCRIBED, "value"],
    "replications.csv": ["strategy", "replication", "metric", *DESCRIBED, "value"],
    "summary.csv": ["strategy", "metric", *DESCRIBED, "mean", "ci_low", "ci_high", "sd", "n"],
    "differences.csv": ["strategy", "baseline", "metric", *DESCRIBED, "mean", "ci_low", "ci_high", "sd", "n"],
    "cohorts.csv": [
        "strategy",
        "replication",
        "cohort_month",
        "months_since_join",
        "cohort_size",
        "active",
        "retention",
    ],
}
FOLDER_FILES = {"manifest.json", "scenario.yaml", *COLUMNS}
MANIFEST_KEYS = {
    "seed",
    "replications",
    "privsim_version",
    "scenario",
    "command",
    "started_at",
    "finished_at",
    "format_version",
    "files",
}


def privsim_cmd(*args: object, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the console script; COLUMNS is wide so rich tables do not wrap."""
    return privsim_subprocess(*args, cwd=cwd, columns=250, timeout=timeout)


def shrink_horizon(text: str) -> str:
    """``text`` with its top-level ``horizon_days`` lowered to at most MAX_HORIZON, and its strategies' phases
    shrunk with it (:func:`shrink_phases`); nothing else changed."""
    data = yaml.safe_load(text)
    if not any(strategy.get("phases") for strategy in data["strategies"]):
        new, count = re.subn(
            r"^(horizon_days:[ \t]*)(\d+)",
            lambda m: f"{m.group(1)}{min(int(m.group(2)), MAX_HORIZON)}",
            text,
            count=1,
            flags=re.MULTILINE,
        )
        if count == 1 and yaml.safe_load(new)["horizon_days"] <= MAX_HORIZON:
            return new
    # phases, or an unusual layout: a round trip (comments are lost)
    horizon, short = data["horizon_days"], min(data["horizon_days"], MAX_HORIZON)
    start = data.get("start_date", Scenario.model_fields["start_date"].default)
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    data["horizon_days"] = short
    for strategy in data["strategies"]:
        if strategy.get("phases"):  # new mappings: a phase shared by a YAML alias is shrunk once per strategy
            strategy["phases"] = shrink_phases(strategy["phases"], horizon, short, start)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def shrink_phases(phases: list[dict], horizon: int, short: int, start: dt.date) -> list[dict]:
    """Copies of ``phases`` whose starts and ends (days or dates) are scaled from a ``horizon``-day run to a
    ``short`` one: day d becomes d x short // horizon, each start at least a day after the one before and each
    end at least a day after its start, so the phases keep their order and share of the run."""
    out: list[dict] = []
    previous = -1
    for phase in phases:
        phase = dict(phase)
        for day_key, date_key in (("start_day", "start_date"), ("end_day", "end_date")):
            date = phase.get(date_key)
            date = dt.date.fromisoformat(date) if isinstance(date, str) else date
            day = (date - start).days if date is not None else phase.get(day_key)
            if day is None:
                continue
            day = max(day * short // horizon, previous + 1)
            if day_key == "start_day":
                previous = day
            if date is not None:
                phase[date_key] = start + dt.timedelta(days=day)
            else:
                phase[day_key] = day
        out.append(phase)
    return out


def tiny_quickstart(folder: Path) -> Path:
    """quickstart.yaml with 60 days and 1/50 of the members, written to ``folder``."""
    data = yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))
    data["horizon_days"] = 60
    for group in data["population"]["initial"]:
        group["count"] //= 50
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def table_rows(text: str) -> list[str]:
    """First cells (strategy names) of the body rows of the comparison table(s) in ``text``: the lines after a
    header rule, up to the next blank line or title."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.strip() and set(line.strip()) == {"─"}:
            inside = True
        elif inside and line.strip() and not line.startswith(("Paired", "Results", "Per strategy", "n/a:")):
            rows.append(line.split()[0])
        else:
            inside = False
    return rows


def header_text(text: str) -> str:
    """The header lines (two per table: the labels are split over two lines) of the table(s) in ``text``, joined."""
    lines = text.splitlines()
    return "\n".join(
        "\n".join(lines[i - 2 : i]) for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"─"}
    )


def scenario_id(path: Path) -> str:
    return str(path.relative_to(ROOT / "scenarios"))


#: Every scenario file as a test parameter; all but the quickstart in the slow set (a subprocess each).
SCENARIO_PARAMS = [
    pytest.param(p, marks=() if p.name == "quickstart.yaml" else pytest.mark.slow, id=scenario_id(p))
    for p in SCENARIO_FILES
]


def test_scenario_files_found() -> None:
    assert QUICKSTART in SCENARIO_FILES
    assert PRIVSIM.exists(), f"no console script at {PRIVSIM}"


def test_shrink_horizon_shrinks_phases() -> None:
    """levers/phases.yaml (730 days, switching on 2026-01-01 = day 365) shrunk to 120 days switches on day
    365 x 120 // 730 = 60 (2025-03-02), a date kept a date, a day a day, the shared first phase in each strategy."""
    text = shrink_horizon((ROOT / "scenarios" / "levers" / "phases.yaml").read_text(encoding="utf-8"))
    scenario = privsim.parse_scenario(yaml.safe_load(text), "phases.yaml")
    assert scenario.horizon_days == MAX_HORIZON
    eras = {
        s.name: [(era.first_day, era.end_day, len(era.policies)) for era in s.eras(scenario)]
        for s in scenario.strategies
    }
    assert eras == {
        "keep_clearing": [(0, 120, 1)],
        "switch_to_nurture": [(0, 60, 1), (60, 120, 1)],
        "stop_in_2026": [(0, 60, 1), (60, 120, 0)],
    }
    phases = yaml.safe_load(text)["strategies"][1]["phases"]
    assert (phases[0]["start_day"], phases[1]["start_date"]) == (0, dt.date(2025, 3, 2))
    crowded = [{"start_day": 0}, {"start_day": 1, "end_day": 2}, {"start_date": "2025-01-03"}]
    assert shrink_phases(crowded, 730, 120, dt.date(2025, 1, 1)) == [
        {"start_day": 0},
        {"start_day": 1, "end_day": 2},
        {"start_date": dt.date(2025, 1, 3)},
    ], "phases a day apart stay a day apart, in order"


# ---------------------------------------------------------------------------
# privsim run FILE --replications 2 --out DIR, once per scenario file


@dataclass(frozen=True)
class Ran:
    source: Path
    text: str  # the shrunk file as run
    data: dict
    strategies: list[str]
    proc: subprocess.CompletedProcess
    out: Path


@pytest.fixture(scope="module", params=SCENARIO_PARAMS)
def ran(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    source: Path = request.param
    folder = tmp_path_factory.mktemp("run")
    text = shrink_horizon(source.read_text(encoding="utf-8"))
    path = folder / source.name
    path.write_text(text, encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["horizon_days"] <= MAX_HORIZON
    # -j 1: the test workers already use every core; a process pool per file would only add start-up time
    proc = privsim_cmd("run", path.name, "--replications", 2, "--jobs", 1, "--out", "out", cwd=folder)
    return Ran(source, text, data, [s["name"] for s in data["strategies"]], proc, folder / "out")


def test_run_exits_0(ran: Ran) -> None:
    assert ran.proc.returncode == 0, ran.proc.stderr
    assert "Traceback" not in ran.proc.stderr and "error" not in ran.proc.stderr.lower(), ran.proc.stderr
    assert ran.proc.stdout.rstrip().endswith("Results written to out")


def test_run_prints_comparison_table(ran: Ran) -> None:
    stdout = ran.proc.stdout
    main, _, paired = stdout.partition("Paired difference")
    assert f"{ran.data['name']}: {ran.data['horizon_days']} days, 2 replications" in main
    headers = header_text(main)
    for label in HEADLINE_LABELS:
        assert all(word in headers for word in label.split()), f"column {label!r} missing:\n{main}"
    assert table_rows(main) == ran.strategies  # every strategy, in the file's order
    if len(ran.strategies) >= 2:
        baseline = ran.strategies[0]
        assert paired, f"no 'Paired difference' table:\n{stdout}"
        assert paired.startswith(f" against {baseline}")
        for label in HEADLINE_LABELS:
            assert f"Δ {label.split()[0]}" in header_text(paired)
        assert table_rows(paired) == ran.strategies[1:]
    else:
        assert not paired


def test_run_writes_results_folder(ran: Ran) -> None:
    assert ran.out.is_dir(), ran.proc.stderr
    assert {p.name for p in ran.out.iterdir()} == FOLDER_FILES
    assert (ran.out / "scenario.yaml").read_text(encoding="utf-8") == ran.text
    assert not list(ran.out.parent.glob(".out.tmp-*"))
    assert not (ran.out.parent / "results").exists()


def test_run_manifest(ran: Ran) -> None:
    manifest = json.loads((ran.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest.keys() >= MANIFEST_KEYS
    assert manifest["seed"] == ran.data.get("seed", 0)
    assert manifest["replications"] == 2
    assert manifest["privsim_version"] == privsim.__version__
    assert manifest["scenario"]["sha256"] == hashlib.sha256(ran.text.encode("utf-8")).hexdigest()
    assert manifest["strategies"] == ran.strategies
    assert manifest["format_version"] == 2 and manifest["table_format"] == "csv"
    command = manifest["command"]
    assert isinstance(command, list) and command[:2] == ["privsim", "run"]
    assert "--replications" in command and "2" in command
    started = dt.datetime.fromisoformat(manifest["started_at"])
    finished = dt.datetime.fromisoformat(manifest["finished_at"])
    assert started.tzinfo is not None and started <= finished
    assert abs(dt.datetime.now(dt.UTC) - finished) < dt.timedelta(hours=1)
    files = manifest["files"]
    assert set(files) == FOLDER_FILES - {"manifest.json"}
    for name, digest in files.items():
        assert hashlib.sha256((ran.out / name).read_bytes()).hexdigest() == digest, name


def read(ran: Ran, name: str) -> pd.DataFrame:
    table = pd.read_csv(ran.out / name)
    assert list(table.columns) == COLUMNS[name], name
    return table


def test_run_csv_tables(ran: Ran) -> None:
    names = ran.strategies
    timeseries = read(ran, "timeseries.csv")
    assert list(timeseries["strategy"].unique()) == names
    assert set(timeseries["replication"]) == {0, 1}
    start = dt.date.fromisoformat(str(ran.data.get("start_date", "2025-01-01")))
    last = start + dt.timedelta(days=ran.data["horizon_days"] - 1)
    months = (last.year - start.year) * 12 + last.month - start.month + 1
    assert sorted(timeseries["month"].unique()) == list(range(months))
    assert timeseries["month_start"].min() == f"{start.replace(day=1):%Y-%m-%d}"

    replications = read(ran, "replications.csv")
    for (strategy, rep), group in replications.groupby(["strategy", "replication"]):
        assert set(HEADLINE_METRICS) <= set(group["metric"]), (strategy, rep)
    assert len(replications) == len(names) * 2 * replications["metric"].nunique()

    summary = read(ran, "summary.csv")
    assert list(summary["strategy"].unique()) == names
    headline = summary[summary["metric"].isin(HEADLINE_METRICS)]
    assert len(headline) == len(names) * len(HEADLINE_METRICS)
    assert (summary["n"] <= 2).all()
    finite = summary.dropna(subset=["ci_low", "ci_high"])
    assert (finite["ci_low"] <= finite["mean"] + 1e-9).all() and (finite["mean"] <= finite["ci_high"] + 1e-9).all()

    differences = read(ran, "differences.csv")
    if len(names) >= 2:
        assert list(differences["strategy"].unique()) == names[1:]
        assert set(differences["baseline"]) == {names[0]}
        assert set(HEADLINE_METRICS) <= set(differences["metric"])
    else:
        assert differences.empty

    cohorts = read(ran, "cohorts.csv")
    assert set(cohorts["strategy"]) <= set(names)
    assert (cohorts["active"] <= cohorts["cohort_size"]).all()
    assert cohorts["retention"].between(0, 1).all()


# ---------------------------------------------------------------------------
# privsim check, policies, --help


@pytest.mark.parametrize("source", SCENARIO_FILES, ids=scenario_id)
def test_check_ok(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In process (the console script itself is run above, once per file): every shipped file checks OK."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", str(source)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{source}: OK")
    assert not list(tmp_path.iterdir()), "check must not write anything"


# privsim policies, examples, init, schema: tests/cli/test_examples.py; show: tests/cli/test_tables.py
@pytest.mark.parametrize("command", ["run", "check", "policies", "show", "examples", "init", "schema"])
def test_help_has_example(command: str, tmp_path: Path) -> None:
    proc = privsim_cmd(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"privsim {command}" in proc.stdout
    assert "Example:" in proc.stdout
    assert re.search(rf"Example: privsim {command}\b", proc.stdout)


def test_help_keeps_square_brackets(tmp_path: Path) -> None:
    """Rich reads ``[word]`` as markup and drops it: a help text must escape it (an extra's name, a range)."""
    proc = privsim_cmd("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'privsim[parquet]'" in proc.stdout


# ---------------------------------------------------------------------------
# Options


def test_strategy_option_runs_only_those_in_file_order(tmp_path: Path) -> None:
    path = tiny_quickstart(tmp_path)
    order = [s["name"] for s in yaml.safe_load(path.read_text(encoding="utf-8"))["strategies"]]
    expected = [name for name in order if name in {"nurture", "none"}]
    assert expected == ["none", "nurture"] and len(order) > 2  # the option order differs from the file's
    proc = privsim_cmd(
        "run",
        path.name,
        "--strategy",
        "nurture",
        "--strategy",
        "none",
        "--replications",
        1,
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    main, _, paired = proc.stdout.partition("Paired difference")
    assert table_rows(main) == expected
    assert paired.startswith(" against none")
    assert table_rows(paired) == ["nurture"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["strategies"] == expected
    assert manifest["replications"] == 1
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(summary["strategy"].unique()) == expected
    differences = pd.read_csv(tmp_path / "out" / "differences.csv")
    assert set(differences["strategy"]) == {"nurture"} and set(differences["baseline"]) == {"none"}


def test_default_out_folder_is_results_name_timestamp(tmp_path: Path) -> None:
    path = tiny_quickstart(tmp_path)
    proc = privsim_cmd("run", path.name, "--replications", 1, "--strategy", "none", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"tiny.yaml", "results"}
    folders = list((tmp_path / "results").iterdir())
    assert len(folders) == 1
    folder = folders[0]
    assert re.fullmatch(r"quickstart-\d{8}-\d{6}", folder.name), folder.name
    assert {p.name for p in folder.iterdir()} == FOLDER_FILES
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    stamp = dt.datetime.fromisoformat(manifest["started_at"]).strftime("%Y%m%d-%H%M%S")
    assert folder.name == f"quickstart-{stamp}"
    assert f"Results written to {Path('results') / folder.name}" in proc.stdout
