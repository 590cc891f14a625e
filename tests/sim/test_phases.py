"""Strategy phases (eras): a strategy switches its policies on a day or a date.

The paired tests run both strategies on the same random streams (seed
12345, replications 0 and 1): a strategy's phases before a switch are the
same policies on the same streams as the single-phase strategy, so every
flow and stock of every month before the switch month must be *identical*
(no tolerance: any difference is a leak of the later phase into the
earlier one); from the switch month on the policies differ and so must the
results.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import privsim
from helpers import SEED, scenario_dict
from privsim.policies.actions import JoinGroups
from privsim.policies.channel_routing import ChannelRouting
from privsim.policies.clearance import Clearance
from privsim.policies.incentives import Incentives
from privsim.policies.nurture import Nurture
from privsim.scenario import Era, Scenario
from privsim.sim.calendar import simulate
from privsim.sim.world import World

HORIZON = 181  # 2025-01-01 to 2025-06-30: six calendar months
MONTHS = 6
SWITCH = dt.date(2025, 4, 1)  # the first day of month 3
SWITCH_DAY = 90
SWITCH_MONTH = 3

CLEARANCE = {"kind": "clearance", "discount_depth": 0.3, "every_days": 10, "offer_window_days": 3}
NURTURE = {"kind": "nurture", "followup_within_days": 7, "offer_depth": 0.1, "offer_every_days": 30}


def phased(*strategies: dict, **overrides: object) -> Scenario:
    return privsim.parse_scenario(scenario_dict(horizon_days=HORIZON, strategies=list(strategies), **overrides))


def monthly(scenario: Scenario, replications: int = 2) -> dict[str, np.ndarray]:
    """Strategy → [replication, month, metric] values of every monthly series (the rows of the timeseries
    table), metrics in name order, on the common random numbers of seed SEED."""
    out = {}
    for strategy in scenario.strategies:
        runs = [simulate(scenario, strategy, SEED, r).monthly for r in range(replications)]
        out[strategy.name] = np.array([np.stack([run[k] for k in sorted(run)], axis=1) for run in runs])
    return out


def test_flows_identical_to_the_first_phase_until_the_switch_then_different() -> None:
    scenario = phased(
        {"name": "clearance", "policies": [CLEARANCE]},
        {
            "name": "clearance, then nurture",
            "phases": [
                {"name": "clearance era", "start_day": 0, "policies": [CLEARANCE]},
                {"name": "nurture era", "start_date": SWITCH, "policies": [NURTURE]},
            ],
        },
    )
    runs = monthly(scenario)
    single, two = runs["clearance"], runs["clearance, then nurture"]
    assert single.shape == two.shape and single.shape[1] == MONTHS
    np.testing.assert_array_equal(two[:, :SWITCH_MONTH], single[:, :SWITCH_MONTH])
    for month in range(SWITCH_MONTH, MONTHS):
        for r in range(2):
            assert not np.array_equal(two[r, month], single[r, month], equal_nan=True), (r, month)


def test_a_phase_that_ends_leaves_no_policy_until_the_next() -> None:
    """A phase ending on day 90 runs like that phase followed by a phase of `none` from day 90 (paired, identical
    over the whole run), and unlike the phase run to the horizon."""
    scenario = phased(
        {"name": "clearance", "policies": [CLEARANCE]},
        {"name": "ends", "phases": [{"start_day": 0, "end_date": SWITCH, "policies": [CLEARANCE]}]},
        {
            "name": "then none",
            "phases": [
                {"start_day": 0, "policies": [CLEARANCE]},
                {"start_day": SWITCH_DAY, "policies": [{"kind": "none"}]},
            ],
        },
    )
    assert scenario.strategies[1].eras(scenario) == (
        Era(0, SWITCH_DAY, (Clearance.model_validate(CLEARANCE),)),
        Era(SWITCH_DAY, HORIZON, ()),
    )
    runs = monthly(scenario, replications=1)
    np.testing.assert_array_equal(runs["ends"], runs["then none"])
    np.testing.assert_array_equal(runs["ends"][:, :SWITCH_MONTH], runs["clearance"][:, :SWITCH_MONTH])
    assert not np.array_equal(runs["ends"], runs["clearance"], equal_nan=True)


def test_a_phase_can_start_at_a_date_or_a_day() -> None:
    """start_date is counted from the scenario's start_date: 2025-04-01 is day 90 of a run from 2025-01-01."""
    by_date = {"name": "by date", "phases": [{"start_day": 0}, {"start_date": SWITCH, "policies": [NURTURE]}]}
    by_day = {
        "name": "by day",
        "phases": [{"start_date": "2025-01-01"}, {"start_day": SWITCH_DAY, "policies": [NURTURE]}],
    }
    scenario = phased(by_date, by_day)
    nurture = (Nurture.model_validate(NURTURE),)
    expected = (Era(0, SWITCH_DAY, ()), Era(SWITCH_DAY, HORIZON, nurture))
    assert [s.eras(scenario) for s in scenario.strategies] == [expected, expected]
    later = phased(by_date, start_date="2025-02-01")  # the same date is then day 59
    assert later.strategies[0].eras(later)[1].first_day == 59


def test_a_strategy_without_phases_is_one_era() -> None:
    scenario = phased({"name": "clearance", "policies": [CLEARANCE]})
    assert scenario.strategies[0].eras(scenario) == (Era(0, HORIZON, (Clearance.model_validate(CLEARANCE),)),)


def test_the_world_follows_the_active_phase() -> None:
    """Placement order, channel incentives, the push past the add cap and the active policies switch on the
    phase's first day (the first call of begin_day for it), not before; the members carry over."""
    routing = {"kind": "channel_routing", "new_members_to": ["wecom"], "over_cap_share": 0.5}
    incentive = {"kind": "incentives", "channels": {"card": {"kind": "gift", "value_rmb": 10}}}
    scenario = phased(
        {
            "name": "two phases",
            "phases": [{"start_day": 0, "policies": [CLEARANCE]}, {"start_day": 30, "policies": [routing, incentive]}],
        }
    )
    world = World(scenario, scenario.strategies[0], SEED, 0)
    default_incentives = [c.incentive for c in scenario.channels]
    members = world.members.n
    world.begin_day(29)
    assert (world.placement, world.over_cap_share, world.incentives) == (None, 0.0, default_incentives)
    assert [type(p) for p in world.policies] == [Clearance]
    world.begin_day(30)
    assert (world.placement, world.over_cap_share) == ([1], 0.5)
    assert world.incentives == [incentive_of(scenario), default_incentives[1]]
    assert [type(p) for p in world.policies] == [ChannelRouting, Incentives]
    assert world.members.n == members


def incentive_of(scenario: Scenario) -> object:
    policy = scenario.strategies[0].phases[1].policies[1]
    assert isinstance(policy, Incentives)
    return policy.channels["card"]


@pytest.mark.parametrize("start", [{"start_day": 0}, {"start_date": dt.date(2025, 1, 1)}])
def test_companion_policies_are_checked_within_the_phase(start: dict) -> None:
    """koc_programme needs groups in the same phase: groups in another phase does not count."""
    koc = {"kind": "koc_programme"}
    data = scenario_dict(
        horizon_days=HORIZON,
        strategies=[
            {
                "name": "kocs",
                "phases": [{**start, "policies": [{"kind": "groups"}]}, {"start_day": 9, "policies": [koc]}],
            }
        ],
    )
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.parse_scenario(data, "phases.yaml")
    assert info.value.field == "strategies[0].phases[1].policies[0].kind"
    assert "needs a `groups` policy in the same strategy ('kocs, phase 1')" in str(info.value)


def test_groups_in_a_later_phase_invite_the_existing_customers_on_its_first_day() -> None:
    """The policy's first day is the phase's: every customer is invited on day 30, then only the day before's new
    customers (as on day 0 and day 1 of a strategy without phases)."""
    scenario = phased(
        {"name": "groups later", "phases": [{"start_day": 0}, {"start_day": 30, "policies": [{"kind": "groups"}]}]}
    )
    world = World(scenario, scenario.strategies[0], SEED, 0)
    customers = np.flatnonzero(world.members.purchases[: world.members.n] > 0)
    world.begin_day(30)
    view = world.view()
    assert view.phase_first_day == 30
    (groups,) = world.policies
    invited = np.concatenate([a.members for a in groups.daily(view, world.rng["policy"]) if isinstance(a, JoinGroups)])
    np.testing.assert_array_equal(np.sort(invited), customers)
    world.begin_day(31)
    invited = np.concatenate(
        [a.members for a in groups.daily(world.view(), world.rng["policy"]) if isinstance(a, JoinGroups)]
    )
    assert len(invited) == 0  # nobody bought on day 30: this world has not simulated it
