"""How members come in: the day-0 base, acquisition (leads → added members), scheduled entries, newcomers.

Acquisition, each day: every channel's leads are Poisson (a channel with
``addressable_customers`` approaches each customer not yet added at
``leads_per_day / addressable_customers`` a day); leads add an account with
the channel's add rate (raised by its incentive), some are lost in transit,
and the rest join as far as the accounts have room today (when they do not
all fit, who joins is drawn without replacement across channels; the others
are ``leads_over_capacity``). With a holding pool (an official account,
STEAK-TRANSIT), leads without room wait on it instead, as far as it has room,
join first once staff accounts have room, and are lost at its daily hazard
while they wait (:func:`_through_holding`).
A joining member draws its traits, gets an account (in the pools' order or
the placement a routing policy sets), its initial trust and the day it
will delete the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.members import NO_END, State
from privsim.sim import purchases
from privsim.sim.ledger import ChannelStep, Flow, PoolStep

if TYPE_CHECKING:
    from privsim.sim.world import World

_INITIAL_STATES = {"added": State.ADDED, "customer": State.CUSTOMER, "silent": State.SILENT}

Rows = slice | npt.NDArray[np.int64]


def create_initial_base(world: World) -> None:
    """The scenario's ``population.initial`` groups as the first member rows (the day-0 base)."""
    pop, m, rng = world.scenario.population, world.members, world.rng["population"]
    lifecycle = world.scenario.lifecycle
    for group in pop.initial:
        rows = m.add(group.count)
        tier = world.tier_names.index(group.tier)
        m.state[rows] = _INITIAL_STATES[group.state]
        m.tier[rows] = tier
        m.rate_per_day[rows], m.dropout_prob[rows], m.order_value_mean_rmb[rows] = behaviour.draw_traits(
            pop, group.count, 1.0, rng
        )
        if lifecycle is not None:
            remaining = rng.uniform(0.0, lifecycle.tenure_days, group.count)
            m.lifecycle_end_day[rows] = np.ceil(remaining).astype(np.int32)
            m.joined_day[rows] = m.lifecycle_end_day[rows] - lifecycle.tenure_days
        else:
            m.joined_day[rows] = -pop.initial_last_purchase_within_days
        if group.state != "added":
            last = -rng.integers(1, pop.initial_last_purchase_within_days + 1, group.count)
            m.last_purchase_day[rows] = np.maximum(last, m.joined_day[rows])
            m.first_purchase_day[rows] = m.joined_day[rows]
            purchase_count = max(world.scenario.tiers[tier].min_purchases, 1)
            spend = np.maximum(world.scenario.tiers[tier].min_spend_rmb, purchase_count * m.order_value_mean_rmb[rows])
            m.purchases[rows] = m.tier_purchases[rows] = purchase_count
            m.spend_rmb[rows] = m.tier_spend_rmb[rows] = spend
        m.tier_since_day[rows] = m.joined_day[rows]
    everyone = slice(0, m.n)
    m.prefers_phone[everyone] = rng.random(m.n) < world.behaviour.phone_preference_share
    order = rng.permutation(m.n)
    m.account[everyone][order] = world.accounts.place_initial(m.n)
    set_initial_trust(world, everyone)
    draw_deletion_days(world, everyone)


def set_initial_trust(world: World, rows: Rows, bonus: float = 0.0) -> None:
    """The member's own baseline (:meth:`World.trust_baseline`) moved ``bonus`` of the way to 1 (a referral)."""
    world.members.trust[rows] = behaviour.toward_one(world.trust_baseline(rows), bonus)


def draw_deletion_days(world: World, rows: Rows) -> None:
    """Day each member deletes its account: the pool's daily hazard as a geometric waiting time.

    Equivalent to a daily Bernoulli draw with ``p = 1 - exp(-rate / DAYS_PER_YEAR)``
    from the day the member is placed (memoryless), drawn once per placement.
    """
    m = world.members
    p = world.pool_churn_prob_per_day[world.accounts.pool[m.account[rows]]]
    days = np.full(len(p), NO_END, dtype=np.int64)
    hazard = p > 0
    days[hazard] = world.day - 1 + world.rng["population"].geometric(p[hazard])
    m.deletion_day[rows] = np.minimum(days, NO_END)


def acquire(world: World, month: int) -> None:
    """Today's leads of every channel, and those who join (see the module docstring)."""
    channels = world.scenario.channels
    if not channels:
        return
    rng, ledger = world.uniforms.day_generator("acquisition", world.day), world.ledger
    finite = world.finite_channels
    lead_rates = np.array([c.leads_per_day for c in channels], dtype=float)
    # a finite channel approaches each customer not yet added at leads_per_day / addressable a day
    lead_rates[finite] *= world.addressable_left[finite] / world.addressable
    leads = np.minimum(rng.poisson(lead_rates), world.addressable_left).astype(np.int64)
    incentives = world.incentives
    rates = [
        behaviour.incentive_add_rate(c.add_rate, i, world.behaviour) for c, i in zip(channels, incentives, strict=True)
    ]
    willing = rng.binomial(leads, rates)
    arriving = rng.binomial(willing, [1.0 - c.transit_loss_share for c in channels])
    room = room_for_new(world)
    if world.accounts.holding is None:
        added = _fitting(arriving, room, rng)
        world.addressable_left -= added
        over = arriving - added
    else:
        added, over = _through_holding(world, arriving, room, rng, month)
    ledger.add(Flow.LEADS, month, leads.sum())
    ledger.add(Flow.LEADS_DECLINED, month, (leads - willing).sum())
    ledger.add(Flow.LEADS_LOST_IN_TRANSIT, month, (willing - arriving).sum())
    ledger.add(Flow.LEADS_OVER_CAPACITY, month, over.sum())
    ledger.add(Flow.ACQUISITION_COST_RMB, month, float(np.dot(leads, [c.cost_per_lead_rmb for c in channels])))
    paid_per_add = [i.value_rmb if i.kind in ("gift", "lottery") else 0.0 for i in incentives]
    ledger.add(Flow.INCENTIVE_COST_RMB, month, float(np.dot(added, paid_per_add)))
    ledger.add_by_channel(ChannelStep.LEADS, month, leads)
    ledger.add_by_channel(ChannelStep.ADDED, month, added)
    total = int(added.sum())
    if total == 0:
        return
    channel = np.repeat(np.arange(len(channels)), added)
    quality = np.array([c.quality for c in channels])[channel]
    rows = join(world, total, quality)
    m = world.members
    m.channel[rows] = channel
    coupon = np.array([i.kind == "coupon" for i in incentives])[channel]
    if coupon.any():
        with_coupon = np.arange(rows.start, rows.stop)[coupon]
        m.coupon_value_rmb[with_coupon] = np.array([i.value_rmb for i in incentives])[channel[coupon]]
        m.coupon_threshold_rmb[with_coupon] = np.array([i.coupon_threshold_rmb for i in incentives])[channel[coupon]]
        m.coupon_until_day[with_coupon] = NO_END


def _fitting(counts: npt.NDArray[np.int64], room: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Of ``counts`` (one per channel), those who fit ``room``: all, or ``room`` drawn without replacement."""
    fit: npt.NDArray[np.int64] = counts if counts.sum() <= room else rng.multivariate_hypergeometric(counts, room)
    return fit


def _through_holding(
    world: World, arriving: npt.NDArray[np.int64], room: int, rng: np.random.Generator, month: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Today's joiners and leads over capacity (each per channel) when a holding pool exists.

    The leads waiting on the holding pool join first (drawn without
    replacement when they do not all fit), today's arriving leads take the
    room left, those still without room wait on the holding pool as far as
    :meth:`~privsim.agents.accounts.AccountTable.holding_room` allows (the
    rest are over capacity), and then each waiting lead is lost with
    ``1 - exp(-holding_loss_rate_per_day)`` (``leads_lost_in_holding``). A
    finite channel's customer is not addressable while waiting and is again
    once lost, like a customer lost in transit.
    """
    waited = _fitting(world.waiting, room, rng)
    new = _fitting(arriving, room - int(waited.sum()), rng)
    left = arriving - new
    still = world.waiting - waited
    held = _fitting(left, world.accounts.holding_room(world.day, int(still.sum())), rng)
    lost = rng.binomial(still + held, world.holding_loss_prob_per_day)
    world.waiting = still + held - lost
    world.addressable_left -= new + held - lost
    world.ledger.add(Flow.LEADS_LOST_IN_HOLDING, month, lost.sum())
    return waited + new, left - held


def enter_scheduled(world: World, month: int) -> None:
    """Scenario ``population.entries`` for today: customers joining with their first purchase."""
    count = world.entries.get(world.day, 0)
    if count:
        rows = join(world, count, 1.0, daily_cap=False)
        purchases.record_purchases(world, np.arange(rows.start, rows.stop), np.zeros(count), month)


def room_for_new(world: World) -> int:
    """New members the accounts can still add today, in the pools new members go to."""
    return world.accounts.room_today(world.over_cap_share, world.placement)


def join(
    world: World,
    count: int,
    quality: npt.NDArray[np.float64] | float,
    daily_cap: bool = True,
    trust_bonus: float = 0.0,
) -> slice:
    """Add ``count`` members today (count must fit the accounts' room); return their rows."""
    m, rng = world.members, world.rng["population"]
    world.ledger.add(Flow.ADDED, world.month, count)
    accounts = world.accounts.place_new(count, daily_cap, world.placement, world.over_cap_share)
    world.ledger.count_by_pool(PoolStep.ADDED, world.month, world.accounts.pool[accounts])
    rows = m.add(count)
    rate, dropout, value = behaviour.draw_traits(world.scenario.population, count, 1.0, rng)
    m.rate_per_day[rows] = rate * quality
    m.dropout_prob[rows], m.order_value_mean_rmb[rows] = dropout, value
    m.cohort_month[rows] = world.month
    m.joined_day[rows] = m.tier_since_day[rows] = world.day
    m.account[rows] = accounts
    m.prefers_phone[rows] = rng.random(count) < world.behaviour.phone_preference_share
    set_initial_trust(world, rows, trust_bonus)
    draw_deletion_days(world, rows)
    lifecycle = world.scenario.lifecycle
    if lifecycle is not None:
        low = (1.0 - lifecycle.spread_share) * lifecycle.tenure_days
        need = rng.uniform(low, lifecycle.tenure_days, count)
        m.lifecycle_end_day[rows] = world.day + np.ceil(need).astype(np.int32)
    return rows


def admit(
    world: World, accepted: int, fraud_share: float, quality: float, trust_bonus: float, channel: int
) -> tuple[npt.NDArray[np.int64], int]:
    """``accepted`` newcomers (invitees, swapped contacts) join as far as accounts have room (the rest:
    leads_over_capacity); a ``fraud_share`` of them are fake: they never buy and leave after
    behaviour.referral.fake_stay_days. Returns the genuine newcomers' rows and the number of fakes."""
    if accepted == 0:
        return np.zeros(0, dtype=np.int64), 0
    m, month = world.members, world.month
    joining = min(accepted, room_for_new(world))
    world.ledger.add(Flow.LEADS_OVER_CAPACITY, month, accepted - joining)
    fake = int(world.rng["events"].binomial(joining, fraud_share))
    genuine = np.zeros(0, dtype=np.int64)
    if joining - fake:
        rows = join(world, joining - fake, quality, trust_bonus=trust_bonus)
        m.channel[rows] = channel
        genuine = np.arange(rows.start, rows.stop)
    if fake:
        rows = join(world, fake, 0.0)
        m.channel[rows] = channel
        m.fake[rows] = 1
        m.deletion_day[rows] = world.day + world.behaviour.referral.fake_stay_days
    return genuine, fake
