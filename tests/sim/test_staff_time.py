"""Staff time as a resource (privsim.sim.staff): fewer hours make fewer personal contacts and less GMV,
the hours and contacts add up every day, the top segment's reserve is honoured, bad settings are one line.

The statistical test compares two scenarios that differ only in
``staff.hours_per_person_per_day``, with the same seed, so replication k of
both uses the same random streams (common random numbers); it requires the
two-sided 95 % Student-t interval of the paired differences to exclude 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import privsim
from helpers import FIXED_BASE, SEED, assert_positive, scenario_dict, small_scenario, strategy
from privsim.core.errors import ScenarioError
from privsim.runner import run_scenario
from privsim.scenario import Scenario
from privsim.sim.calendar import tick
from privsim.sim.handlers import apply
from privsim.sim.ledger import Flow, Ledger
from privsim.sim.staff import StaffTime
from privsim.sim.world import World

GROUPS = {"kind": "groups", "staff_posts_per_day": 1.0}


def nurture_scenario(staff: dict[str, Any], *policies: dict, horizon_days: int = 365) -> Scenario:
    """The fixed base of helpers (3000 members, no acquisition) under nurture (and ``policies``)."""
    return small_scenario(
        **FIXED_BASE,
        horizon_days=horizon_days,
        staff=staff,
        strategies=[strategy("nurture", {"kind": "nurture"}, *policies)],
    )


def per_replication(scenario: Scenario, replications: int, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """metric → its per-replication figures (replication order) of the scenario's only strategy."""
    table = run_scenario(scenario, replications=replications, seed=SEED, jobs=1).tables.replications
    return {name: table[table.metric == name].sort_values("replication")["value"].to_numpy() for name in names}


def test_fewer_staff_hours_make_fewer_personal_contacts_and_less_gmv() -> None:
    # Nurture follows up every buyer personally (10 min a service contact) and makes its periodic offers to
    # the top tiers personally: unlimited, the one operator spends ~4.5 h a day on it (~27 contacts a day,
    # seed 12345). One hour a day allows 6 contacts. Over 180 days and 4 replications (seed 12345) the paired
    # GMV difference was 92 kRMB (sd 10 kRMB, 95 % CI [76, 108] kRMB), contacts 3,795 fewer (sd 160): the
    # intervals' lower ends are 8 and 20 standard errors above 0, far from the edge.
    names = (
        "gmv_list_rmb",
        "gmv_rmb",
        "personal_contacts",
        "personal_contacts_per_staff_day",
        "gmv_per_staff_month_rmb",
    )
    unlimited = per_replication(nurture_scenario({}, horizon_days=180), 4, names)
    one_hour = per_replication(nurture_scenario({"hours_per_person_per_day": 1.0}, horizon_days=180), 4, names)
    for name in names:
        assert_positive(unlimited[name] - one_hour[name], f"{name}: unlimited - 1 h/day")
    # 1 h = 60 min at 10 min a service contact: at most 6 a day
    assert np.all(one_hour["personal_contacts_per_staff_day"] <= 6.0)


def test_staff_time_adds_up_every_day() -> None:
    # Tight time (1.5 h a day for 1 operator), 80 % of it reserved for the top tier, with staff-posted groups:
    # each day the hours used fit the hours available, the work outside the top segment fits the 20 % left,
    # and every contact and post asked for is made or counted as not made.
    share, hours = 0.8, 1.5
    scenario = nurture_scenario(
        {
            "hours_per_person_per_day": hours,
            "top_segment_effort_share": share,
            "personal_contacts_per_person_per_day": 8,
        },
        GROUPS,
        horizon_days=120,
    )
    world = World(scenario, scenario.strategies[0], SEED, 0)
    ledger = world.ledger
    flows = (
        Flow.STAFF_HOURS_USED,
        Flow.STAFF_HOURS_TOP_SEGMENT,
        Flow.STAFF_OPERATOR_DAYS,
        Flow.PERSONAL_CONTACTS_ASKED,
        Flow.PERSONAL_CONTACTS,
        Flow.PERSONAL_CONTACTS_OVER_CAP,
        Flow.PERSONAL_CONTACTS_OUT_OF_TIME,
        Flow.GROUP_POSTS_OUT_OF_TIME,
    )
    event_days = {policy: set(policy.event_days(scenario)) for policy in world.strategy.policies}
    totals = dict.fromkeys(flows, 0.0)
    for day in range(scenario.horizon_days):
        month = int(world.month_of_day[day])
        before = {flow: ledger.total(flow, month) for flow in flows}
        # the calendar's order: the day's timed events, then the tick
        world.begin_day(day)
        for policy in world.strategy.policies:
            if day in event_days[policy]:
                for action in policy.on_event(world.view(), world.rng["policy"]):
                    apply(world, action)
        tick(world, day)
        today = {flow: ledger.total(flow, month) - before[flow] for flow in flows}
        for flow in flows:
            totals[flow] += today[flow]
        used, top, available = today[flows[0]], today[flows[1]], today[Flow.STAFF_OPERATOR_DAYS] * hours
        assert available == hours  # one operator
        assert used <= available + 1e-9, f"day {day}: {used} h used of {available}"
        assert used - top <= (1 - share) * available + 1e-9, f"day {day}: {used - top} h outside the top segment"
        made = today[Flow.PERSONAL_CONTACTS] + today[Flow.PERSONAL_CONTACTS_OVER_CAP]
        assert made + today[Flow.PERSONAL_CONTACTS_OUT_OF_TIME] == today[Flow.PERSONAL_CONTACTS_ASKED]
    # the limits did bind (otherwise the test shows nothing): contacts and posts were left out for lack of time
    assert totals[Flow.PERSONAL_CONTACTS_OUT_OF_TIME] > 0
    assert totals[Flow.GROUP_POSTS_OUT_OF_TIME] > 0
    assert totals[Flow.PERSONAL_CONTACTS_OVER_CAP] > 0
    assert totals[Flow.STAFF_HOURS_TOP_SEGMENT] > 0


def staff_time(**staff: Any) -> tuple[StaffTime, Ledger]:
    scenario = small_scenario(staff=staff)
    return StaffTime(scenario.staff, len(scenario.tiers)), Ledger(scenario, 1)


@pytest.mark.parametrize(
    ("order", "made_other", "made_top"),
    [
        # 60 min at 1 min a contact, 48 reserved for the top tier (vip, rung 3): others get at most 12
        ("others_first", 12, 48),
        # the top tier uses its reserve, then the shared 12 minutes: nothing is left for the others
        ("top_first", 0, 60),
    ],
)
def test_top_segment_share_is_reserved(order: str, made_other: int, made_top: int) -> None:
    time, ledger = staff_time(
        hours_per_person_per_day=1.0, minutes_per_personal_contact=1.0, top_segment_effort_share=0.8
    )
    others, top = np.arange(100), np.arange(100, 200)
    rows = np.concatenate([others, top] if order == "others_first" else [top, others])
    tiers = np.where(rows >= 100, 3, 1)
    made = time.contacts(rows, tiers, False, ledger, 0)
    assert (made < 100).sum() == made_other
    assert (made >= 100).sum() == made_top
    assert ledger.total(Flow.PERSONAL_CONTACTS_OUT_OF_TIME, 0) == 200 - made_other - made_top
    assert ledger.total(Flow.STAFF_HOURS_USED, 0) == pytest.approx(1.0)
    assert ledger.total(Flow.STAFF_HOURS_TOP_SEGMENT, 0) == pytest.approx(made_top / 60)


def test_without_top_demand_the_reserve_stays_unused() -> None:
    # 80 % reserved: contacts to the lower tiers alone can use only the other 20 % (12 of 60 minutes)
    time, ledger = staff_time(
        hours_per_person_per_day=1.0, minutes_per_personal_contact=1.0, top_segment_effort_share=0.8
    )
    made = time.contacts(np.arange(100), np.zeros(100, dtype=np.int8), False, ledger, 0)
    assert len(made) == 12
    assert ledger.total(Flow.STAFF_HOURS_USED, 0) == pytest.approx(0.2)


def test_koc_posts_cost_only_what_they_do_not_save() -> None:
    # 30 min: a staff post takes 15, a KOC post 15 - 10 = 5; in group order the posts fit until the time is used
    time, ledger = staff_time(
        hours_per_person_per_day=0.5, minutes_per_group_post=15.0, minutes_saved_per_koc_post=10.0
    )
    posting = np.array([True, True, False, True, True])
    koc = np.array([False, True, False, True, False])
    made = time.posts(posting, koc, ledger, 0)
    assert made.tolist() == [True, True, False, True, False]  # 15 + 5 + 5 = 25 min; the staff post would need 40
    assert ledger.total(Flow.GROUP_POSTS, 0) == 3
    assert ledger.total(Flow.GROUP_POSTS_OUT_OF_TIME, 0) == 1
    assert ledger.total(Flow.STAFF_HOURS_USED, 0) == pytest.approx(25 / 60)


@pytest.mark.parametrize(
    ("staff", "field", "shown", "allowed"),
    [
        ({"hours_per_person_per_day": 25}, "staff.hours_per_person_per_day", "25", "greater than 0.0 and at most 24.0"),
        ({"hours_per_person_per_day": 0}, "staff.hours_per_person_per_day", "0", "greater than 0.0 and at most 24.0"),
        ({"minutes_per_service_contact": -1}, "staff.minutes_per_service_contact", "-1", "between 0.0 and 1440.0"),
        ({"top_segment_effort_share": 1.2}, "staff.top_segment_effort_share", "1.2", "between 0.0 and 1.0"),
        ({"top_segment_effort_share": 0.8}, "staff.top_segment_effort_share", "0.8", "hours_per_person_per_day"),
        ({"top_segment_tiers": 5}, "staff.top_segment_tiers", "5", "number of tiers (4)"),
        (
            {"minutes_per_group_post": 10, "minutes_saved_per_koc_post": 12},
            "staff.minutes_saved_per_koc_post",
            "12.0",
            "must not exceed staff.minutes_per_group_post (10.0)",
        ),
    ],
)
def test_bad_staff_time_settings_are_one_line(staff: dict, field: str, shown: str, allowed: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        privsim.parse_scenario(scenario_dict(staff=staff), source="staff.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"staff.yaml: {field} = {shown} — "), message
    assert allowed in message, message
