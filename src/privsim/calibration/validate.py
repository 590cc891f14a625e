"""``privsim validate``: every benchmark against the calibrated case scenarios, as a table and ``VALIDATION.md``.

Each case's calibrated scenario (the case scenario itself, said so in the
table's notes, when ``privsim calibrate`` has not been run; a calibrated
value outside its free parameter's bounds is an error) is run once with
all its strategies, ``replications`` times (default: the case's
``replications``) on its own seed. A benchmark's measure gives one value
per replication; the row shows their mean with a 95 % Student-t interval
(:func:`privsim.results.t_interval`), the relative error against the nearest
end of the reported range (0 inside it) and whether the mean lies inside
the tolerance band (:mod:`privsim.calibration.cases`). Targets come first,
then holdouts; holdouts are reported, never fitted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import privsim
from privsim.calibration import cases
from privsim.calibration.measures import RunView
from privsim.calibration.registry import Benchmark
from privsim.calibration.scenario_params import check_bounds, parameter_value
from privsim.core.errors import OptionError
from privsim.core.progress import Progress
from privsim.results import t_interval
from privsim.runner import run_scenario
from privsim.scenario import load_scenario

COLUMNS = [
    "id",
    "case",
    "use",
    "reported",
    "range",
    "low",
    "high",
    "tolerance",
    "band_low",
    "band_high",
    "measure",
    "strategy",
    "months",
    "note",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "relative_error",
    "passes",
    "calibrated",
]


@dataclass(frozen=True)
class CaseRun:
    """Which file ran for a case, and how."""

    files: cases.CaseFiles
    path: Path
    calibrated: bool
    seed: int
    replications: int


@dataclass(frozen=True)
class Validation:
    """The table (one row per benchmark, targets first) and the runs it came from."""

    table: pd.DataFrame
    runs: tuple[CaseRun, ...]
    registry: Path

    @property
    def targets_pass(self) -> bool:
        targets = self.table[self.table["use"] == "target"]
        return bool(targets["passes"].all())


def validate(
    registry: str | Path,
    case_ids: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> Validation:
    """Run the (calibrated) case scenarios and compare every benchmark of the named cases (all when empty).

    ScenarioError on bad input (unknown case, missing file, a benchmark
    naming a strategy or month the scenario does not have; OptionError for
    ``replications`` below 2), before anything runs.
    """
    registry = Path(registry)
    source = str(registry)
    reg, chosen = cases.load_cases(registry, list(case_ids or []))
    if replications is not None and replications < 2:
        raise OptionError("--replications", replications, "must be at least 2 (for a confidence interval)")
    planned = []
    for files in chosen:
        calibrated = files.calibrated.exists()
        path = files.calibrated if calibrated else files.scenario
        scenario, text = load_scenario(path)
        if calibrated:  # hand-edited, or the registry, its bounds or the case moved since: calibrate again
            cases.check_calibrated(files, text)
            for parameter in files.case.free_parameters:
                check_bounds(parameter, parameter_value(scenario, parameter.path, str(path)), str(path))
        benchmarks = reg.benchmarks_of(files.case.id)
        cases.check_benchmarks(source, benchmarks, scenario)
        reps = replications if replications is not None else files.case.replications
        planned.append((CaseRun(files, path, calibrated, scenario.seed, reps), scenario, text, benchmarks))
    total = sum(run.replications * len(scenario.strategies) for run, scenario, _, _ in planned)
    done = 0
    rows = []
    for run, scenario, text, benchmarks in planned:

        def step(k: int, _n: int, offset: int = done) -> None:
            if progress:
                progress(offset + k, total)

        result = run_scenario(
            scenario, text, replications=run.replications, jobs=jobs, progress=step, source=str(run.path), command=[]
        )
        done += run.replications * len(scenario.strategies)
        view = RunView(result.tables, run.files.case.sampling_fraction)
        rows += [_row(b, cases.benchmark_values(view, b, source), run.calibrated) for b in benchmarks]
    table = pd.DataFrame(rows, columns=COLUMNS)
    order = {"target": 0, "holdout": 1}
    table = table.sort_values("use", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return Validation(table, tuple(run for run, *_ in planned), registry)


def _row(b: Benchmark, values, calibrated: bool) -> list:
    mean, low, high, _sd, n = t_interval(values)
    lo, hi = cases.band(b)
    how = f"{b.measure}({b.argument})" if b.argument else b.measure
    strategy = f"{b.strategy} / {b.versus}" if b.versus else b.strategy
    months = f"{b.months[0]}-{b.months[1]}"
    return [
        b.id, b.case, b.use, b.reported, cases.reported_range(b), b.low, b.high, b.tolerance, lo, hi,
        how, strategy, months, b.note, mean, low, high, n,
        cases.relative_error(b, mean), cases.passes(b, mean), calibrated,
    ]  # fmt: skip


def _simulated(row, plus_minus: bool) -> str:
    """``mean [low .. high]`` or ``mean ± half-width`` of the 95 % CI (just the mean when there is none)."""
    mean = cases.number(row["mean"])
    if math.isnan(row["ci_low"]):
        return mean
    if plus_minus:
        half = (row["ci_high"] - row["ci_low"]) / 2
        return f"{mean} ± {cases.number(half) if half >= 1000 else f'{half:.2g}'}"
    return f"{mean} [{cases.number(row['ci_low'])} .. {cases.number(row['ci_high'])}]"


def _percent(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return "0.0 %" if value == 0 else f"{value * 100:+.1f} %"


def table_rows(validation: Validation, plus_minus: bool = False) -> list[list[str]]:
    """The table's cells (:data:`HEADERS`), one row per benchmark; the CI as ``[low .. high]`` or ``± half-width``."""
    return [
        [
            row["id"],
            row["use"],
            row["range"],
            _simulated(row, plus_minus),
            _percent(row["relative_error"]),
            "pass" if row["passes"] else "FAIL",
        ]
        for _, row in validation.table.iterrows()
    ]


#: Columns of :func:`table_rows`.
HEADERS = ["ID", "use", "reported", "simulated mean [95 % CI]", "relative error", "result"]


def summary_line(validation: Validation) -> str:
    """'targets: 4 of 5 pass; holdouts: 2 of 3 pass'."""
    parts = []
    for use in ("target", "holdout"):
        rows = validation.table[validation.table["use"] == use]
        parts.append(f"{use}s: {int(rows['passes'].sum())} of {len(rows)} pass")
    return "; ".join(parts)


def run_notes(validation: Validation) -> list[str]:
    """One line per case: which file ran, on which seed, how many replications."""
    notes = []
    for run in validation.runs:
        what = "calibrated" if run.calibrated else "NOT calibrated (no calibrated file; the case scenario ran)"
        notes.append(
            f"{run.files.case.id}: `{_relative(run.path)}` — {what}; seed {run.seed}, {run.replications} replications"
        )
    return notes


def _relative(path: Path) -> str:
    """``path`` relative to the working folder (the repository when run from it), else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def markdown(validation: Validation, command: Sequence[str]) -> str:
    """``VALIDATION.md``: a header (version, seeds, date, command), one line per case, the table, the measures."""
    lines = [
        "# Validation against the reported cases",
        "",
        "Generated by `privsim validate`; do not edit — regenerate with the command below.",
        "",
        f"- privsim {privsim.__version__}, {dt.date.today().isoformat()}",
        f"- command: `{' '.join(command)}`",
        f"- registry: `{_relative(validation.registry)}`",
        *(f"- {note}" for note in run_notes(validation)),
        f"- {summary_line(validation)}",
        "",
        "A benchmark passes when the simulated mean lies within low - tolerance x |low| .. high + tolerance x |high|; "
        "the relative error is against the nearest end of the reported range (0 inside it). "
        "Targets were fitted by `privsim calibrate`; holdouts never were.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(validation)]
    lines += ["", "## What each figure is and how it is measured", ""]
    lines += [
        "| ID | reported | measure | strategy | months | tolerance band | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for _, row in validation.table.iterrows():
        lines.append(
            f"| {row['id']} | {cases.cell(row['reported'])} | `{row['measure']}` | {row['strategy']} | {row['months']} "
            f"| {cases.number(row['band_low'])} .. {cases.number(row['band_high'])} | {cases.cell(row['note'])} |"
        )
    return "\n".join(lines) + "\n"
