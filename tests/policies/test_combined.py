"""All the levers together in one strategy: they combine, and the books still add up."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import SEED, strategy
from levers import (
    TIER_COUPONS,
    assert_books,
    channel_incentive,
    koc_programme,
    parse,
    pool_of,
    referral,
    routing,
    run_world,
    total,
    winback,
)
from privsim.runner import run_scenario
from privsim.scenario import Scenario


def everything_scenario() -> Scenario:
    """Three account pools (bans possible, WeCom distant and reach-capped, a phone line), three channels
    with a gift, a coupon (with transit loss) and a lottery, and every lever of the library together."""
    accounts = [
        {
            "name": "personal",
            "kind": "personal_wechat",
            "count": 2,
            "daily_add_cap": 30,
            "members_per_account": 5000,
            "ban_prob_per_excess_add": 0.002,
        },
        {
            "name": "wecom",
            "kind": "wecom",
            "count": 1,
            "daily_add_cap": 60,
            "members_per_account": 20000,
            "member_churn_rate_per_year": 0.35,
            "cost_per_broadcast_rmb": 0.01,
            "trust_offset": -0.1,
            "broadcast_reach_per_day": 2000,
            "ban_prob_per_excess_add": 0.002,
        },
        {
            "name": "phone",
            "kind": "phone",
            "count": 1,
            "daily_add_cap": 20,
            "members_per_account": 3000,
            "cost_per_personal_contact_rmb": 0.5,
        },
    ]
    channels = [
        {
            "name": "card",
            "kind": "package_card",
            "leads_per_day": 60,
            "cost_per_lead_rmb": 0.5,
            "add_rate": 0.2,
            **channel_incentive("gift", 10.0),
        },
        {
            "name": "sms",
            "kind": "sms",
            "leads_per_day": 80,
            "cost_per_lead_rmb": 0.05,
            "add_rate": 0.05,
            "transit_loss_share": 0.3,
            **channel_incentive("coupon", 20.0, 200.0),
        },
        {
            "name": "store",
            "kind": "store_qr",
            "leads_per_day": 20,
            "add_rate": 0.3,
            **channel_incentive("lottery", 15.0),
        },
    ]
    everything = strategy(
        "everything",
        {"kind": "nurture"},
        referral(50.0, every_days=60),
        {"kind": "brand_swap", "days": [20, 200], "pool_size": 3000, "mechanic": "fission"},
        {"kind": "groups", "group_size": 100, "high_group_size": 40},
        koc_programme(target_kocs=5, min_purchases_per_year=4, min_spend_per_year_rmb=2000),
        {"kind": "paid_membership"},
        {"kind": "stored_value", "min_purchases": 1},
        routing("wecom", "personal", buyers_to="personal", phone_pool="phone", over_cap_share=0.2),
        {"kind": "promo_calendar", "fission_after": True},
        {"kind": "tier_coupons", "coupons": TIER_COUPONS, "birthday_coupon_rmb": 30.0},
        winback(mode="personal"),
    )
    return parse(
        horizon_days=400,
        start_date="2025-05-01",
        channels=channels,
        accounts=accounts,
        staff={"count": 2},
        behaviour={"phone_preference_share": 0.2, "silent_reactivation_prob_per_offer": 0.05},
        strategies=[strategy("none", {"kind": "none"}), everything],
    )


@pytest.mark.slow  # every lever at once over a long horizon, ~15 s
def test_all_levers_combine_in_one_strategy() -> None:
    # Every policy of the library in one strategy (nurture + referral + a
    # fission brand swap + groups + KOCs + paid membership + stored value +
    # routing past the add cap + the 618 and 11.11 sales with fission +
    # tier and birthday coupons + win-back) on channels with incentives: it
    # runs, the accounting invariants hold in every month (assert_books:
    # members conserved, state stocks sum to the rows, the profit identity,
    # no negative flow or stock, accounts and groups agree with the rows),
    # and every lever did something. Through the runner too (the tables
    # hold one figure per metric and replication).
    scenario = everything_scenario()
    fired = (
        "incentive_cost_rmb",
        "leads_lost_in_transit",
        "coupons_used",
        "referral_joined",
        "swap_joined",
        "koc_recruited",
        "koc_cost_rmb",
        "membership_signups",
        "topups",
        "stored_value_spent_rmb",
        "moved_members",
        "account_bans",
        "reactivations",
        "personal_contacts",
        "broadcasts",
    )
    for rep in range(2):
        world, result = run_world(scenario, "everything", rep)
        assert_books(world, result)
        for flow in fired:
            assert total(result, flow) > 0, flow
        mo = result.monthly
        for stock in ("members_in_groups", "koc_hosted_groups", "paid_members", "stored_value_liability_rmb"):
            assert mo[stock].max() > 0, stock
        assert np.all(mo["paid_members"] <= mo["members_reachable"])
        assert np.all(mo["members_in_groups"] <= mo["members_reachable"])
        assert np.all(mo["koc_hosted_members"] <= mo["members_in_groups"])
        np.testing.assert_array_equal(mo["staff_saved_fte"], mo["koc_hosted_groups"] / scenario.staff.groups_per_person)
        pools = pool_of(world, np.arange(world.members.n))
        assert np.bincount(pools, minlength=3).min() > 0  # members on all three pools
    run = run_scenario(scenario, replications=1, seed=SEED)
    table = run.tables.replications
    assert set(table["strategy"]) == {"none", "everything"}
    assert not table.duplicated(["strategy", "replication", "metric"]).any()
