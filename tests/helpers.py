"""Small valid scenarios for tests, built in Python (no YAML files).

``scenario_dict(**overrides)`` returns a plain dict that
``privsim.parse_scenario`` accepts: a few thousand members, a one-year
horizon, two acquisition channels, two account pools, four tiers and a
``none`` strategy. Overrides are merged recursively into nested mappings
(``behaviour={"trust": {"initial": 0.5}}`` changes only that field); lists
and scalars replace the default.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import privsim
from privsim.policies.base import Policy
from privsim.results import t_interval
from privsim.scenario import Scenario, Strategy
from privsim.sim.world import World

if TYPE_CHECKING:
    from privsim.policies.view import PolicyView

#: The seed of the statistical tests.
SEED = 12345

#: A fixed base of 3000 members and no acquisition: differences come from the strategy alone.
FIXED_BASE: dict[str, Any] = {
    "channels": [],
    "population": {
        "initial": [
            {"state": "added", "tier": "prospect", "count": 500},
            {"state": "customer", "tier": "first_order", "count": 2000},
            {"state": "customer", "tier": "member", "count": 400},
            {"state": "customer", "tier": "vip", "count": 100},
        ]
    },
}

#: The console script installed beside this Python.
#: The repository's root (scenarios/, README.md).
ROOT = Path(__file__).resolve().parents[1]
PRIVSIM = Path(sys.executable).parent / "privsim"


def privsim_subprocess(*args: object, cwd: Path, columns: int, timeout: float) -> subprocess.CompletedProcess:
    """Run the ``privsim`` console script in a subprocess, with rich tables ``columns`` wide and no colour."""
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}}
    env.update(COLUMNS=str(columns), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [str(PRIVSIM), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


BASE: dict[str, Any] = {
    "name": "test-small",
    "horizon_days": 365,
    "start_date": "2025-01-01",
    "seed": 12345,
    "replications": 3,
    "population": {
        "initial": [
            {"state": "added", "tier": "prospect", "count": 600},
            {"state": "customer", "tier": "first_order", "count": 1200},
            {"state": "customer", "tier": "member", "count": 400},
            {"state": "customer", "tier": "vip", "count": 100},
            {"state": "silent", "tier": "first_order", "count": 500},
        ],
        "initial_last_purchase_within_days": 180,
        "purchase_rate": {"mean_per_year": 3.0, "shape": 1.0},
        "dropout_after_purchase": {"mean": 0.15, "concentration": 4.0},
        "order_value": {"mean_rmb": 300.0, "cv_across_members": 0.5, "cv_within_member": 0.3},
        "gross_margin_share": 0.55,
    },
    "behaviour": {},
    "lifecycle": None,
    "channels": [
        {"name": "card", "kind": "package_card", "leads_per_day": 15, "cost_per_lead_rmb": 0.5, "add_rate": 0.2},
        {
            "name": "sms",
            "kind": "sms",
            "leads_per_day": 20,
            "cost_per_lead_rmb": 0.05,
            "add_rate": 0.05,
            "quality": 0.8,
        },
    ],
    "accounts": [
        {
            "name": "personal",
            "kind": "personal_wechat",
            "count": 2,
            "daily_add_cap": 20,
            "members_per_account": 2000,
            "member_churn_rate_per_year": 0.05,
        },
        {
            "name": "wecom",
            "kind": "wecom",
            "count": 1,
            "daily_add_cap": 50,
            "members_per_account": 5000,
            "member_churn_rate_per_year": 0.35,
            "cost_per_broadcast_rmb": 0.01,
            "cost_per_personal_contact_rmb": 0.1,
        },
    ],
    "staff": {"count": 1, "cost_per_person_per_month_rmb": 12000, "personal_contacts_per_person_per_day": 100},
    "tiers": [
        {"name": "prospect"},
        {"name": "first_order", "min_purchases": 1},
        {"name": "member", "min_purchases": 5, "demote_after_inactive_days": 365, "member_discount": 0.03},
        {
            "name": "vip",
            "min_purchases": 12,
            "min_spend_rmb": 5000,
            "demote_after_inactive_days": 180,
            "member_discount": 0.08,
        },
    ],
    "costs": {"fixed_per_month_rmb": 5000},
    "strategies": [{"name": "none", "policies": [{"kind": "none"}]}],
}


def merge(base: dict, overrides: dict) -> dict:
    """A deep copy of ``base`` with ``overrides`` merged in recursively (dicts merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_dict(**overrides: Any) -> dict:
    """The default small scenario as a dict, with ``overrides`` merged in."""
    return merge(BASE, overrides)


def small_scenario(**overrides: Any) -> Scenario:
    """``scenario_dict(**overrides)`` validated into a :class:`~privsim.scenario.Scenario`."""
    return privsim.parse_scenario(scenario_dict(**overrides))


def strategy(name: str, *policies: dict) -> dict:
    """A strategy entry for ``strategies=[...]``."""
    return {"name": name, "policies": list(policies)}


def assert_positive(diffs, what: str) -> None:
    """The two-sided 95 % Student-t interval of the paired differences lies entirely above 0."""
    mean, low, high, _, _ = t_interval(diffs)
    assert low > 0, f"{what}: paired difference {mean:.4g}, 95 % CI [{low:.4g}, {high:.4g}] does not exclude 0"


class Probe:
    """A do-nothing policy that calls ``look(world)`` in every daily tick, with the whole :class:`World`.

    ``daily`` runs after the day's timed events, acquisition and the other
    policies' daily actions, before the day's group posts and purchases.
    A real policy sees only a read-only view; the probe looks at the World
    that :func:`watched_world` built (which sets ``world``). Every other hook
    of the policy interface falls back to :class:`Policy`'s default (no
    events, no discount, ...).
    """

    def __init__(self, look: Callable[[World], None]) -> None:
        self.look = look
        self.world: World | None = None

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list:
        assert self.world is not None, "a Probe looks at the World watched_world built"
        self.look(self.world)
        return []

    def __getattr__(self, name: str):
        return getattr(Policy, name).__get__(self)


def watched_world(scenario: Scenario, strat: Strategy, rep: int) -> World:
    """The World of replication ``rep`` of ``strat`` (seed SEED), watched by the strategy's probes."""
    world = World(scenario, strat, SEED, rep)
    for policy in strat.policies:
        if isinstance(policy, Probe):
            policy.world = world
    return world
