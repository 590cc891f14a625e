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

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from privsim.behaviour import mean_invitations
from privsim.config.base import Model, Name
from privsim.config.scenario_base import FieldError, ScenarioBase, unique
from privsim.config.validation import format_validation_error
from privsim.core.errors import ScenarioError, show_value
from privsim.policies import PolicySpec
from privsim.policies.base import Policy, Problem
from privsim.policies.rewards import RewardSpec

#: Most invitations one member may be expected to send in one referral campaign (the mean of a Poisson draw).
MAX_INVITATIONS = 1000


class Strategy(Model):
    """A named list of policies run together."""

    name: Name = Field(description="Unique strategy name; the first strategy is the baseline of paired differences.")
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
            policies: tuple[Policy, ...] = strategy.policies
            for j, policy in enumerate(policies):
                for field, value, allowed in [*policy.check(self, strategy), *self._reward_problems(policy)]:
                    raise FieldError(("strategies", i, "policies", j, *field), value, allowed)
        return self

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
