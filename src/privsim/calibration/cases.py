"""A case as ``privsim calibrate`` and ``privsim validate`` use it.

Its files (paths in the registry are relative to the registry file), its
benchmarks checked against its scenario before anything runs, the
per-replication values of a benchmark's measure, and how a simulated value
is compared with a reported range.

Comparison. A benchmark with reported range ``[low, high]`` and tolerance
``tol`` *passes* when the simulated mean lies in the band
``[low - tol·|low|, high + tol·|high|]`` (the registry's ``tolerance``). The
*relative error* is the distance to the nearest end of the reported range
divided by that end's magnitude: 0 inside the range, NaN when that end is 0.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from privsim.calibration.measures import RunView, Window, measure
from privsim.calibration.registry import Benchmark, Case, Registry, load_registry
from privsim.calibration.scenario_params import calibrated_text, first_difference, fitted_paths, get_path, set_path
from privsim.core.errors import ScenarioError
from privsim.core.examples import default_registry
from privsim.scenario import Scenario, load_scenario

#: The registry shipped in the package (the commands' default; ``scenarios/cases/benchmarks.yaml`` in a clone).
DEFAULT_REGISTRY = default_registry()


@dataclass(frozen=True)
class CaseFiles:
    """A case of a registry and the files it names, resolved against the registry's folder."""

    registry: Path
    case: Case
    scenario: Path
    calibrated: Path

    @property
    def report(self) -> Path:
        """The calibration report written beside the calibrated scenario."""
        return self.calibrated.with_name(f"{self.case.id.lower()}.calibration.md")

    @property
    def evaluations(self) -> Path:
        """The evaluations of a calibration that has not finished, kept beside the calibrated scenario."""
        return self.calibrated.with_name(f"{self.case.id.lower()}.calibration-evaluations.json")


def case_files(registry_path: str | Path, registry: Registry, case_id: str) -> CaseFiles:
    """The files of ``case_id``; ScenarioError listing the known cases when there is no such case."""
    registry_path = Path(registry_path)
    try:
        case = registry.case(case_id)
    except KeyError:
        known = ", ".join(c.id for c in registry.cases)
        raise ScenarioError(
            str(registry_path), ("cases",), case_id, f"no such case; the registry has {known}"
        ) from None
    base = registry_path.parent
    return CaseFiles(registry_path, case, base / case.scenario, base / case.calibrated)


def load_cases(registry_path: str | Path, case_ids: list[str] | None = None) -> tuple[Registry, list[CaseFiles]]:
    """Load the registry and the named cases (all, in registry order, when ``case_ids`` is empty)."""
    registry = load_registry(registry_path)
    ids = list(case_ids) if case_ids else [c.id for c in registry.cases]
    return registry, [case_files(registry_path, registry, case_id) for case_id in dict.fromkeys(ids)]


def check_calibrated(files: CaseFiles, calibrated_text: str) -> None:
    """The calibrated file is what ``privsim calibrate`` would start from now: fitted for exactly the
    registry's free parameters, and equal to the case scenario but for their values. ScenarioError
    (calibrate again) when the registry or the case scenario changed since."""
    source, case = str(files.calibrated), files.case
    again = f"run privsim calibrate {case.id} again"
    paths = {p.path for p in case.free_parameters}
    fitted = fitted_paths(calibrated_text)
    if not fitted:
        raise ScenarioError(
            source, ("fitted parameters",), "none", f"no privsim calibrate header on its first line; {again}"
        )
    if fitted != paths:
        news = [f"now free in the registry: {', '.join(sorted(paths - fitted))}"] if paths - fitted else []
        news += [f"no longer free: {', '.join(sorted(fitted - paths))}"] if fitted - paths else []
        raise ScenarioError(source, ("fitted parameters",), len(fitted), f"{'; '.join(news)}; {again}")
    calibrated = yaml.safe_load(calibrated_text)
    expected = yaml.safe_load(load_scenario(files.scenario)[1])
    for path in paths:
        with contextlib.suppress(KeyError):  # a value the file leaves at its default stays so
            expected = set_path(expected, path, get_path(calibrated, path))
    where = first_difference(expected, calibrated)
    if where is not None:
        raise ScenarioError(
            source,
            where,
            _at(calibrated, where),
            f"{files.scenario.name} now has {_at(expected, where)} (it changed outside the free parameters since "
            f"the calibration); {again}",
        )


#: The header line :func:`reapplied_text` adds (and replaces, when the values are re-applied again).
REAPPLIED = "values re-applied by privsim calibrate {case} --reapply on {date} to the edited {scenario} (not refitted)"


def reapplied_text(files: CaseFiles, date: str) -> str:
    """The calibrated file for the case scenario as it is now, with the fitted values the calibrated file holds.

    For a change to the case scenario outside its free parameters (e.g. pinning a behaviour the calibration
    ran with, when a default changes): no refit, the same values, the same header (the fit's date, seed and
    loss) with one line saying the values were re-applied. ScenarioError when the calibrated file has no
    privsim calibrate header or was fitted for other free parameters than the registry's (calibrate again).
    """
    source, case = str(files.calibrated), files.case
    try:
        calibrated_text_now = files.calibrated.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, (), None, f"no such file; run privsim calibrate {case.id} first") from None
    paths = [p.path for p in case.free_parameters]
    fitted = fitted_paths(calibrated_text_now)
    if fitted != set(paths):
        raise ScenarioError(
            source,
            ("fitted parameters",),
            ", ".join(sorted(fitted)) or "none",
            f"re-applying needs values fitted for the registry's free parameters ({', '.join(paths)}); "
            f"run privsim calibrate {case.id}",
        )
    calibrated = yaml.safe_load(calibrated_text_now)
    values = {}
    for path in paths:
        with contextlib.suppress(KeyError):  # a value the file leaves at its default stays so
            values[path] = float(get_path(calibrated, path))  # type: ignore[arg-type]
    header = []
    for line in calibrated_text_now.splitlines():
        if line == "#":
            break
        header.append(line.removeprefix("# "))
    note = REAPPLIED.format(case=case.id, date=date, scenario=files.scenario.name)
    header = [line for line in header if not line.startswith("values re-applied by")]
    header.insert(1, note)
    return calibrated_text(load_scenario(files.scenario)[1], values, header)


def _at(document: Any, loc: tuple) -> object:
    """The value at ``loc`` in a parsed YAML document, or ``'nothing'`` where it has no such key."""
    for key in loc:
        try:
            document = document[key]
        except (KeyError, IndexError, TypeError):
            return "nothing"
    return document


def check_benchmarks(source: str, benchmarks: list[Benchmark], scenario: Scenario) -> None:
    """Each benchmark's strategies exist in the scenario and its months lie within the horizon."""
    names = [s.name for s in scenario.strategies]
    months = len(scenario.month_starts())
    finite = [c.name for c in scenario.channels if c.addressable_customers]
    for b in benchmarks:
        for field, name in (("strategy", b.strategy), ("versus", b.versus)):
            if name is not None and name not in names:
                raise ScenarioError(
                    source,
                    (f"benchmarks[{b.id}]", field),
                    name,
                    f"no such strategy in the case scenario; it has {', '.join(names)}",
                )
        if b.measure == "channel_coverage_share" and b.argument not in finite:
            raise ScenarioError(
                source,
                (f"benchmarks[{b.id}]", "argument"),
                b.argument,
                f"channel_coverage_share needs a channel with addressable_customers; the case scenario has "
                f"{', '.join(finite) or 'none'}",
            )
        if b.months[1] >= months:
            raise ScenarioError(
                source,
                (f"benchmarks[{b.id}]", "months"),
                list(b.months),
                f"the case scenario has months 0 .. {months - 1} only",
            )


def strategies_of(benchmarks: list[Benchmark]) -> list[str]:
    """The strategies the benchmarks are measured on (with their ``versus``), without repeats."""
    names = [n for b in benchmarks for n in (b.strategy, b.versus) if n is not None]
    return list(dict.fromkeys(names))


def benchmark_values(view: RunView, b: Benchmark, source: str) -> np.ndarray:
    """Per-replication values of the benchmark's measure; ScenarioError when the run lacks what it reads."""
    try:
        return measure(view, b.measure, b.strategy, Window(*b.months), b.argument, b.versus)
    except (KeyError, ValueError) as err:
        reason = err.args[0] if err.args else str(err)
        raise ScenarioError(
            source, (f"benchmarks[{b.id}]", "measure"), b.measure, f"cannot be measured: {reason}"
        ) from None


def band(b: Benchmark) -> tuple[float, float]:
    """The interval a simulated value must lie in to pass."""
    return b.low - b.tolerance * abs(b.low), b.high + b.tolerance * abs(b.high)


def passes(b: Benchmark, simulated: float) -> bool:
    low, high = band(b)
    return bool(math.isfinite(simulated) and low <= simulated <= high)


def relative_error(b: Benchmark, simulated: float) -> float:
    """Signed distance to the nearest end of the reported range, relative to it (0 inside; NaN if that end is 0)."""
    if not math.isfinite(simulated):
        return math.nan
    if b.low <= simulated <= b.high:
        return 0.0
    end = b.low if simulated < b.low else b.high
    return (simulated - end) / abs(end) if end != 0 else math.nan


def reported_range(b: Benchmark) -> str:
    """``low`` or ``low .. high``, as numbers."""
    low, high = number(b.low), number(b.high)
    return low if low == high else f"{low} .. {high}"


def number(value: float) -> str:
    """A figure for a table: thousands separators from 1,000, else 4 significant figures; n/a for NaN."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def cell(text: str) -> str:
    """Text for a markdown table cell (one line, pipes escaped)."""
    return " ".join(str(text).split()).replace("|", "\\|")
