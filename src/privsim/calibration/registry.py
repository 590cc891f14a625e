"""The benchmark registry: the cases, their free parameters, and every reported figure to compare with.

Loaded from ``scenarios/cases/benchmarks.yaml`` (paths in it are relative
to that file). Each benchmark names its use (``target``: fitted by
``privsim calibrate``; ``holdout``: never fitted, only reported by
``privsim validate``), the reported value or range, a tolerance, the
measure it is compared with (:mod:`privsim.calibration.measures`), the
strategy and the window of months. ``input`` figures are not here: they are
set in the case scenarios, with a comment naming their ID.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from privsim.config.base import Model, NonNegative, Share
from privsim.config.validation import format_validation_error
from privsim.core.errors import ScenarioError


class FreeParameter(Model):
    """A behaviour parameter the interviews do not give, fitted within bounds, shared by all of a case's strategies."""

    path: str = Field(
        pattern=r"^(behaviour|population)\.[a-z_.]+$",
        description="Dotted path into the scenario, e.g. behaviour.trust.dropout_sensitivity.",
    )
    low: float = Field(description="Lower bound.")
    high: float = Field(description="Upper bound.")
    reason: str = Field(min_length=1, description="Why it is free and why these bounds.")

    @model_validator(mode="after")
    def _ordered(self) -> FreeParameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Case(Model):
    """One interview's world."""

    id: str = Field(pattern=r"^[A-Z]+$", description="Case ID, e.g. APPAREL.")
    source: str = Field(description="Seed file name of the interview, e.g. 002_8f8864a3430def0b.txt.")
    scenario: str = Field(description="Case scenario file, relative to the registry.")
    calibrated: str = Field(description="Calibrated scenario written by `privsim calibrate`, relative to the registry.")
    sampling_fraction: Share = Field(
        1.0, gt=0.0, description="Simulated members per real member; counts are scaled back by 1 / fraction."
    )
    replications: int = Field(6, ge=1, description="Replications `privsim validate` runs.")
    calibration_replications: int = Field(2, ge=1, description="Replications per evaluation in `privsim calibrate`.")
    free_parameters: tuple[FreeParameter, ...] = Field((), description="Parameters fitted to the targets.")


class Benchmark(Model):
    """A reported figure and how the simulation is compared with it."""

    id: str = Field(pattern=r"^[A-Z]+-[A-Z0-9-]+$", description="ID from BENCHMARKS.md, e.g. APPAREL-CLEAR-GMV.")
    case: str = Field(description="Case ID.")
    use: Literal["target", "holdout"] = Field(description="target: fitted; holdout: only reported.")
    reported: str = Field(description="The figure as the interview gives it.")
    low: float = Field(description="Lower end of the reported range (a single figure: low = high).")
    high: float = Field(description="Upper end of the reported range.")
    tolerance: NonNegative = Field(
        0.2, description="Relative slack: passes when low - tol x |low| <= simulated <= high + tol x |high|."
    )
    weight: NonNegative = Field(
        1.0, description="Weight of a target in the calibration loss (a weak proxy may get less; 0 = report only)."
    )
    measure: str = Field(description="Name of a measure in privsim.calibration.measures.")
    argument: str | None = Field(None, description="The measure's argument (a pool, tier or channel name), if any.")
    strategy: str = Field(description="Strategy of the case scenario the measure is taken on.")
    versus: str | None = Field(None, description="For ratio measures: the strategy in the denominator.")
    months: tuple[int, int] = Field(description="First and last month (0-based, inclusive) of the window.")
    note: str = Field("", description="How the figure was read, and what the comparison leaves out.")

    @model_validator(mode="after")
    def _ordered(self) -> Benchmark:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        if self.months[0] > self.months[1] or self.months[0] < 0:
            raise ValueError(f"months must be (first, last) with 0 <= first <= last, got {self.months}")
        return self


class Registry(Model):
    """All cases and benchmarks."""

    cases: tuple[Case, ...] = Field(min_length=1)
    benchmarks: tuple[Benchmark, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Registry:
        from privsim.calibration.measures import MEASURES, NEEDS_ARGUMENT, NEEDS_VERSUS

        ids = [b.id for b in self.benchmarks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"benchmark IDs must be unique; repeated: {duplicates}")
        cases = {c.id for c in self.cases}
        for b in self.benchmarks:
            if b.case not in cases:
                raise ValueError(f"{b.id}: case {b.case!r} is not one of {sorted(cases)}")
            if b.measure not in MEASURES:
                raise ValueError(f"{b.id}: measure {b.measure!r} is not one of {sorted(MEASURES)}")
            if b.measure in NEEDS_ARGUMENT and not b.argument:
                raise ValueError(f"{b.id}: measure {b.measure!r} needs an `argument` (a pool, tier or channel name)")
            if b.measure in NEEDS_VERSUS and not b.versus:
                raise ValueError(f"{b.id}: measure {b.measure!r} needs a `versus` strategy")
        return self

    def case(self, case_id: str) -> Case:
        for c in self.cases:
            if c.id == case_id:
                return c
        raise KeyError(case_id)

    def benchmarks_of(self, case_id: str) -> list[Benchmark]:
        return [b for b in self.benchmarks if b.case == case_id]


def load_registry(path: str | Path) -> Registry:
    """Read and validate the registry; ScenarioError (file, field, value, what is allowed) on bad input."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), (), None, "no such file") from None
    except yaml.YAMLError as err:
        raise ScenarioError(str(path), (), None, f"malformed YAML ({err})".splitlines()[0]) from None
    try:
        return Registry.model_validate(data)
    except ValidationError as err:
        raise format_validation_error(err, str(path), Registry) from None
