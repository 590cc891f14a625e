"""The comparison tables of ``privsim run`` and ``privsim show``, as a real process at 80 columns.

A tiny quickstart (60 days, 1/50 of the members, 2 replications) is run once
with its own strategy names and once with four long ``clearance_…`` names
(the names of issue 17); the tables must fit 80 columns without cutting a
name, ``--format csv|json|markdown`` must print only the table on stdout,
and ``privsim show`` must print what ``run`` printed, with paired
differences against any strategy computed from the replications.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from helpers import ROOT, privsim_subprocess
from privsim.metrics import HEADLINE

#: every test here runs the console script (runs of the quickstart, show, formats): out of the fast loop
pytestmark = pytest.mark.slow

QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
LONG_NAMES = [
    "none",
    "clearance_weekly_40pct_2021q3",
    "clearance_then_nurture_2021q3",
    "clearance_biweekly_30pct_2021q4",
    "clearance_monthly_deep_2022q1",
]


def privsim(*args: object, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess:
    return privsim_subprocess(*args, cwd=cwd, columns=columns, timeout=300)


def tiny(folder: Path, long_names: bool) -> Path:
    data = yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))
    data["horizon_days"] = 60
    for group in data["population"]["initial"]:
        group["count"] //= 50
    if long_names:
        every = [7, 7, 14, 30]
        data["strategies"] = [{"name": "none", "policies": [{"kind": "none"}]}] + [
            {"name": name, "policies": [{"kind": "clearance", "every_days": days}]}
            for name, days in zip(LONG_NAMES[1:], every, strict=True)
        ]
        data["strategies"][2]["policies"].append({"kind": "nurture"})
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Ran:
    folder: Path
    out: Path
    names: list[str]
    proc: subprocess.CompletedProcess


def _run(folder: Path, long_names: bool) -> Ran:
    path = tiny(folder, long_names)
    proc = privsim("run", path.name, "-n", 2, "-j", 1, "--out", "out", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    names = [s["name"] for s in yaml.safe_load(path.read_text(encoding="utf-8"))["strategies"]]
    return Ran(folder, folder / "out", names, proc)


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return _run(tmp_path_factory.mktemp("short"), long_names=False)


@pytest.fixture(scope="module")
def long(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return _run(tmp_path_factory.mktemp("long"), long_names=True)


def assert_fits(text: str, names: list[str], width: int = 80) -> None:
    """Every line at most ``width`` wide, every strategy name whole at the start of a line, nothing cut."""
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line.rstrip()) > width]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in text
    for name in names:
        assert any(re.match(rf"{re.escape(name)}(\s|$)", line.strip()) for line in lines), f"{name} not whole:\n{text}"


def wide_rows(text: str) -> list[list[str]]:
    """The body rows (cells split on runs of 2+ spaces... or single spaces) of each wide table in ``text``."""
    tables, current = [], None
    for line in text.splitlines():
        if line.strip() and set(line.strip()) == {"─"}:
            current = []
            tables.append(current)
        elif (
            current is not None and line.strip() and not line.startswith(("Paired", "Results", "Per strategy", "n/a:"))
        ):
            current.append(line.split())
        else:
            current = None
    return tables


def test_run_table_fits_80_columns_in_the_wide_layout(short: Ran) -> None:
    out = short.proc.stdout
    assert_fits(out, short.names)
    means, diffs = wide_rows(out)
    assert [row[0] for row in means] == short.names
    assert [row[0] for row in diffs] == short.names[1:]
    assert all(len(row) == 1 + len(HEADLINE) for row in means + diffs), out  # one cell per metric, no wrapping
    assert "±" not in out
    assert out.startswith(f"quickstart: 60 days, 2 replications × {len(short.names)} strategies, seed")
    assert "Paired difference against none" in out
    # the repurchase rate's n/a says why, in words a reader can act on (the note wraps at 80 columns)
    note = " ".join(out.split("n/a: ", 1)[1].split("Results written")[0].split())
    assert note == (
        "the repurchase rate needs a horizon of 366 days or more (the buyers by one day, then the 365 days "
        "after it); this run has 60 days"
    )


def test_run_table_with_ci_fits_80_columns(short: Ran) -> None:
    proc = privsim("show", short.out, "--ci", cwd=short.folder)
    assert proc.returncode == 0, proc.stderr
    assert_fits(proc.stdout, short.names)
    # every cell but the repurchase rate (n/a over 60 days) has an interval
    assert proc.stdout.count("±") >= (len(HEADLINE) - 1) * (2 * len(short.names) - 1)


def test_long_names_fit_80_columns_uncut(long: Ran) -> None:
    out = long.proc.stdout
    assert_fits(out, LONG_NAMES)
    for ci in ([], ["--ci"]):
        proc = privsim("show", long.out, *ci, cwd=long.folder)
        assert proc.returncode == 0, proc.stderr
        assert_fits(proc.stdout, LONG_NAMES)
    wide = privsim("show", long.out, cwd=long.folder, columns=200).stdout
    means, _ = wide_rows(wide)  # a wide terminal: strategies as rows again
    assert [row[0] for row in means] == LONG_NAMES


def test_show_prints_what_run_printed(short: Ran) -> None:
    proc = privsim("show", short.out, cwd=short.folder)
    assert proc.returncode == 0, proc.stderr
    printed = short.proc.stdout.rsplit("Results written to", 1)[0]
    assert proc.stdout == printed
    assert proc.stderr == ""


def csv_of(proc: subprocess.CompletedProcess) -> pd.DataFrame:
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(io.StringIO(proc.stdout))


def test_format_csv_is_only_the_table_and_matches_the_folder(short: Ran, tmp_path: Path) -> None:
    path = tiny(tmp_path, long_names=False)
    proc = privsim("run", path.name, "-n", 2, "-j", 1, "--out", "out", "--format", "csv", cwd=tmp_path)
    table = csv_of(proc)  # the whole of stdout parses
    assert "Results written to out" in proc.stderr
    assert list(table.columns) == ["table", "strategy", "baseline", "metric", "mean", "ci_low", "ci_high", "n"]
    summary = table[table["table"] == "summary"].set_index(["strategy", "metric"])
    folder = pd.read_csv(tmp_path / "out" / "summary.csv").set_index(["strategy", "metric"])
    assert len(summary) == len(short.names) * len(HEADLINE)
    for (strategy, metric), row in summary.iterrows():
        assert row["mean"] == pytest.approx(folder.loc[(strategy, metric), "mean"], rel=1e-12, nan_ok=True)
    diffs = table[table["table"] == "difference"]
    assert set(diffs["baseline"]) == {"none"} and list(diffs["strategy"].unique()) == short.names[1:]
    # the same run shown from the folder: the same CSV
    assert privsim("show", tmp_path / "out", "--format", "csv", cwd=tmp_path).stdout == proc.stdout


def test_format_json_and_show_baseline_are_paired_differences(short: Ran) -> None:
    proc = privsim("show", short.out, "--baseline", "nurture", "--format", "json", cwd=short.folder)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["baseline"] == "nurture" and document["strategies"] == short.names
    replications = pd.read_csv(short.out / "replications.csv")
    wide = replications.pivot_table(index=["metric", "replication"], columns="strategy", values="value")
    got = {(d["strategy"], d["metric"]): d for d in document["differences"]}
    assert {s for s, _ in got} == {"none", "clearance"}
    for (strategy, metric), record in got.items():
        assert record["baseline"] == "nurture"
        if metric not in wide.index.get_level_values("metric"):  # no value (the repurchase rate over 60 days)
            assert record["mean"] is None
            continue
        values = (wide[strategy] - wide["nurture"]).loc[metric].to_numpy()
        assert record["n"] == 2
        half = stats.t.ppf(0.975, 1) * values.std(ddof=1) / np.sqrt(2)
        assert record["mean"] == pytest.approx(values.mean(), rel=1e-9, abs=1e-9)
        if half > 0:
            assert record["ci_low"] == pytest.approx(values.mean() - half, rel=1e-9)
    assert len(document["summary"]) == len(short.names) * len(HEADLINE)


def test_show_baseline_table_names_it(short: Ran) -> None:
    proc = privsim("show", short.out, "--baseline", "clearance", cwd=short.folder)
    assert proc.returncode == 0, proc.stderr
    assert "Paired difference against clearance" in proc.stdout
    _, diffs = wide_rows(proc.stdout)
    assert [row[0] for row in diffs] == ["none", "nurture"]


def test_format_markdown(short: Ran) -> None:
    proc = privsim("show", short.out, "--format", "markdown", cwd=short.folder)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("|")]
    header = "| strategy | " + " | ".join(HEADLINE.values()) + " |"
    assert rows[0] == header
    assert rows[1] == "| --- | " + " | ".join("---:" for _ in HEADLINE) + " |"
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows[2 : 2 + len(short.names)]] == short.names
    assert "±" in proc.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--baseline", "nope"], "--baseline = 'nope'"), (["--format", "xml"], "--format = 'xml'")],
)
def test_bad_show_options_exit_2(short: Ran, args: list[str], option: str) -> None:
    proc = privsim("show", short.out, *args, cwd=short.folder)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option} — "), proc.stderr


def test_progress_line_per_replication_off_a_terminal(short: Ran) -> None:
    lines = [line for line in short.proc.stderr.splitlines() if line.startswith("simulating: ")]
    total = 2 * len(short.names)
    assert len(lines) == total, short.proc.stderr
    # the progress counts what the heading counts: replications × strategies runs
    reps, strategies = map(int, re.search(r"(\d+) replications × (\d+) strategies", short.proc.stdout).groups())
    assert reps * strategies == total
    for k, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"simulating: {k}/{total} runs, \d+:\d\d:\d\d elapsed, ETA \d+:\d\d:\d\d", line)
    assert lines[-1].endswith("ETA 0:00:00")
