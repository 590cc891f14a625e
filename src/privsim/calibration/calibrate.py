"""``privsim calibrate``: fit a case's free parameters to its ``target`` figures (never its holdouts).

Simulated method of moments. The loss of a parameter vector is the sum over
the case's targets of

    ((s - clamp(s, lo, hi)) / scale)**2  +  PULL * ((s - centre) / reach)**2

where ``s`` is the target's measure averaged over the case's
``calibration_replications``, ``[lo, hi]`` the target's tolerance band
(:func:`privsim.calibration.cases.band`), ``scale = tolerance x
max(|low|, |high|)`` (the band's slack; the magnitude itself when the
tolerance is 0), ``centre`` the middle of the reported range and ``reach``
the distance from the centre to the band's farther end. The first term is 0
inside the band and grows with the miss in units of the slack; the second
pulls towards the centre, so the optimiser has a direction inside the band,
and is at most ``PULL`` (0.1) for a value inside it: a target that passes
costs at most 0.1. A measure that cannot be computed (NaN) costs ``NAN_LOSS``.
If benchmarks carry a ``weight`` (not yet a registry field: a weak proxy
would get a small one), both terms are multiplied by it; the default is 1.

Common random numbers: every evaluation runs replications ``0 ..
calibration_replications - 1`` on the case scenario's own seed, so the loss
is a deterministic function of the parameters and differences between two
parameter vectors are not drowned in sampling noise.

Optimiser, on the parameters scaled to [0, 1] and rounded to 4 significant
figures (the values written are the values evaluated): half the budget for
a seeded :func:`scipy.optimize.differential_evolution` (a Latin-hypercube
population that includes the case scenario's own values, no polish), the
rest for :func:`scipy.optimize.least_squares` (trust-region Gauss-Newton on
the residuals, bounded) from the best point found, with forward differences
of ``STEP`` = 0.05: wide enough to see through the small-scale roughness of
a simulated loss. It stops at the budget of evaluations; repeated points
are not re-run. The result is the best point evaluated; the same seed gives
the same result (``jobs`` only spreads evaluations over processes).

Common random numbers hold only as far as the engine keeps its draws
aligned: a parameter that changes how many random numbers a draw consumes
(the Beta of ``population.dropout_after_purchase``, the Gamma *shape* of
``population.purchase_rate``, which numpy samples by rejection) redraws the
members' traits at every new value, and the loss in it is as noisy as a
fresh sample; means and scales (``purchase_rate.mean_per_year``,
``order_value.mean_rmb``) and the behaviour multipliers stay smooth.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import differential_evolution, least_squares

from privsim.calibration.cases import (
    DEFAULT_REGISTRY,
    CaseFiles,
    benchmark_values,
    check_benchmarks,
    load_cases,
    passes,
    strategies_of,
)
from privsim.calibration.kept import KeptEvaluations
from privsim.calibration.loss import target_loss, target_residuals
from privsim.calibration.measures import RunView
from privsim.calibration.registry import Benchmark, FreeParameter
from privsim.calibration.report import CalibrationResult, TargetFit, calibrated_header, report_markdown
from privsim.calibration.scenario_params import (
    calibrated_text,
    check_parameters,
    parameter_value,
    with_parameters,
)
from privsim.core.errors import Interrupted, OptionError, ScenarioError
from privsim.core.io import write_file
from privsim.core.progress import Progress
from privsim.runner import end_with_parent, run_scenario
from privsim.scenario import load_scenario, scenario_hash

#: Significant figures of the fitted values.
DIGITS = 4
#: Step of the finite differences of the local stage, on the parameters scaled to [0, 1]
#: (wide enough to see through the small-scale roughness of a simulated loss).
STEP = 0.05
#: Smallest budget: a population of 5 and a few local steps.
MIN_BUDGET = 10


@dataclass(frozen=True)
class _Problem:
    """The loss as a picklable function of the scaled parameters (evaluated in worker processes too)."""

    data: dict
    source: str
    registry: str
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Benchmark, ...]
    strategies: tuple[str, ...]
    replications: int
    sampling_fraction: float
    jobs: int = 1

    def values(self, u: np.ndarray) -> tuple[float, ...]:
        """Scaled [0, 1] → parameter values, rounded to DIGITS significant figures, within the bounds."""
        out = []
        for p, x in zip(self.parameters, np.clip(u, 0.0, 1.0), strict=True):
            value = float(f"{p.low + float(x) * (p.high - p.low):.{DIGITS}g}")
            out.append(min(max(value, p.low), p.high))
        return tuple(out)

    def simulate(self, values: tuple[float, ...]) -> np.ndarray:
        """Each target's measure, averaged over the calibration replications (common random numbers)."""
        _, scenario = with_parameters(self.data, self.parameters, values, self.source)
        run = run_scenario(
            scenario,
            replications=self.replications,
            seed=scenario.seed,
            strategies=list(self.strategies),
            jobs=self.jobs,
            source=self.source,
            command=[],
        )
        view = RunView(run.tables, self.sampling_fraction)
        means = []
        for b in self.targets:
            values_ = benchmark_values(view, b, self.registry)
            finite = values_[np.isfinite(values_)]
            means.append(float(finite.mean()) if len(finite) else math.nan)
        return np.array(means)

    def residuals(self, simulated: np.ndarray) -> np.ndarray:
        """Every target's residuals (:func:`target_residuals`); the loss is the sum of their squares."""
        return np.array([r for b, x in zip(self.targets, simulated, strict=True) for r in target_residuals(b, x)])

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return self.simulate(self.values(u))


class _BudgetSpent(Exception):
    pass


@dataclass
class _Evaluator:
    """Counts evaluations against the budget, skips repeated points, keeps the best; runs batches in parallel."""

    problem: _Problem
    budget: int
    progress: Progress | None
    pool: ProcessPoolExecutor | None = None
    kept: KeptEvaluations | None = None
    simulated: dict[tuple[float, ...], np.ndarray] = field(default_factory=dict)
    cache: dict[tuple[float, ...], np.ndarray] = field(default_factory=dict)
    best: tuple[float, tuple[float, ...]] = (math.inf, ())

    def batch(self, points: list[np.ndarray]) -> list[np.ndarray]:
        """The residuals at each scaled point, in order; new points run in parallel (_BudgetSpent past the budget)."""
        keys = [self.problem.values(u) for u in points]
        new = [v for v in dict.fromkeys(keys) if v not in self.cache][: self.budget - len(self.cache)]
        if new:
            scaled = [_scaled(self.problem.parameters, v) for v in new]
            if self.pool is not None and len(new) > 1:  # one point per process
                results = self.pool.map(replace(self.problem, jobs=1), scaled)
            else:  # one point at a time, its replications spread over ``jobs`` processes
                results = map(self.problem, scaled)
            for values, simulated in zip(new, results, strict=True):
                if self.kept is not None:  # kept first: a progress callback that stops the calibration loses nothing
                    self.kept.keep(values, simulated)
                self.add(values, simulated)
        if any(v not in self.cache for v in keys):
            raise _BudgetSpent
        return [self.cache[v] for v in keys]

    def add(self, values: tuple[float, ...], simulated: np.ndarray) -> None:
        """Count the evaluation at ``values`` (the targets' means ``simulated``); kept ones are added in the order
        they were evaluated, so the best is the same as if they had been evaluated now."""
        self.simulated[values] = simulated
        residuals = self.cache[values] = self.problem.residuals(simulated)
        loss = float(residuals @ residuals)
        if loss < self.best[0]:
            self.best = (loss, values)
        if self.progress:
            self.progress(len(self.cache), self.budget)

    def residuals(self, u: np.ndarray) -> np.ndarray:
        return self.batch([u])[0]

    def loss(self, u: np.ndarray) -> float:
        residuals = self.residuals(u)
        return float(residuals @ residuals)

    def losses(self, _func: object, population: Iterable[np.ndarray]) -> list[float]:
        """Differential evolution's ``workers``: the population's losses, in order."""
        return [float(r @ r) for r in self.batch(list(population))]

    def jacobian(self, u: np.ndarray) -> np.ndarray:
        """Forward differences of the residuals with steps of STEP (towards the inside of [0, 1])."""
        here = self.problem.values(u)
        x = _scaled(self.problem.parameters, here)
        steps = np.where(x + STEP <= 1.0, STEP, -STEP)
        points = [x, *(x + np.eye(len(x))[i] * steps[i] for i in range(len(x)))]
        r0, *moved = self.batch(points)
        columns = []
        for i, r in enumerate(moved):
            h = _scaled(self.problem.parameters, self.problem.values(points[i + 1]))[i] - x[i]
            columns.append((r - r0) / h if h else np.zeros_like(r0))
        return np.column_stack(columns)


def _scaled(parameters: tuple[FreeParameter, ...], values: tuple[float, ...]) -> np.ndarray:
    return np.array([(v - p.low) / (p.high - p.low) for p, v in zip(parameters, values, strict=True)])


def _seed_keyword(function: Callable, seed: int) -> dict:
    """scipy >= 1.15 calls the seed ``rng``; older versions ``seed``."""
    return {"rng": seed} if "rng" in inspect.signature(function).parameters else {"seed": seed}


def _optimise(evaluator: _Evaluator, start: np.ndarray, seed: int) -> None:
    """Differential evolution on half the budget, then Gauss-Newton (least squares) from the best point."""
    d, budget = len(start), evaluator.budget
    size = max(5, min(4 * d, budget // 2))
    rng = np.random.default_rng(seed)
    strata = np.argsort(rng.random((size, d)), axis=0)
    population = (strata + rng.random((size, d))) / size  # Latin hypercube
    population[0] = np.clip(start, 0.0, 1.0)
    generations = max(0, (budget // 2 - size) // size)
    try:
        differential_evolution(
            evaluator.loss,
            [(0.0, 1.0)] * d,
            maxiter=generations,
            init=population,
            polish=False,
            tol=0.0,
            updating="deferred",
            workers=evaluator.losses,
            **_seed_keyword(differential_evolution, seed),
        )
        least_squares(
            evaluator.residuals,
            _scaled(evaluator.problem.parameters, evaluator.best[1]),
            jac=evaluator.jacobian,
            bounds=(0.0, 1.0),
            method="trf",
            x_scale=1.0,
            max_nfev=budget,
        )
    except _BudgetSpent:
        pass


def calibrate_case(
    registry: str | Path,
    case_id: str,
    *,
    budget: int = 60,
    seed: int = 0,
    jobs: int = 1,
    progress: Progress | None = None,
    write: bool = True,
    resume: bool = False,
) -> CalibrationResult:
    """Fit ``case_id``'s free parameters to its targets; write the calibrated scenario and the report.

    ``registry`` is the path of ``benchmarks.yaml``. ``budget``: most
    evaluations of the loss (each runs every target strategy
    ``calibration_replications`` times); ``seed``: the optimiser's;
    ``jobs``: worker processes (0 = one per CPU). With ``write=False``
    nothing is written. Bad input raises ScenarioError (OptionError for a
    bad ``budget``, ``seed`` or ``jobs``) before the optimiser starts (the
    case's own values are evaluated first, in this process).

    Each evaluation is kept as it finishes (:class:`~privsim.calibration.kept.KeptEvaluations`, beside the
    calibrated file; removed once the files are written). Stopped by Ctrl-C or SIGTERM (KeyboardInterrupt), the
    calibration raises :class:`~privsim.core.errors.Interrupted` saying how many were kept, and ``resume=True``
    (``--resume``) with the same case, seed and budget answers those points from the file, for the same fitted
    values and loss as an uninterrupted calibration.
    """
    registry = Path(registry)
    source = str(registry)
    if budget < MIN_BUDGET:
        raise OptionError("--budget", budget, f"must be at least {MIN_BUDGET} evaluations")
    if seed < 0:
        raise OptionError("--seed", seed, "must be a non-negative integer")
    if jobs < 0:
        raise OptionError("--jobs", jobs, "must be 0 (one per CPU) or a positive number of processes")
    if resume and not write:
        raise OptionError("--resume", True, "needs the calibration to write its files (write=True)")
    reg, (files,) = load_cases(registry, [case_id])
    case = files.case
    targets = [b for b in reg.benchmarks_of(case.id) if b.use == "target"]
    if not case.free_parameters:
        raise ScenarioError(source, ("cases", case.id, "free_parameters"), [], "the case has no free parameters to fit")
    if not targets:
        raise ScenarioError(source, ("cases", case.id), case.id, "the case has no target benchmarks to fit to")
    scenario, text = load_scenario(files.scenario)
    data = yaml.safe_load(text)
    check_parameters(data, case.free_parameters, str(files.scenario))
    check_benchmarks(source, targets, scenario)
    problem = _Problem(
        data=data,
        source=str(files.scenario),
        registry=source,
        parameters=case.free_parameters,
        targets=tuple(targets),
        strategies=tuple(strategies_of(targets)),
        replications=case.calibration_replications,
        sampling_fraction=case.sampling_fraction,
        jobs=jobs,
    )
    start = {p.path: parameter_value(scenario, p.path) for p in case.free_parameters}
    clock = time.perf_counter()
    workers = (os.cpu_count() or 1) if jobs == 0 else jobs
    evaluator = _Evaluator(problem, budget, progress)
    if write:
        evaluator.kept = _kept_evaluations(files, problem, text, seed, budget, resume)
        for values, simulated in evaluator.kept.evaluations:
            evaluator.add(values, simulated)
    start_scaled = np.clip(_scaled(case.free_parameters, tuple(start.values())), 0.0, 1.0)
    try:
        # The case's own values first, in this process: a benchmark the run cannot measure fails here, clearly.
        start_residuals = evaluator.residuals(start_scaled)
        if workers > 1:
            with ProcessPoolExecutor(workers, initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
                evaluator.pool = pool
                try:
                    _optimise(evaluator, start_scaled, seed)
                except BaseException:
                    _end_workers(pool)  # leaving the block would wait for every point of the batch
                    raise
        else:
            _optimise(evaluator, start_scaled, seed)
    except KeyboardInterrupt:
        kept = evaluator.kept
        raise Interrupted(
            f"{kept.path}: {len(kept.evaluations)} of {budget} evaluations finished and are kept there; finish the "
            f"calibration with {_resume_command(files, budget, seed)}"
            if kept is not None and kept.evaluations
            else "stopped before an evaluation finished; nothing was kept"
        ) from None
    best = evaluator.best[1]
    simulated = evaluator.simulated[best]
    result = CalibrationResult(
        case=case.id,
        parameters=case.free_parameters,
        start=start,
        start_loss=float(start_residuals @ start_residuals),
        values=dict(zip((p.path for p in case.free_parameters), best, strict=True)),
        loss=float(np.sum(problem.residuals(simulated) ** 2)),
        targets=tuple(
            TargetFit(b, float(s), target_loss(b, float(s)), passes(b, float(s)))
            for b, s in zip(targets, simulated, strict=True)
        ),
        evaluations=len(evaluator.cache),
        budget=budget,
        seconds=time.perf_counter() - clock,
        seed=seed,
        scenario_seed=scenario.seed,
        replications=case.calibration_replications,
        files=files,
        date=dt.date.today().isoformat(),
    )
    if not write:
        return result
    write_file(files.calibrated, calibrated_text(text, result.values, calibrated_header(result)))
    write_file(files.report, report_markdown(result))
    if evaluator.kept is not None:
        evaluator.kept.remove()
    return replace(result, written=True)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Drop the points ``pool`` has not started and kill its workers (they write nothing; what they were
    evaluating is lost, the evaluations that finished are kept)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)  # (which forgets the processes)
    for process in processes:
        process.kill()


def _kept_evaluations(
    files: CaseFiles, problem: _Problem, scenario_text: str, seed: int, budget: int, resume: bool
) -> KeptEvaluations:
    """The case's kept evaluations file, holding those to resume from (``resume``); see :mod:`.kept`."""
    identity = {
        "case": files.case.id,
        "free_parameters": [p.model_dump(mode="json") for p in problem.parameters],
        "targets": [b.model_dump(mode="json") for b in problem.targets],
        "sampling_fraction": problem.sampling_fraction,
        "scenario_sha256": scenario_hash(scenario_text),
        "seed": seed,
        "budget": budget,
        "replications": problem.replications,
    }
    identity = json.loads(json.dumps(identity))  # as it reads back from the file
    return KeptEvaluations.open(files.evaluations, identity, resume, _resume_command(files, budget, seed))


def _resume_command(files: CaseFiles, budget: int, seed: int) -> str:
    """The command that resumes the calibration of ``files``' case with this budget and seed."""
    registry = "" if files.registry.resolve() == DEFAULT_REGISTRY.resolve() else f" --registry {files.registry}"
    return f"privsim calibrate {files.case.id}{registry} --budget {budget} --seed {seed} --resume"
