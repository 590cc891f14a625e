"""The end of each day: tier demotion, KOC upkeep, membership expiry, churn, and the daily decay.

- Demotion: a member of a tier with ``demote_after_inactive_days`` who has
  neither bought nor changed tier for longer drops one rung (its progress
  capped at the lower rung's thresholds).
- KOC upkeep: active KOCs' fees accrue daily
  (``fee_per_month x MONTHS_PER_YEAR / DAYS_PER_YEAR``); each KOC not yet
  quit quits with ``1 - exp(-quit_rate_per_year / DAYS_PER_YEAR)``.
- Membership expiry: members whose paid membership ended yesterday renew
  on the value they got (:func:`privsim.behaviour.membership_probability`).
- Churn: lifecycle end, account deletion, then the platform's account bans.
- Decay: fatigue and the reference discount decay by their daily factors;
  trust fades toward the member's own baseline ``b`` (``trust.initial`` plus
  its pool's ``trust_offset``, clipped to [0, 1]) when the behaviour sets
  half-lives: ``trust - b`` is multiplied by ``2 ** (-1 / half_life_days)``
  where trust is above ``b`` and by ``2 ** (-1 / loss_half_life_days)`` where
  it is below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.groups import KocStatus
from privsim.agents.members import ChurnReason, State
from privsim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR
from privsim.sim.ledger import CHURN_FLOW, LOST_REASONS, Flow, PoolStep

if TYPE_CHECKING:
    from privsim.sim.world import World


def demote(world: World) -> None:
    """Members inactive for longer than their tier's ``demote_after_inactive_days`` drop one rung."""
    m, day, tiers = world.members, world.day, world.scenario.tiers
    for k in range(len(tiers) - 1, 0, -1):
        after = tiers[k].demote_after_inactive_days
        if after is None:
            continue
        tier = m.tier[: m.n]
        since = np.maximum(m.last_purchase_day[: m.n], m.tier_since_day[: m.n])
        rows = np.flatnonzero((tier == k) & (day - since > after) & (m.state[: m.n] != State.CHURNED))
        if len(rows):
            lower = tiers[k - 1]
            m.tier[rows] = k - 1
            m.tier_since_day[rows] = day
            m.tier_purchases[rows] = np.minimum(m.tier_purchases[rows], lower.min_purchases)
            m.tier_spend_rmb[rows] = np.minimum(m.tier_spend_rmb[rows], lower.min_spend_rmb)


def koc_upkeep(world: World, month: int) -> None:
    """Active KOCs are paid (fee accrued daily) and may quit; a quitting KOC's groups fall back to staff."""
    kocs = world.kocs
    if len(kocs) == 0:
        return
    active = kocs.status == KocStatus.ACTIVE
    fees_per_day = float(kocs.fee_per_month_rmb[active].sum()) * MONTHS_PER_YEAR / DAYS_PER_YEAR
    world.ledger.add(Flow.KOC_COST_RMB, month, fees_per_day)
    p_quit = -np.expm1(-world.behaviour.koc.quit_rate_per_year / DAYS_PER_YEAR)
    quit_ = np.flatnonzero((kocs.status != KocStatus.QUIT) & (world.rng["events"].random(len(kocs)) < p_quit))
    retire_kocs(world, quit_)


def retire_kocs(world: World, ids: npt.NDArray[np.int64]) -> None:
    """KOCs ``ids`` stop (quit or churned): status QUIT, their groups go back to staff hosts."""
    if len(ids) == 0:
        return
    kocs, groups = world.kocs, world.groups
    world.ledger.add(Flow.KOC_QUIT, world.month, int((kocs.status[ids] != KocStatus.QUIT).sum()))
    kocs.status[ids] = KocStatus.QUIT
    groups.host[np.isin(groups.host, ids)] = -1


def expire_memberships(world: World, month: int) -> None:
    """Memberships that ended yesterday: members renew on the value they got (behaviour.membership)."""
    if world.membership_terms is None:
        return
    m, n = world.members, world.members.n
    ended = np.flatnonzero((m.paid_until_day[:n] == world.day - 1) & (m.state[:n] != State.CHURNED))
    if len(ended) == 0:
        return
    fee, duration = world.membership_terms
    p = behaviour.membership_probability(
        m.paid_savings_rmb[ended], fee, world.trust_for_effects(ended), world.behaviour, renewal=True
    )
    renew = ended[world.uniform("renewal", ended) < p]
    m.paid_savings_rmb[ended] = 0.0
    m.paid_until_day[renew] = world.day + duration - 1
    world.ledger.add(Flow.MEMBERSHIP_RENEWALS, month, len(renew))
    world.ledger.book_membership_fees(world.month_of_day, world.day, len(renew), fee, duration)


def churn(world: World, month: int) -> None:
    """Members whose need ended or who delete their account today churn; then the platform bans accounts."""
    m, n, day = world.members, world.members.n, world.day
    alive = m.state[:n] != State.CHURNED
    ended = alive & (m.lifecycle_end_day[:n] <= day)
    churn_rows(world, np.flatnonzero(ended), ChurnReason.LIFECYCLE, month)
    deleted = alive & ~ended & (m.deletion_day[:n] <= day)
    churn_rows(world, np.flatnonzero(deleted), ChurnReason.DELETED, month)
    banned = world.accounts.draw_bans(world.rng["events"])
    if len(banned):
        world.ledger.add(Flow.ACCOUNT_BANS, month, len(banned))
        lost = np.flatnonzero(np.isin(m.account[:n], banned) & (m.state[:n] != State.CHURNED))
        churn_rows(world, lost, ChurnReason.BANNED, month)


def churn_rows(world: World, rows: npt.NDArray[np.int64], reason: ChurnReason, month: int) -> None:
    """``rows`` churn for ``reason``: they leave their account, group and KOC role."""
    if len(rows) == 0:
        return
    m = world.members
    m.state[rows] = State.CHURNED
    m.churn_reason[rows] = reason
    world.accounts.release(m.account[rows])
    if len(world.groups):
        world.groups.leave(m.group[rows])
        m.group[rows] = -1
    kocs = world.kocs
    if len(kocs):
        retire_kocs(world, np.flatnonzero(np.isin(kocs.member, rows) & (kocs.status != KocStatus.QUIT)))
    world.ledger.add(CHURN_FLOW[reason], month, len(rows))
    fake = int((m.fake[rows] > 0).sum())
    world.ledger.add(Flow.CHURNED_FAKE, month, fake)
    world.ledger.add(Flow.CHURNED_LOST if reason in LOST_REASONS else Flow.CHURNED_ENDED, month, len(rows) - fake)
    world.ledger.count_by_pool(PoolStep.CHURNED, world.month, world.accounts.pool[m.account[rows]])


def decay(world: World) -> None:
    """Fatigue, the reference discount and (when it fades) trust decay by one day."""
    m = world.members
    m.fatigue[: m.n] *= world.fatigue_decay_per_day
    m.reference_discount[: m.n] *= 1.0 - world.behaviour.discount.reference_decay_per_day
    gain_keep, loss_keep = world.trust_keep_per_day
    if gain_keep == loss_keep == 1.0:
        return
    rows = np.flatnonzero(m.state[: m.n] != State.CHURNED)
    baseline = world.trust_baseline(rows)
    excess = m.trust[rows] - baseline
    m.trust[rows] = baseline + excess * np.where(excess > 0, np.float32(gain_keep), np.float32(loss_keep))
