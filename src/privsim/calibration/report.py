"""What a calibration found (:class:`CalibrationResult`) and the report and header it writes."""

from __future__ import annotations

from dataclasses import dataclass

from privsim.calibration.cases import CaseFiles, band, cell, number
from privsim.calibration.loss import PULL
from privsim.calibration.registry import Benchmark, FreeParameter
from privsim.calibration.scenario_params import yaml_number


@dataclass(frozen=True)
class TargetFit:
    """A target at the fitted values."""

    benchmark: Benchmark
    simulated: float
    loss: float
    passes: bool


@dataclass(frozen=True)
class CalibrationResult:
    """What ``privsim calibrate`` found and wrote."""

    case: str
    parameters: tuple[FreeParameter, ...]
    start: dict[str, float]
    start_loss: float
    values: dict[str, float]
    loss: float
    targets: tuple[TargetFit, ...]
    evaluations: int
    budget: int
    seconds: float
    seed: int
    scenario_seed: int
    replications: int
    files: CaseFiles
    date: str
    written: bool = False


def calibrated_header(result: CalibrationResult) -> list[str]:
    """The comment lines at the top of a calibrated scenario: how it was made and what it holds."""
    values = ", ".join(f"{path} = {yaml_number(v)}" for path, v in result.values.items())
    return [
        f"calibrated by privsim calibrate {result.case} on {result.date}, seed {result.seed}, loss {result.loss:.4g}; "
        f"values: {values}",
        f"from {result.files.case.scenario} (free parameters and targets in {result.files.registry.name}); "
        f"report: {result.files.report.name}.",
        "Do not edit: regenerate with privsim calibrate.",
    ]


#: A fitted value this close to a bound, as a share of the parameter's range, is reported as at the bound.
AT_BOUND = 0.01


def report_markdown(result: CalibrationResult) -> str:
    """The calibration report: fitted values, loss per target, evaluations, time and seeds."""
    case = result.files.case
    at_bound = {
        p.path
        for p in result.parameters
        if min(result.values[p.path] - p.low, p.high - result.values[p.path]) <= AT_BOUND * (p.high - p.low)
    }
    lines = [
        f"# Calibration of {result.case}",
        "",
        f"Written by `privsim calibrate {result.case} --seed {result.seed} --budget {result.budget}` "
        f"on {result.date}; regenerate, do not edit.",
        "",
        f"- case scenario: `{case.scenario}`; calibrated scenario: `{case.calibrated}`",
        f"- common random numbers: every evaluation ran replications 0 .. {result.replications - 1} "
        f"on the scenario's seed {result.scenario_seed}",
        f"- optimiser: differential evolution (seed {result.seed}) then least squares (Gauss-Newton), "
        f"on the parameters scaled to [0, 1]; {result.evaluations} evaluations of a budget of {result.budget}, "
        f"{result.seconds:.1f} s",
        f"- loss: {result.loss:.4g}, from {result.start_loss:.4g} at the case scenario's values "
        f"(a target inside its tolerance band costs at most {PULL}); "
        f"targets passing: {sum(t.passes for t in result.targets)} of {len(result.targets)}",
        "",
        "## Free parameters",
        "",
        "| parameter | case value | fitted | low | high | why free |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for p in result.parameters:
        fitted = f"{result.values[p.path]:.4g}" + (" (at a bound)" if p.path in at_bound else "")
        lines.append(
            f"| `{p.path}` | {result.start[p.path]:.4g} | {fitted} | {p.low:g} | {p.high:g} | {cell(p.reason)} |"
        )
    if at_bound:
        lines += [
            "",
            f"At a bound (within {AT_BOUND:.0%} of the range): the targets pull these beyond their bounds, so the "
            "bound, not the data, set them; widen it if the reason allows, or read the fit as strained there.",
        ]
    lines += [
        "",
        f"## Targets (mean of {result.replications} replications)",
        "",
        "| ID | reported | band | simulated | loss | pass |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for t in result.targets:
        lo, hi = band(t.benchmark)
        lines.append(
            f"| {t.benchmark.id} | {cell(t.benchmark.reported)} | {number(lo)} .. {number(hi)} "
            f"| {number(t.simulated)} | {t.loss:.3g} | {'pass' if t.passes else 'FAIL'} |"
        )
    lines += [
        "",
        "Loss per target: ((s - clamp(s, band)) / (tolerance x max(|low|, |high|)))^2 "
        f"+ {PULL} x ((s - centre of the reported range) / (centre to the farther end of the band))^2.",
        "",
    ]
    return "\n".join(lines)
