"""Scenario files: the world a brand operates in and the strategies to compare.

A scenario is a YAML file validated by the frozen pydantic models of
:mod:`privsim.config` (``extra="forbid"``: an unknown field is an error, not
silently ignored) and the strategies below. Every field carries a
description with its unit. :func:`load_scenario` turns a path into a
:class:`Scenario` or raises :class:`~privsim.core.errors.ScenarioError`
naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from privsim.config.base import Model
from privsim.config.scenario_base import FieldError, ScenarioBase, unique
from privsim.config.validation import format_validation_error
from privsim.core.errors import ScenarioError
from privsim.policies import PolicySpec


class Strategy(Model):
    """A named list of policies run together."""

    name: str = Field(description="Unique strategy name; the first strategy is the baseline of paired differences.")
    description: str = Field("", description="Free text shown in reports.")
    policies: tuple[PolicySpec, ...] = Field((), description="Policies run together, selected by `kind:`.")


class Scenario(ScenarioBase):
    """A brand's world and the strategies to compare in it."""

    strategies: tuple[Strategy, ...] = Field(
        min_length=1, description="Strategies compared; the first is the baseline."
    )

    @model_validator(mode="after")
    def _check_strategies(self) -> Scenario:
        unique(self.strategies, "strategies")
        for i, strategy in enumerate(self.strategies):
            for j, policy in enumerate(strategy.policies):
                for field, value, allowed in policy.check(self, strategy):
                    raise FieldError(("strategies", i, "policies", j, *field), value, allowed)
        return self

    def strategy(self, name: str) -> Strategy:
        """The strategy called ``name``; ``KeyError`` listing the names if there is none."""
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(f"no strategy {name!r}; the scenario has {[s.name for s in self.strategies]}")


def scenario_hash(text: str) -> str:
    """SHA-256 of the scenario file's text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_scenario(data: object, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data; raise ScenarioError on bad input."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source, (), None, f"found {found}; a scenario must be a mapping of fields (name:, horizon_days:, ...)"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        cause = _cross_field_cause(err)
        if cause is not None:
            raise ScenarioError(source, cause.loc, cause.value, cause.allowed) from None
        raise format_validation_error(err, source, Scenario) from None


def _cross_field_cause(err: ValidationError) -> FieldError | None:
    for e in err.errors():
        ctx_error = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldError):
            return ctx_error
    return None


def load_scenario(path: str | Path) -> tuple[Scenario, str]:
    """Read and validate a scenario file; return the scenario and the file's text.

    Raises ScenarioError (one line: file, field path, value, what is allowed).
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, (), None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(source, (), None, "is a directory, expected a scenario .yaml file") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(source, (), None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(source, (), None, f"{where}malformed YAML ({problem})") from None
    return parse_scenario(data, source), text
