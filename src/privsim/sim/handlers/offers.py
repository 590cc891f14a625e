"""Paid membership and stored-value top-ups: members decide with behaviour.membership and behaviour.stored_value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from privsim import behaviour
from privsim.agents.members import State
from privsim.policies.actions import MembershipOffer, TopUpOffer
from privsim.sim.ledger import Flow

if TYPE_CHECKING:
    from privsim.sim.world import World


def offer_membership(world: World, offer: MembershipOffer) -> None:
    """Members not churned and not paying decide on their expected savings; the terms are kept for renewals."""
    m, month = world.members, world.month
    rows = np.asarray(offer.members, dtype=np.int64)
    eligible = (m.state[rows] != State.CHURNED) & (m.paid_until_day[rows] < world.day)
    rows, savings = rows[eligible], np.asarray(offer.expected_savings_rmb, dtype=float)[eligible]
    p = behaviour.membership_probability(savings, offer.fee_rmb, world.trust_for_effects(rows), world.behaviour)
    buyers = rows[world.uniform("membership", rows) < p]
    m.paid_until_day[buyers] = world.day + offer.duration_days - 1
    m.paid_savings_rmb[buyers] = 0.0
    world.membership_terms = (offer.fee_rmb, offer.duration_days)
    world.ledger.add(Flow.MEMBERSHIP_SIGNUPS, month, len(buyers))
    world.ledger.book_membership_fees(world.month_of_day, world.day, len(buyers), offer.fee_rmb, offer.duration_days)


def offer_top_up(world: World, offer: TopUpOffer) -> None:
    """Payers add ``amount + bonus`` to their balance; its cash share is the cash paid per RMB of balance."""
    m, month = world.members, world.month
    rows = world.reachable(offer.members)
    p = behaviour.topup_probability(offer.bonus_rmb / offer.amount_rmb, world.trust_for_effects(rows), world.behaviour)
    payers = rows[world.uniform("top_up", rows) < p]
    balance, share = m.balance_rmb[payers], m.balance_cash_share[payers]
    new_balance = balance + offer.amount_rmb + offer.bonus_rmb
    m.balance_cash_share[payers] = (balance * share + offer.amount_rmb) / new_balance
    m.balance_rmb[payers] = new_balance
    world.ledger.add(Flow.TOPUPS, month, len(payers))
    world.ledger.add(Flow.STORED_VALUE_TOPUPS_RMB, month, offer.amount_rmb * len(payers))
