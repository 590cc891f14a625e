"""Scenario files: the world a brand operates in and the strategies to compare.

A scenario is a YAML file validated by the frozen pydantic models of
:mod:`privsim.config` (``extra="forbid"``: an unknown field is an error, not
silently ignored) and the strategies below. Every field carries a
description with its unit. :func:`load_scenario` turns a path into a
:class:`Scenario` or raises :class:`~privsim.core.errors.ScenarioError`
naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from privsim.behaviour import mean_invitations
from privsim.config.base import Days, Model, Name
from privsim.config.scenario_base import FieldError, ScenarioBase, unique
from privsim.config.validation import format_validation_error
from privsim.core.errors import ScenarioError, show_value
from privsim.policies import PolicySpec
from privsim.policies.base import Policy, Problem, StrategyLike
from privsim.policies.rewards import RewardSpec

#: Most invitations one member may be expected to send in one referral campaign (the mean of a Poisson draw).
MAX_INVITATIONS = 1000


class Phase(Model):
    """One era of a strategy: its policies run from its start until the next phase starts (or its own end).

    A phase starts on a day (``start_day``) or a calendar date
    (``start_date``); the first phase starts at day 0, and each later one
    after the one before it, within the horizon. A phase may end early
    (``end_day`` or ``end_date``): from then until the next phase starts (or
    to the end of the horizon) no policy runs, as under strategy ``none``.
    """

    name: str = Field("", description="Label of the era, e.g. 'clearance era' (free text).")
    start_day: Days | None = Field(
        None,
        ge=0,
        description="Day (0-based) the phase starts; give this or start_date, not both. Default null; "
        "from 0 (the first phase) to horizon_days - 1.",
    )
    start_date: dt.date | None = Field(
        None,
        description="Calendar date the phase starts (its day is start_date minus the scenario's start_date); "
        "give this or start_day, not both. Default null.",
    )
    #: Default null: the phase lasts until the next phase starts (the last one, to the end of the run).
    end_day: Days | None = Field(
        None, ge=1, description="First day it no longer runs, 1 to horizon_days; default null."
    )
    end_date: dt.date | None = Field(None, description="First date it no longer runs, or end_day; default null.")
    policies: tuple[PolicySpec, ...] = Field((), description="Policies run together in this phase, by `kind:`.")

    def first_day(self, start: dt.date) -> int | None:
        """Day the phase starts in a run whose day 0 is ``start``; None if neither start is given."""
        return _day(self.start_day, self.start_date, start)

    def last_day(self, start: dt.date) -> int | None:
        """First day the phase no longer runs (exclusive end) in a run whose day 0 is ``start``; None = no end."""
        return _day(self.end_day, self.end_date, start)


def _day(day: int | None, date: dt.date | None, start: dt.date) -> int | None:
    """``day``, else ``date`` as days after ``start``, else None."""
    return day if day is not None else None if date is None else (date - start).days


class Era(NamedTuple):
    """Days ``first_day`` (inclusive) to ``end_day`` (exclusive) of a run, and the policies active on them."""

    first_day: int
    end_day: int
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class _PhaseOfStrategy:
    """A phase as the strategy its policies are checked in (a companion policy must be in the same phase)."""

    name: str
    policies: tuple[Policy, ...]


class Strategy(Model):
    """A named list of policies run together, or a list of phases (eras), each with its own policies.

    A strategy gives either ``policies`` (one era over the whole horizon) or
    ``phases``. At a switch from one phase to the next, what the World
    derives from the policies follows the new phase (placement order,
    channel incentives, push past the add cap, timed events, standing
    discounts, daily actions; see :class:`privsim.sim.world.World`); the
    members and everything done to them carry over.
    """

    name: Name = Field(description="Unique strategy name; the first strategy is the baseline of paired differences.")
    description: str = Field("", description="Free text shown in reports.")
    policies: tuple[PolicySpec, ...] = Field(
        (), description="Policies run together over the whole horizon, selected by `kind:`; or give `phases`."
    )
    phases: tuple[Phase, ...] = Field(
        (),
        description="Eras of the strategy in order, the first from day 0, each with its own policies; "
        "default empty: the strategy is its `policies` over the whole horizon.",
    )

    def eras(self, scenario: ScenarioBase) -> tuple[Era, ...]:
        """The horizon cut into consecutive eras with their policies, from day 0 to ``horizon_days``.

        A strategy without phases is one era; a phase that ends before the next
        one starts leaves an era without policies in between.
        """
        horizon, start = scenario.horizon_days, scenario.start_date
        if not self.phases:
            return (Era(0, horizon, self.policies),)
        firsts = [phase.first_day(start) or 0 for phase in self.phases]
        eras: list[Era] = []
        for phase, first, next_first in zip(self.phases, firsts, [*firsts[1:], horizon], strict=True):
            end = phase.last_day(start)
            end = next_first if end is None else min(end, next_first)
            eras.append(Era(first, end, phase.policies))
            if end < next_first:
                eras.append(Era(end, next_first, ()))
        return tuple(eras)

    def checked_policies(self) -> list[tuple[tuple[str | int, ...], StrategyLike, tuple[Policy, ...]]]:
        """Each set of policies run together, with its field path and the strategy its policies are checked in."""
        if not self.phases:
            return [(("policies",), self, self.policies)]
        return [
            (("phases", k, "policies"), _PhaseOfStrategy(f"{self.name}, phase {k}", phase.policies), phase.policies)
            for k, phase in enumerate(self.phases)
        ]


class Scenario(ScenarioBase):
    """A brand's world and the strategies to compare in it."""

    strategies: tuple[Strategy, ...] = Field(
        min_length=1, description="Strategies compared; the first is the baseline."
    )

    @model_validator(mode="after")
    def _check_strategies(self) -> Scenario:
        unique(self.strategies, "strategies")
        for i, strategy in enumerate(self.strategies):
            for field, value, allowed in self._phase_problems(strategy):
                raise FieldError(("strategies", i, *field), value, allowed)
            for path, checked_in, policies in strategy.checked_policies():
                for j, policy in enumerate(policies):
                    for field, value, allowed in [*policy.check(self, checked_in), *self._reward_problems(policy)]:
                        raise FieldError(("strategies", i, *path, j, *field), value, allowed)
        return self

    def _phase_problems(self, strategy: Strategy) -> list[Problem]:
        """Phases given with policies, a missing or doubled start or end, a start or end outside the horizon,
        phases out of order or overlapping: the first problem, its field path within the strategy."""
        if not strategy.phases:
            return []
        if strategy.policies:
            return [
                (
                    ("policies",),
                    len(strategy.policies),
                    "give either policies or phases, not both (each phase has its own policies)",
                )
            ]
        start, horizon = self.start_date, self.horizon_days
        days = f"day 0 to {horizon - 1} ({start} to {start + dt.timedelta(days=horizon - 1)})"
        previous: int | None = None
        for k, phase in enumerate(strategy.phases):
            at = ("phases", k)
            for day_field, date_field in (("start_day", "start_date"), ("end_day", "end_date")):
                if getattr(phase, day_field) is not None and getattr(phase, date_field) is not None:
                    return [
                        ((*at, date_field), getattr(phase, date_field), f"give {day_field} or {date_field}, not both")
                    ]
            first = phase.first_day(start)
            field = (*at, "start_day" if phase.start_date is None else "start_date")
            value = phase.start_day if phase.start_date is None else phase.start_date
            if first is None:
                return [(field, None, "required: give start_day (a day, 0-based) or start_date (a date)")]
            if k == 0 and first != 0:
                return [(field, value, f"the first phase must start at day 0 ({start}, the scenario's start_date)")]
            if not 0 <= first < horizon:
                return [(field, value, f"must lie within the horizon: {days}")]
            if previous is not None and first <= previous:
                return [(field, value, f"must be after the start of phase {k - 1} (day {previous}): phases in order")]
            previous = first
        for k, phase in enumerate(strategy.phases):
            end = phase.last_day(start)
            if end is None:
                continue
            field = ("phases", k, "end_day" if phase.end_date is None else "end_date")
            value = phase.end_day if phase.end_date is None else phase.end_date
            first = phase.first_day(start) or 0
            following = strategy.phases[k + 1].first_day(start) if k + 1 < len(strategy.phases) else None
            if end <= first:
                return [(field, value, f"must be after the phase's start (day {first})")]
            if following is not None and end > following:
                return [(field, value, f"overlaps phase {k + 1}, which starts at day {following}: at most that day")]
            if end > horizon:
                end_of_run = start + dt.timedelta(days=horizon)
                return [(field, value, f"must be at most day {horizon} ({end_of_run}), the end of the run")]
        return []

    def _reward_problems(self, policy: Policy) -> list[Problem]:
        """A referral reward worth so much that an inviter would send more than MAX_INVITATIONS invitations."""
        problems: list[Problem] = []
        for name in type(policy).model_fields:
            reward = getattr(policy, name)
            if isinstance(reward, RewardSpec):
                most = float(mean_invitations(reward.value_rmb, np.ones(1), self.behaviour)[0])
                if not most <= MAX_INVITATIONS:
                    problems.append(
                        (
                            (name, "value_rmb"),
                            reward.value_rmb,
                            f"makes a fully trusting inviter send {most:.3g} invitations a campaign "
                            "(behaviour.referral: invites_per_inviter x (value_rmb / reference_reward_rmb) ** "
                            f"reward_elasticity x exp(trust_sensitivity x (1 - trust.reference))); at most "
                            f"{MAX_INVITATIONS} can be simulated",
                        )
                    )
        return problems

    def strategy(self, name: str) -> Strategy:
        """The strategy called ``name``; ``KeyError`` listing the names if there is none."""
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(f"no strategy {name!r}; the scenario has {[s.name for s in self.strategies]}")


def scenario_hash(text: str) -> str:
    """SHA-256 of the scenario file's text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Largest scenario file, bytes: a scenario is kilobytes (the shipped ones under 4 kB); a 100-year run with an
#: entry every day takes about 1 MB. Checked before the file is parsed.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Most YAML nodes (mappings, lists, scalars and aliases, as written in the file) a scenario may have: the
#: 100-year run with an entry every day has about 110,000. Counted by the parser before any node is built.
MAX_NODES = 200_000
#: Deepest nesting of lists and mappings a scenario may have; real ones need 8
#: (strategies[i].policies[j].reward.steps[k].cost_rmb).
MAX_NESTING = 32
#: Most values (mappings, lists and scalars, each YAML alias counted every time it is used) a scenario may hold:
#: a 100-year run with an entry every day has about 110,000.
MAX_VALUES = 1_000_000
_NESTING = f"nested deeper than {MAX_NESTING} levels of lists and mappings (a scenario needs at most 8)"


def parse_scenario(data: object, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data; raise ScenarioError on bad input."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source, (), None, f"found {found}; a scenario must be a mapping of fields (name:, horizon_days:, ...)"
        )
    _check_size(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        cause = _cross_field_cause(err)
        if cause is not None:
            raise ScenarioError(source, cause.loc, cause.value, cause.allowed) from None
        raise format_validation_error(err, source, Scenario) from None


def _check_size(data: dict[object, object], source: str) -> None:
    """Reject data nested deeper than MAX_NESTING, nested in itself or holding more than MAX_VALUES values.

    Deep nesting would exhaust Python's recursion limit (in validation and in
    printing a value), and YAML aliases of aliases ("billion laughs") would
    make validation take exponential time. Each container is visited once
    (aliases share theirs), without recursion, so this is linear in the file.
    """
    depth: dict[int, int] = {}  # id of a container → levels of containers in it, itself included
    values: dict[int, int] = {}  # id of a container → values in it, itself included, aliases counted each time
    unfinished: set[int] = set()
    stack: list[tuple[dict[object, object] | list[object], bool]] = [(data, False)]
    while stack:
        node, finished = stack.pop()
        items = list(node.values()) if isinstance(node, dict) else node
        nested = [item for item in items if isinstance(item, dict | list)]
        if finished:
            unfinished.discard(id(node))
            depth[id(node)] = 1 + max((depth[id(item)] for item in nested), default=0)
            values[id(node)] = 1 + len(items) - len(nested) + sum(values[id(item)] for item in nested)
        elif id(node) in unfinished:
            raise ScenarioError(source, (), None, "a list or mapping contains itself (a recursive YAML alias)")
        elif id(node) not in depth:
            unfinished.add(id(node))
            stack.append((node, True))
            stack.extend((item, False) for item in nested)
    for key, value in data.items():
        if isinstance(value, dict | list) and 1 + depth[id(value)] > MAX_NESTING:
            raise ScenarioError(source, (), None, f"{key}: {_NESTING}")
    if values[id(data)] > MAX_VALUES:
        raise ScenarioError(
            source, (), None, f"holds more than {MAX_VALUES:,} values (each use of a YAML alias counts again)"
        )


def _cross_field_cause(err: ValidationError) -> FieldError | None:
    for e in err.errors():
        ctx_error = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldError):
            return ctx_error
    return None


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, except that a scalar it cannot turn into a value (a date like 2025-02-30,
    an integer of more than 4300 digits) is a YAML error at its line, not a bare ValueError."""


def _reporting(tag: str, what: str) -> None:
    """Make ``_Loader`` turn a ValueError building a ``tag`` scalar into a YAML error at the scalar's line."""
    construct = yaml.SafeLoader.yaml_constructors[tag]

    def checked(loader: yaml.SafeLoader, node: yaml.Node) -> object:
        try:
            return construct(loader, node)
        except ValueError as err:
            problem = f"{show_value(node.value)} is not {what}"
            reason = "more than 4300 digits" if "integer string conversion" in str(err) else str(err)
            raise yaml.constructor.ConstructorError(None, None, f"{problem}: {reason}", node.start_mark) from None

    _Loader.add_constructor(tag, checked)


_reporting("tag:yaml.org,2002:int", "an integer")
_reporting("tag:yaml.org,2002:timestamp", "a date")


def _count_nodes(text: str, source: str) -> None:
    """Refuse ``text`` holding more than MAX_NODES YAML nodes, counted from the parser's events before any node is
    built, with libyaml's parser where PyYAML has it (a million-value list is refused in a fraction of a second,
    not built in minutes and gigabytes). A malformed file is left to the loader, which names the line."""
    parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    nodes = 0
    try:
        for event in yaml.parse(text, Loader=parser):
            nodes += isinstance(event, yaml.NodeEvent)
            if nodes > MAX_NODES:
                raise ScenarioError(
                    source,
                    (),
                    None,
                    f"holds more than {MAX_NODES:,} YAML values; a scenario needs at most about 110,000",
                )
    except yaml.YAMLError:
        return


def load_scenario(path: str | Path) -> tuple[Scenario, str]:
    """Read and validate a scenario file; return the scenario and the file's text (its bytes as UTF-8, line
    endings as in the file).

    A file larger than MAX_FILE_BYTES or with more than MAX_NODES YAML nodes is refused before it is parsed.
    Raises ScenarioError (one line: file, field path, value, what is allowed).
    """
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(source, (), None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(source, (), None, "is a directory, expected a scenario .yaml file") from None
    except OSError as err:
        raise ScenarioError(source, (), None, f"cannot be read ({err.strerror or err})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            source, (), None, f"larger than {MAX_FILE_BYTES:,} bytes; a scenario file is kilobytes (at most about 1 MB)"
        )
    try:
        text = raw.decode("utf-8")  # as is: the text run, and hashed, is the file's bytes (CRLF kept)
    except UnicodeDecodeError as err:
        raise ScenarioError(source, (), None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    _count_nodes(text, source)
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds no Python objects
    except RecursionError:
        raise ScenarioError(source, (), None, _NESTING) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(source, (), None, f"{where}malformed YAML ({problem})") from None
    return parse_scenario(data, source), text
