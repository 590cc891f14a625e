"""Fuzzing the scenario input: whatever a file holds, the CLI answers with exit 0 or one error line.

A small valid scenario (20 days, a few hundred members, one strategy per
policy kind) has one to three of its values scaled (x 0 to x 100,000, or
negated) or replaced (by huge, negative, non-finite or out-of-int64 numbers,
strings, lists, mappings, nulls, deep nesting), its keys dropped or unknown
keys added. ``privsim check`` must
exit 0 or 2 and never raise; on 2 it prints exactly one ``error:`` line and
writes nothing. Every file ``check`` accepts must then simulate:
``privsim run -n 1`` exits 0 (``check`` rejects everything ``run`` cannot
simulate). Plain regression tests pin the holes a first fuzzing run found.
"""

from __future__ import annotations

import copy
import tempfile
import time
import types as types_module
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner, Result

from helpers import scenario_dict, strategy
from privsim.cli import app
from privsim.scenario import Scenario

REWARD = {"kind": "physical", "steps": [{"invites": 1, "cost_rmb": 20.0}], "value_rmb": 30.0}

#: One strategy per policy kind, so that mutations reach every policy's parameters.
STRATEGIES = [
    strategy("none", {"kind": "none"}),
    strategy("nurture", {"kind": "nurture", "offer_every_days": 7}),
    strategy("clearance", {"kind": "clearance", "every_days": 5, "discount_depth": 0.3}),
    strategy("winback", {"kind": "winback", "inactive_days": 5, "every_days": 5}),
    strategy("referral", {"kind": "referral", "every_days": 5, "reward": REWARD}),
    strategy("swap", {"kind": "brand_swap", "days": [3], "pool_size": 200, "mechanic": "fission"}),
    strategy("coupons", {"kind": "tier_coupons", "coupons": [{"tier": 1, "value_rmb": 20, "threshold_rmb": 99}]}),
    strategy("paid", {"kind": "paid_membership", "offer_every_days": 5}),
    strategy("stored", {"kind": "stored_value", "offer_every_days": 5}),
    strategy("promo", {"kind": "promo_calendar", "sales": [{"name": "s", "month": 1, "day": 8}], "fission_after": 1}),
    strategy("groups", {"kind": "groups"}, {"kind": "koc_programme", "first_day": 2, "target_kocs": 3}),
    strategy("routing", {"kind": "channel_routing", "new_members_to": ["wecom", "personal"], "over_cap_share": 0.5}),
    strategy("incentives", {"kind": "incentives", "channels": {"card": {"kind": "gift", "value_rmb": 5}}}),
]


def tiny_scenario() -> dict[str, Any]:
    """tests/helpers' small scenario cut to 20 days and a tenth of its members, with every policy kind."""
    data = scenario_dict(horizon_days=20, replications=1, strategies=STRATEGIES, lifecycle={"tenure_days": 400})
    for group in data["population"]["initial"]:
        group["count"] //= 10
    return data


def _leaves(node: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of every value in ``node`` (containers included), the root excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    out: list[tuple[str | int, ...]] = []
    for key, value in items:
        out.append((*path, key))
        out += _leaves(value, (*path, key))
    return out


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _nested(levels: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(levels - 1):
        value = [value]
    return value


#: What a value is replaced by: out-of-range, non-finite, beyond int64 and float32, wrongly typed, nested.
BAD_VALUES: list[object] = [
    10**30,
    2**63,
    2**31,
    -(2**63) - 1,
    -1,
    0,
    1,
    2,
    0.5,
    0.999999,
    1e6,
    1e20,
    1e39,
    1e308,
    -1e308,
    1e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "abc",
    "1e3",
    "nan",
    "日本",
    None,
    True,
    [],
    {},
    [1, 2],
    {"a": 1},
    "2025-02-30",
    _nested(5),
    _nested(40),
]
#: What a number is multiplied by.
SCALES = [0, 1e-3, 0.1, 3, 10, 1000, 1e5, -1]
TINY = tiny_scenario()
PATHS = _leaves(TINY)
NUMBERS = [p for p in PATHS if type(_at(TINY, p)) in (int, float)]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The tiny scenario with one to three values replaced or scaled, keys dropped or unknown keys added."""
    data = copy.deepcopy(TINY)
    gentle = draw(st.booleans())  # only scale numbers: mostly still valid, so that run sees extreme values
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(NUMBERS if gentle else PATHS))
        try:
            parent = _at(data, path[:-1])
            value = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
        number = isinstance(value, int | float) and not isinstance(value, bool)
        actions = ["scale"] if gentle else ["replace", "replace", "drop", "add", *(["scale"] if number else [])]
        action = draw(st.sampled_from(actions))
        if action == "scale":
            factor = draw(st.sampled_from(SCALES))
            parent[path[-1]] = type(value)(value * factor)
        elif action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["unknown_field"] = 1
        else:
            parent.append(copy.deepcopy(parent[path[-1]]))
    return data


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)


def assert_clean(result: Result, folder: Path, written: set[str]) -> None:
    """Exit 0 or 2 without an exception; on 2, ``error:`` lines only (one per error of the file), and nothing new
    in ``folder``."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = result.output.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), result.output
        assert {p.name for p in folder.iterdir()} == written


@pytest.mark.slow  # 50 examples (derandomized: the same 50 every run), ~20 s
@settings(derandomize=True, max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_fuzzed_scenarios_exit_0_or_one_error_line(data: dict[str, Any]) -> None:
    """check exits 0 or 2 (error lines only, nothing written); what check accepts, run -n 1 simulates (exit 0)."""
    with tempfile.TemporaryDirectory() as tmp:
        _check_then_run(data, Path(tmp))


def _check_then_run(data: dict[str, Any], folder: Path) -> None:
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    checked = invoke("check", path)
    assert_clean(checked, folder, {"scenario.yaml"})
    if checked.exit_code == 0:
        ran = invoke("run", path, "-n", 1, "-j", 1, "--out", folder / "out")
        assert ran.exit_code == 0, ran.output
        assert_clean(ran, folder, {"scenario.yaml"})


def test_the_tiny_scenario_is_valid_and_runs(tmp_path: Path) -> None:
    """The fuzzer's starting point is accepted and simulates, so rejections come from the mutations."""
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    assert invoke("check", path).exit_code == 0
    ran = invoke("run", path, "-n", 1, "-j", 1, "--out", tmp_path / "out")
    assert ran.exit_code == 0, ran.output


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """``model`` and every model its fields hold (inside tuples, dicts, Optional and unions)."""
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                if tp not in seen:
                    _models(tp, seen)
            else:
                stack.extend(typing.get_args(tp))
    return seen


def _number_types(tp: object) -> tuple[set[type], list[object]]:
    """The int/float types inside an annotation, and the constraints found on the way (Annotated metadata)."""
    if tp in (int, float):
        return {tp}, []
    types: set[type] = set()
    constraints: list[object] = []
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Annotated:
        constraints += [m for extra in args[1:] for m in getattr(extra, "metadata", [extra])]
        args = args[:1]
    elif typing.get_origin(tp) not in (typing.Union, types_module.UnionType):
        return set(), []  # a container's element is checked as its own field, a Literal is bounded
    for arg in args:
        found, more = _number_types(arg)
        types |= found
        constraints += more
    return types, constraints


def test_every_number_in_a_scenario_is_bounded_on_both_sides() -> None:
    """Each int or float field of a scenario or a policy has a lower and an upper bound, and floats are finite."""
    unbounded = []
    for model in sorted(_models(Scenario, set()), key=lambda m: m.__name__):
        for name, info in model.model_fields.items():
            types, constraints = _number_types(info.annotation)
            constraints += info.metadata
            if not types:
                continue
            low = any(isinstance(c, Ge | Gt) for c in constraints)
            high = any(isinstance(c, Le | Lt) for c in constraints)
            if not (low and high):
                unbounded.append(f"{model.__name__}.{name}")
    assert unbounded == []


# ---------------------------------------------------------------------------
# The holes the first fuzzing run found


NAME_RULE = (
    "must be printable text of 1 to 100 characters (Chinese is fine), not blank, without line breaks, tabs or "
    "control characters"
)


def _with(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    data = tiny_scenario()
    _at(data, path[:-1])[path[-1]] = value
    return data


def _channel_with(**fields: object) -> dict[str, Any]:
    return {**tiny_scenario()["channels"][0], **fields}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "x: " + "[" * 5000 + "]" * 5000 + "\n",
            "nested deeper than 32 levels of lists and mappings (a scenario needs at most 8)",
            id="nesting-past-the-recursion-limit",
        ),
        pytest.param(
            "x: " + "[" * 40 + "]" * 40 + "\n",
            "x: nested deeper than 32 levels of lists and mappings (a scenario needs at most 8)",
            id="nesting-within-the-recursion-limit",
        ),
        pytest.param(
            "x: &a [*a]\n", "a list or mapping contains itself (a recursive YAML alias)", id="recursive-alias"
        ),
        pytest.param(
            "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)),
            "holds more than 1,000,000 values (each use of a YAML alias counts again)",
            id="alias-bomb",
        ),
        pytest.param(
            yaml.safe_dump(_with(("accounts", 1, "daily_add_cap"), 999999999999999999999999)),
            "accounts[1].daily_add_cap = 999999999999999999999999 — must be between 0 and 10000000 "
            "(New members one account can add per day.)",
            id="int-beyond-int64",
        ),
        pytest.param(
            yaml.safe_dump(_with(("population", "order_value", "cv_within_member"), 1e308)),
            "population.order_value.cv_within_member = 1e+308 — must be between 0.0 and 100.0 "
            "(Coefficient of variation of one member's orders around their mean (dimensionless).)",
            id="absurd-float",
        ),
        pytest.param(
            yaml.safe_dump(_with(("seed",), 1), sort_keys=False).replace("seed: 1", "seed: " + "9" * 5000),
            "line 4, column 7: malformed YAML ('99999999999999999999999999999999999999999999999999999999... "
            "is not an integer: more than 4300 digits)",
            id="integer-beyond-python-str-limit",
        ),
        pytest.param(
            yaml.safe_dump(_with(("horizon_days",), 1)).replace("horizon_days: 1", "horizon_days: 0x" + "f" * 5000),
            "horizon_days = an integer of more than 4300 digits — must be between 1 and 36500 (Days simulated.)",
            id="hex-integer-beyond-python-str-limit",
        ),
        pytest.param(
            yaml.safe_dump(_with(("start_date",), "2025-01-01"), sort_keys=False).replace("'2025-01-01'", "2025-02-30"),
            "line 3, column 13: malformed YAML ('2025-02-30' is not a date: day is out of range for month)",
            id="impossible-date",
        ),
        pytest.param(
            yaml.safe_dump(_with(("horizon_days",), 36500) | {"channels": [_channel_with(leads_per_day=1e6)]}),
            "channels = 7300000000 — the initial base (280), the entries (0) and the expected adds (horizon_days x "
            "leads_per_day x add_rate, summed over channels) must not exceed 10000000, the most members one run "
            "can hold",
            id="more-members-than-a-run-holds",
        ),
        pytest.param(
            yaml.safe_dump(
                _with(("strategies",), [strategy("r", {"kind": "referral", "reward": {**REWARD, "value_rmb": 5000}})])
                | {"behaviour": {"referral": {"reward_elasticity": 10}}}
            ),
            "strategies[0].policies[0].reward.value_rmb = 5000.0 — makes a fully trusting inviter send 4.06e+20 "
            "invitations a campaign (behaviour.referral: invites_per_inviter x (value_rmb / reference_reward_rmb) ** "
            "reward_elasticity x exp(trust_sensitivity x (1 - trust.reference))); at most 1000 can be simulated",
            id="a-poisson-mean-numpy-cannot-draw",
        ),
        pytest.param(
            yaml.safe_dump(_with(("accounts", 0, "member_churn_rate_per_year"), True)),
            "accounts[0].member_churn_rate_per_year = True — must be a number, not true",
            id="true-as-a-number",
        ),
        *[
            pytest.param(yaml.safe_dump(_with(path, name)), f"{field} = {name!r} — {NAME_RULE}", id=case)
            for path, field, name, case in [
                (("strategies", 0, "name"), "strategies[0].name", "", "empty-strategy-name"),
                (("accounts", 1, "name"), "accounts[1].name", "  ", "blank-account-name"),
                (("channels", 0, "name"), "channels[0].name", "ad\x00s", "nul-in-a-channel-name"),
            ]
        ],
        pytest.param(
            yaml.safe_dump(_with(("seed",), "999999999999999999999999")),
            "seed = '999999999999999999999999' — must be an integer written without quotes, not text",
            id="seed-as-text",
        ),
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_fuzzer_holes_give_one_error_line(text: str, message: str, command: str, tmp_path: Path) -> None:
    """Each hole the fuzzer found now exits 2 with one line naming the file, field and bounds; nothing is written."""
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    args = ("run", path, "-n", 1, "-j", 1, "--out", tmp_path / "out") if command == "run" else ("check", path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: {path}: {message}"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "x: [" + "1," * 1_100_000 + "1]\n",
            "larger than 2,097,152 bytes; a scenario file is kilobytes (at most about 1 MB)",
            id="file-too-large",
        ),
        pytest.param(
            "x: [" + "1," * 1_000_000 + "1]\n",
            "holds more than 200,000 YAML values; a scenario needs at most about 110,000",
            id="too-many-values",
        ),
    ],
)
def test_a_huge_file_is_refused_before_it_is_built(text: str, message: str, tmp_path: Path) -> None:
    """A 2 MB list of a million values took PyYAML ~30 s and ~0.4 GB to build before the value limit applied;
    refused by size or by counting parser events it takes ~0.2 s. The 3 s bound leaves room for a busy machine."""
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = invoke("check", path)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: {path}: {message}"
    assert elapsed < 3.0, f"took {elapsed:.1f} s"
