"""Contacts: broadcasts and personal contacts, with their offers and coupons.

A batch is cut to the staff's remaining personal capacity and time
(:mod:`privsim.sim.staff`) or to each pool's remaining broadcast reach,
costs its pools' per-contact price, adds fatigue, moves trust (a service
contact raises it, a broadcast to a fatigued member and a deep discount
lower it), leaves an offer and/or a coupon (an offer moves the member's
reference discount; a coupon, at its depth for the member, does so and
erodes trust as an offer of that depth when
``behaviour.discount.coupons_count_as_discounts``), may reactivate silent
members, and may get the account blocked (:func:`privsim.behaviour.block_probability`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.members import ChurnReason, State
from privsim.policies.actions import Contacts
from privsim.sim.ledger import Flow
from privsim.sim.upkeep import churn_rows

if TYPE_CHECKING:
    from privsim.sim.world import World


def deliver(world: World, contacts: Contacts) -> None:
    """Deliver contacts: capacity and reach limits, cost, fatigue, trust, offers and coupons, reactivation,
    blocking.

    Blocking and reactivation use the member-day uniforms of privsim.core.rng: a
    member contacted twice in a day is tested against the same number, so
    the second contact blocks only if its higher fatigue raises the chance
    past it.
    """
    m, day, month, ledger = world.members, world.day, world.month, world.ledger
    rows = world.reachable(contacts.members)
    if contacts.mode == "personal":
        ledger.add(Flow.PERSONAL_CONTACTS_ASKED, month, len(rows))
        within_cap = rows[: world.personal_capacity_left]
        ledger.add(Flow.PERSONAL_CONTACTS_OVER_CAP, month, len(rows) - len(within_cap))
        rows = world.staff_time.contacts(within_cap, m.tier[within_cap], contacts.service, ledger, month)
        world.personal_capacity_left -= len(rows)
    else:
        rows = _within_reach(world, rows)
    if len(rows) == 0:
        return
    b = world.behaviour
    ledger.add(Flow.BROADCASTS if contacts.mode == "broadcast" else Flow.PERSONAL_CONTACTS, month, len(rows))
    pools = world.accounts.pool[m.account[rows]]
    ledger.add(Flow.CONTACT_COST_RMB, month, float(world.pool_cost_rmb[contacts.mode][pools].sum()))
    trust = m.trust[rows]
    offered = contacts.offer_depth > 0 or contacts.coupon_value_rmb > 0
    if contacts.service:
        if b.trust.gain_from_service_with_offer or not offered:
            trust = behaviour.toward_one(trust, b.trust.gain_per_service_contact)
        m.followed_up_day[rows] = day
    if contacts.mode == "broadcast":
        spammed = m.fatigue[rows] > b.contact.fatigue_threshold
        trust = np.where(spammed, trust * (1.0 - b.trust.loss_per_unwanted_message), trust)
    m.fatigue[rows] += world.fatigue_per_contact[contacts.mode]
    if contacts.offer_depth > 0:
        depth = contacts.offer_depth
        trust = trust * (1.0 - float(behaviour.deep_discount_trust_loss(np.asarray(depth), b)))
        start = day + contacts.offer_starts_in_days
        m.offer_depth[rows] = depth
        m.offer_from_day[rows] = start
        m.offer_until_day[rows] = start + contacts.offer_window_days - 1
        m.offer_is_sale[rows] = contacts.sale
        if contacts.offer_starts_in_days > 0:
            m.wait_until_day[rows] = start - 1
        ref = m.reference_discount[rows]
        m.reference_discount[rows] = ref + b.discount.habituation_rate * (depth - ref)
    if contacts.coupon_value_rmb > 0:
        m.coupon_value_rmb[rows] = contacts.coupon_value_rmb
        m.coupon_threshold_rmb[rows] = contacts.coupon_threshold_rmb
        m.coupon_until_day[rows] = day + contacts.coupon_window_days - 1
        if b.discount.coupons_count_as_discounts:
            coupon_share = behaviour.coupon_depth(
                m.coupon_value_rmb[rows], m.coupon_threshold_rmb[rows], m.order_value_mean_rmb[rows]
            )
            trust = (trust * (1.0 - behaviour.deep_discount_trust_loss(coupon_share, b))).astype(np.float32)
            ref = m.reference_discount[rows]
            m.reference_discount[rows] = ref + b.discount.habituation_rate * (coupon_share - ref)
    if offered:
        silent = rows[m.state[rows] == State.SILENT]
        back = silent[world.uniform("reactivation", silent) < b.silent_reactivation_prob_per_offer]
        m.state[back] = State.CUSTOMER
        ledger.add(Flow.REACTIVATIONS, month, len(back))
    m.trust[rows] = trust
    m.last_contact_day[rows] = day
    p_block = behaviour.block_probability(m.fatigue[rows], world.trust_for_effects(rows, trust), b)
    churn_rows(world, rows[world.uniform("block", rows) < p_block], ChurnReason.BLOCKED, month)


def _within_reach(world: World, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Drop broadcasts beyond each pool's remaining daily reach (moments cap), keeping priority order."""
    if all(r is None for r in world.reach_left):
        return rows
    pools = world.accounts.pool[world.members.account[rows]]
    keep = np.ones(len(rows), dtype=bool)
    for p, left in enumerate(world.reach_left):
        if left is None:
            continue
        in_pool = np.flatnonzero(pools == p)
        keep[in_pool[left:]] = False
        world.reach_left[p] = max(0, left - len(in_pool))
    return rows[keep]
