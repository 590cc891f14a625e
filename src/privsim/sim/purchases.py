"""Group posts, shop visits and purchases, and the booking of each order.

Each day, after the policies' daily actions: groups post (members of a
posting group gain trust and a little fatigue, and are more likely to buy
that day); every member who may buy (added or customer, no order yet
today) buys with :func:`privsim.behaviour.purchase_probability` of its
offer, coupon, the policies' standing discounts, and its suppressions
(waiting for an announced sale, stocked up after one), tested against its
member-day uniform; the same uniform decides a visit
(:func:`privsim.behaviour.visit_probability`). :func:`record_purchases`
books each order and what follows it: history, trust, tier promotion, dropout;
an order that will be returned (:mod:`privsim.sim.returns`, when returns
are on) counts toward neither tier progress nor paid-membership savings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.members import NEVER, State
from privsim.sim import returns
from privsim.sim.ledger import QUICK_SECOND_PURCHASE_DAYS, ChannelStep, Flow, PoolStep, TierStep

if TYPE_CHECKING:
    from privsim.sim.world import World


def standing_discount(world: World, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Combined share off list price the active policies (today's phase's) give ``rows`` on every order:
    ``1 - prod(1 - share)`` over the policies."""
    view = world.view()
    keep = np.ones(len(rows), dtype=np.float32)
    for policy in world.policies:
        share = policy.standing_discount(view, rows)
        if share is not None:
            keep *= 1.0 - share
    return 1.0 - keep


def group_posts(world: World) -> None:
    """Groups post; members of posting groups gain trust (more from a KOC) and a little fatigue."""
    if len(world.groups) == 0:
        world.posted = np.zeros(0, dtype=bool)
        return
    m, g = world.members, world.behaviour.group
    activity = world.kocs.activity(world.day, world.behaviour.koc.burnout_half_life_days)
    posting = world.groups.posts(activity, world.rng["events"])
    posted_groups = world.staff_time.posts(posting, world.groups.host >= 0, world.ledger, world.month)
    group = m.group[: m.n]
    in_group = group >= 0
    world.posted = in_group & posted_groups[np.maximum(group, 0)]
    rows = np.flatnonzero(world.posted & (m.state[: m.n] != State.CHURNED))
    by_koc = world.groups.host[m.group[rows]] >= 0
    gain = np.where(by_koc, g.koc_post_trust_gain, g.staff_post_trust_gain)
    m.trust[rows] = behaviour.toward_one(m.trust[rows], gain)
    m.fatigue[rows] += g.fatigue_per_post


def purchases(world: World, month: int) -> None:
    """Today's visits and orders of the members who may buy (see the module docstring)."""
    m, day, b = world.members, world.day, world.behaviour
    state = m.state[: m.n]
    # one order per member and day: scheduled entries made theirs already today
    may_buy = ((state == State.ADDED) | (state == State.CUSTOMER)) & (m.last_purchase_day[: m.n] < day)
    rows = np.flatnonzero(may_buy)
    offer_valid = (m.offer_from_day[rows] <= day) & (m.offer_until_day[rows] >= day)
    offer = np.where(offer_valid, m.offer_depth[rows], np.float32(0.0))
    coupon_valid = m.coupon_until_day[rows] >= day
    coupon = np.where(
        coupon_valid,
        behaviour.coupon_depth(m.coupon_value_rmb[rows], m.coupon_threshold_rmb[rows], m.order_value_mean_rmb[rows]),
        np.float32(0.0),
    )
    standing = standing_discount(world, rows)
    percent = behaviour.effective_discount(offer, standing)
    extra = np.zeros(len(rows), dtype=np.float32)
    posted = world.posted
    if len(posted):
        extra += np.where(posted[rows], np.float32(np.log1p(b.group.post_purchase_lift)), np.float32(0.0))
    promo = b.promo
    waiting = (m.wait_until_day[rows] >= day) & ~offer_valid
    extra += np.where(waiting, np.float32(np.log1p(-min(promo.anticipation_suppression, 1 - 1e-6))), np.float32(0.0))
    stocked = m.stockpile_until_day[rows] >= day
    extra += np.where(stocked, np.float32(np.log1p(-min(promo.stockpile_suppression, 1 - 1e-6))), np.float32(0.0))
    prompted = m.last_contact_day[rows] == day
    promotion = behaviour.promotion_log_lift(
        offer_valid | coupon_valid, behaviour.effective_discount(offer, coupon), prompted, b
    )
    p = behaviour.purchase_probability(
        m.rate_per_day[rows],
        world.trust_for_effects(rows),
        behaviour.effective_discount(percent, coupon),
        m.reference_discount[rows],
        promotion,
        b,
        extra,
    )
    u = world.uniform("purchase", rows)
    buy = u < p
    if len(posted):
        prompted |= posted[rows]
    visits = int((u < behaviour.visit_probability(p, prompted, b)).sum())
    world.ledger.add(Flow.VISITS, month, visits)
    world.ledger.add(Flow.UNPAID_VISITS, month, visits - int(buy.sum()))
    sale = offer_valid[buy] & (m.offer_is_sale[rows[buy]] > 0)
    record_purchases(world, rows[buy], percent[buy], month, coupon_valid[buy], sale)


def record_purchases(
    world: World,
    buyers: npt.NDArray[np.int64],
    percent: npt.NDArray[np.floating],
    month: int,
    coupon_valid: npt.NDArray[np.bool_] | None = None,
    sale: npt.NDArray[np.bool_] | None = None,
) -> None:
    """Book one order per buyer: value, percent discount, coupon, stored value; then history, trust, tier,
    dropout."""
    if len(buyers) == 0:
        return
    m, day, b, ledger = world.members, world.day, world.behaviour, world.ledger
    rng = world.rng["orders"]
    population = world.scenario.population
    values = behaviour.order_values_rmb(m.order_value_mean_rmb[buyers], population.order_value.cv_within_member, rng)
    if sale is not None and sale.any():
        values = np.where(sale, values * (1.0 + b.promo.stockpile_share), values)
        m.stockpile_until_day[buyers[sale]] = day + b.promo.stockpile_days
    percent_off = values * percent
    coupon_off = np.zeros(len(buyers))
    if coupon_valid is not None and coupon_valid.any():
        threshold = m.coupon_threshold_rmb[buyers]
        short = coupon_valid & (values < threshold)
        topup = world.uniform("coupon_topup", buyers) < b.coupon.topup_prob
        values = np.where(short & topup, threshold, values)
        percent_off = values * percent
        used = coupon_valid & (values >= threshold)
        coupon_off = np.where(used, np.minimum(m.coupon_value_rmb[buyers], values - percent_off), 0.0)
        m.coupon_until_day[buyers[used]] = NEVER  # a coupon is used once
        ledger.add(Flow.COUPONS_USED, month, int(used.sum()))
    net = values - percent_off - coupon_off
    balance = m.balance_rmb[buyers]
    from_balance = np.minimum(balance, net)
    bonus_off = from_balance * (1.0 - m.balance_cash_share[buyers])
    m.balance_rmb[buyers] = balance - from_balance
    discount = percent_off + coupon_off + bonus_off
    gmv = float(values.sum())
    ledger.add(Flow.ORDERS, month, len(buyers))
    ledger.add(Flow.GMV_LIST_RMB, month, gmv)
    ledger.add(Flow.DISCOUNTS_RMB, month, float(discount.sum()))
    ledger.add(Flow.STORED_VALUE_SPENT_RMB, month, float(from_balance.sum()))
    ledger.add(Flow.COGS_RMB, month, gmv * (1.0 - population.gross_margin_share))
    kept = _book_returns(world, buyers, values, discount, from_balance)
    paid = m.paid_until_day[buyers] >= day
    m.paid_savings_rmb[buyers[paid & kept]] += (percent_off + coupon_off)[paid & kept]
    ledger.add(Flow.ORDERS_PAID_MEMBERS, month, int(paid.sum()))
    ledger.add(Flow.GMV_PAID_MEMBERS_RMB, month, float(values[paid].sum()))
    ledger.add_by_tier(
        TierStep.GMV_LIST_RMB, month, np.bincount(m.tier[buyers], weights=values, minlength=len(world.tier_names))
    )
    repeat = m.purchases[buyers] > 0
    first = buyers[~repeat]
    ledger.add(Flow.FIRST_ORDERS, month, len(first))
    ledger.count_by_pool(PoolStep.FIRST_ORDERS, world.month, world.accounts.pool[m.account[first]])
    channel = m.channel[buyers]
    acquired = channel >= 0
    n_channels = len(world.scenario.channels)
    ledger.add_by_channel(
        ChannelStep.FIRST_ORDERS, month, np.bincount(channel[acquired & ~repeat], minlength=n_channels)
    )
    ledger.add_by_channel(
        ChannelStep.REPEAT_ORDERS, month, np.bincount(channel[acquired & repeat], minlength=n_channels)
    )
    m.first_purchase_day[first] = day
    second = buyers[m.purchases[buyers] == 1]
    m.quick_second_purchase[second] = day - m.first_purchase_day[second] <= QUICK_SECOND_PURCHASE_DAYS
    m.purchases[buyers] += 1
    m.spend_rmb[buyers] += values
    m.tier_purchases[buyers] += kept
    m.tier_spend_rmb[buyers] += np.where(kept, values, 0.0)
    m.last_purchase_day[buyers] = day
    m.offer_until_day[buyers] = NEVER  # an offer is used once
    m.state[buyers] = State.CUSTOMER
    trust = behaviour.toward_one(m.trust[buyers], b.trust.gain_per_purchase)
    m.trust[buyers] = trust
    qualified = (
        (m.tier_purchases[buyers][:, None] >= world.tier_min_purchases)
        & (m.tier_spend_rmb[buyers][:, None] >= world.tier_min_spend_rmb)
    ).sum(axis=1) - 1
    promoted = qualified > m.tier[buyers]
    m.tier[buyers[promoted]] = qualified[promoted]
    m.tier_since_day[buyers[promoted]] = day
    p_drop = behaviour.dropout_probability(m.dropout_prob[buyers], world.trust_for_effects(buyers, trust), b)
    p_drop = np.where(m.balance_rmb[buyers] > 0, p_drop * (1.0 - b.stored_value.dropout_reduction), p_drop)
    drop = repeat & (world.uniform("dropout", buyers) < p_drop)
    m.state[buyers[drop]] = State.SILENT
    ledger.add(Flow.DROPOUTS, month, int(drop.sum()))


def _book_returns(
    world: World,
    buyers: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    discount: npt.NDArray[np.float64],
    from_balance: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Which of these orders are kept (all, when returns are off); queue the returned ones."""
    kept = np.ones(len(buyers), dtype=bool)
    if not world.returns_on:
        return kept
    returned, due = returns.decide(world, buyers)
    if returned.any():
        orders = returns.PendingReturns(
            buyers, world.members.tier[buyers].astype(np.int64), values, values - discount, from_balance
        )
        returns.schedule(world, due[returned], orders.select(returned))
    kept[returned] = False
    return kept
