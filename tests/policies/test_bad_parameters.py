"""Bad lever parameters are rejected with a ScenarioError naming the field."""

from __future__ import annotations

import pytest

from helpers import scenario_dict, strategy
from levers import (
    SALE,
    brand_swap,
    groups,
    koc_programme,
    paid_membership,
    referral,
    routing,
    scenario_error,
    stored_value,
    winback,
)


def with_policies(*policies: dict) -> dict:
    """The default scenario with a strategy "lever" of ``policies`` after the "none" baseline."""
    return scenario_dict(strategies=[strategy("none", {"kind": "none"}), strategy("lever", *policies)])


def with_channel(**fields) -> dict:
    data = scenario_dict()
    data["channels"][1].update(fields)
    return data


P = "strategies[1].policies[0]"
DESCENDING = {"steps": [{"invites": 5, "cost_rmb": 50}, {"invites": 3, "cost_rmb": 30}]}
REPEATED = {"steps": [{"invites": 3, "cost_rmb": 30}, {"invites": 3, "cost_rmb": 50}]}
BAD = [
    # (id, scenario data, field, value, fragments of the message)
    (
        "referral-steps-descending",
        with_policies(referral(reward=DESCENDING)),
        f"{P}.reward",
        None,
        ["strictly increasing", "[5, 3]"],
    ),
    (
        "referral-steps-repeated",
        with_policies(referral(reward=REPEATED)),
        f"{P}.reward",
        None,
        ["strictly increasing", "[3, 3]"],
    ),
    ("referral-min-tier", with_policies(referral(min_tier=4)), f"{P}.min_tier", 4, ["from 0 to 3", "4 tiers"]),
    ("swap-overlap", with_policies(brand_swap(overlap_share=1.5)), f"{P}.overlap_share", 1.5, ["between 0.0 and 1.0"]),
    ("swap-no-days", with_policies(brand_swap(days=[])), f"{P}.days", [], ["at least 1 item"]),
    ("groups-high-tier", with_policies(groups(high_from_tier=4)), f"{P}.high_from_tier", 4, ["from 0 to 3"]),
    ("koc-without-groups", with_policies(koc_programme()), f"{P}.kind", "koc_programme", ["`groups`", "'lever'"]),
    (
        "koc-negative-fee",
        with_policies(groups(), koc_programme(fee_per_month_rmb=-1)),
        "strategies[1].policies[1].fee_per_month_rmb",
        -1,
        ["between 0.0 and"],
    ),
    (
        "membership-full-discount",
        with_policies(paid_membership(member_discount=1.0)),
        f"{P}.member_discount",
        1.0,
        ["between 0.0 and 0.95"],
    ),
    ("stored-value-zero", with_policies(stored_value(amount_rmb=0)), f"{P}.amount_rmb", 0, ["between 0.01 and"]),
    (
        "routing-unknown-pool",
        with_policies(routing("personal", "nowhere")),
        f"{P}.new_members_to[1]",
        "nowhere",
        ["account pools", "['personal', 'wecom']"],
    ),
    (
        "routing-unknown-buyers-pool",
        with_policies(routing("personal", buyers_to="nowhere")),
        f"{P}.buyers_to",
        "nowhere",
        ["['personal', 'wecom']"],
    ),
    (
        "channel-transit-loss",
        with_channel(transit_loss_share=1.2),
        "channels[1].transit_loss_share",
        1.2,
        ["between 0.0 and 1.0"],
    ),
    (
        "incentives-unknown-channel",
        with_policies({"kind": "incentives", "channels": {"nowhere": {"kind": "gift", "value_rmb": 5.0}}}),
        f"{P}.channels.nowhere",
        "nowhere",
        ["['card', 'sms']"],
    ),
    (
        "promo-month-13",
        with_policies({"kind": "promo_calendar", "sales": [{**SALE, "month": 13}]}),
        f"{P}.sales[0].month",
        13,
        ["between 1 and 12"],
    ),
    (
        "promo-day-31",
        with_policies({"kind": "promo_calendar", "sales": [{**SALE, "day": 31}]}),
        f"{P}.sales[0].day",
        31,
        ["between 1 and 28"],
    ),
    ("winback-full-offer", with_policies(winback(offer_depth=1.0)), f"{P}.offer_depth", 1.0, ["between 0.0 and 0.95"]),
]


@pytest.mark.parametrize(("data", "field", "value", "fragments"), [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_lever_parameters_are_rejected_naming_the_field(data: dict, field: str, value, fragments: list) -> None:
    err = scenario_error(data)
    assert err.field == field, str(err)
    if value is not None:
        assert err.value == value or list(err.value) == value, str(err)
    for fragment in fragments:
        assert fragment in str(err), str(err)
    assert str(err).startswith(f"<scenario>: {field} = ")


def test_bad_tier_coupon_rung_is_rejected() -> None:
    # A coupon for tier rung 4 in a 4-tier ladder (rungs 0-3).
    coupons = [{"tier": 1, "value_rmb": 20.0}, {"tier": 4, "value_rmb": 40.0}]
    err = scenario_error(with_policies({"kind": "tier_coupons", "coupons": coupons}))
    assert err.field.startswith(f"{P}.coupons"), str(err)
    assert err.value == 4 and "from 0 to 3" in str(err)


def test_bad_tier_coupon_rung_names_the_entry() -> None:
    coupons = [{"tier": 1, "value_rmb": 20.0}, {"tier": 4, "value_rmb": 40.0}]
    err = scenario_error(with_policies({"kind": "tier_coupons", "coupons": coupons}))
    assert err.field == f"{P}.coupons[1].tier", str(err)


def test_koc_without_groups_names_its_own_strategy() -> None:
    # Strategy 0 is fine (groups + KOCs); strategy 1 has KOCs without groups.
    data = scenario_dict(strategies=[strategy("fine", groups(), koc_programme()), strategy("bad", koc_programme())])
    err = scenario_error(data)
    assert err.field == "strategies[1].policies[0].kind", str(err)
    assert "'bad'" in str(err)
