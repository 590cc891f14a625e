"""One replication of one strategy: a simpy calendar driving array updates.

The calendar is a ``simpy.Environment`` whose time unit is the day:

- the policies' timed events (a campaign, a promotion day, a swap) fire at
  time ``t`` (the start of day t), in the order the strategy lists the
  policies;
- the daily tick fires at ``t + 0.5``, after the day's events, so an offer
  made by a campaign on day t can be used on day t.

A tick runs, in order: acquisition (leads → added members, limited by the
accounts' room and by a channel's addressable customers), scheduled
entries, the policies' daily actions, group posts, shop visits and
purchases (with dropout, trust gain and tier promotion), tier demotion, KOC
upkeep, membership expiry, churn (lifecycle end, account deletion, account
bans), the daily decay of fatigue and of the reference discount, and
bookkeeping. Every step is vectorised over member rows.

What the policies' actions do (contacts, offers, memberships, top-ups,
invitations, swaps, moves, groups, KOCs) is in :mod:`privsim.sim.handlers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from privsim import behaviour, metrics
from privsim.agents.accounts import AccountTable
from privsim.agents.groups import ACTIVE, QUIT, GroupTable, KocTable
from privsim.agents.members import NEVER, NO_END, ChurnReason, Members, State
from privsim.core.rng import MemberDayUniforms, replication_streams
from privsim.scenario import Scenario, Strategy
from privsim.sim.handlers import Mechanics

_INITIAL_STATES = {"added": State.ADDED, "customer": State.CUSTOMER, "silent": State.SILENT}


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced.

    ``monthly`` maps each metric of :mod:`privsim.metrics` (flows, derived
    flows and month-end stocks) to an array over months; ``repurchase_rate``
    is the per-replication figure; ``cohort_sizes`` and ``cohort_active``
    are [month-end, cohort month] matrices.
    """

    monthly: dict[str, np.ndarray]
    repurchase_rate: float
    cohort_sizes: np.ndarray
    cohort_active: np.ndarray
    members_simulated: int


class World(Mechanics):
    """The state of one replication. Policies read it (``day``, ``members``, ``accounts``,
    ``groups``, ``kocs``, ``personal_capacity_left``) and return actions it carries out."""

    def __init__(self, scenario: Scenario, strategy: Strategy, seed: int, replication: int) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.behaviour = scenario.behaviour
        self.rng = replication_streams(seed, replication)
        self._uniforms = MemberDayUniforms(seed, replication)
        self.day = 0
        self.tier_names = [t.name for t in scenario.tiers]
        self._tier_member_discount = np.array([t.member_discount for t in scenario.tiers], dtype=np.float32)
        self._tier_min_purchases = np.array([t.min_purchases for t in scenario.tiers])
        self._tier_min_spend = np.array([t.min_spend_rmb for t in scenario.tiers])
        self.accounts = AccountTable(scenario.accounts)
        pools = scenario.accounts
        self._pool_cost = {
            "broadcast": np.array([p.cost_per_broadcast_rmb for p in pools]),
            "personal": np.array([p.cost_per_personal_contact_rmb for p in pools]),
        }
        self._pool_churn_prob = -np.expm1(-np.array([p.member_churn_rate_per_year for p in pools]) / 365.0)
        self._pool_trust_offset = np.array([p.trust_offset for p in pools], dtype=np.float32)
        self._pool_reach = [p.broadcast_reach_per_day for p in pools]
        self.groups = GroupTable()
        self.kocs = KocTable()
        self._posted = np.zeros(0, dtype=bool)  # member rows whose group posted today
        self._placement = next(
            (order for p in strategy.policies if (order := p.placement_order(self)) is not None), None
        )
        #: channels with addressable customers, their number, and those not yet added (inf: unlimited)
        self._finite = np.flatnonzero([c.addressable_customers is not None for c in scenario.channels])
        self._addressable = np.array([scenario.channels[i].addressable_customers for i in self._finite], dtype=float)
        self._addressable_left = np.full(len(scenario.channels), np.inf)
        self._addressable_left[self._finite] = self._addressable
        self._incentives = [c.incentive for c in scenario.channels]
        for policy in strategy.policies:
            for index, incentive in policy.channel_incentives(scenario).items():
                self._incentives[index] = incentive
        self._over_cap_share = max((p.push_past_add_cap() for p in strategy.policies), default=0.0)
        self._membership_terms: tuple[float, int] | None = None  # (fee_rmb, duration_days) last offered
        self._fatigue_decay = behaviour.fatigue_decay_per_day(self.behaviour)
        self._fatigue_per = {
            "broadcast": self.behaviour.contact.fatigue_per_broadcast,
            "personal": self.behaviour.contact.fatigue_per_personal,
        }
        staff = scenario.staff
        self._staff_capacity = staff.count * staff.personal_contacts_per_person_per_day
        self.personal_capacity_left = self._staff_capacity
        self._reach_left = list(self._pool_reach)
        self._capacity_day = -1
        self._daily_fixed = {
            "staff_cost_rmb": staff.count * staff.cost_per_person_per_month_rmb * 12.0 / 365.0,
            "fixed_cost_rmb": scenario.costs.fixed_per_month_rmb * 12.0 / 365.0,
        }

        self.month_of_day = scenario.month_of_day()
        self.n_months = int(self.month_of_day[-1]) + 1
        self._flows = {name: np.zeros(self.n_months) for name in metrics.FLOWS}
        self._channel_names = [c.name for c in scenario.channels]
        #: funnel step → [channel, month] counts (see metrics.CHANNEL_FLOWS)
        self._channel_flows = {
            step: np.zeros((len(scenario.channels), self.n_months)) for step in metrics.CHANNEL_FLOWS
        }
        self._pool_names = [a.name for a in scenario.accounts]
        #: step → [pool or tier, month] sums (see metrics.POOL_FLOWS, metrics.TIER_FLOWS)
        self._pool_flows = {step: np.zeros((len(self._pool_names), self.n_months)) for step in metrics.POOL_FLOWS}
        self._tier_flows = {step: np.zeros((len(scenario.tiers), self.n_months)) for step in metrics.TIER_FLOWS}
        self._stocks: dict[str, np.ndarray] = {}
        self._cohort_sizes = np.zeros((self.n_months, self.n_months), dtype=np.int64)
        self._cohort_active = np.zeros((self.n_months, self.n_months), dtype=np.int64)
        self._repurchase_day = scenario.horizon_days - metrics.REPURCHASE_WINDOW_DAYS - 1
        self._repurchase_base: np.ndarray | None = None
        self._entries: dict[int, int] = {}
        for entry in scenario.population.entries:
            self._entries[entry.day] = self._entries.get(entry.day, 0) + entry.count

        expected_adds = scenario.horizon_days * sum(c.leads_per_day * c.add_rate for c in scenario.channels)
        expected_adds += sum(e.count for e in scenario.population.entries)
        base = sum(g.count for g in scenario.population.initial)
        self.members = Members(capacity=int(base + 1.1 * expected_adds) + 16)
        self._create_initial_base()

    def uniform(self, purpose: str, rows: np.ndarray) -> np.ndarray:
        """Today's member-day uniforms of ``rows`` for ``purpose`` (see :mod:`privsim.core.rng`)."""
        return self._uniforms.get(purpose, self.day, self.members.n)[rows]

    @property
    def month(self) -> int:
        """Calendar month index of the current day."""
        return int(self.month_of_day[self.day])

    def tier_discount(self, rows: np.ndarray) -> np.ndarray:
        """The tier ``member_discount`` of ``rows`` (for policies that grant tier benefits)."""
        return self._tier_member_discount[self.members.tier[rows]]

    # -- set-up ---------------------------------------------------------------------------------

    def _create_initial_base(self) -> None:
        pop, m, rng = self.scenario.population, self.members, self.rng["population"]
        lifecycle = self.scenario.lifecycle
        for group in pop.initial:
            rows = m.add(group.count)
            tier = self.tier_names.index(group.tier)
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
                purchases = max(self.scenario.tiers[tier].min_purchases, 1)
                spend = np.maximum(self.scenario.tiers[tier].min_spend_rmb, purchases * m.order_value_mean_rmb[rows])
                m.purchases[rows] = m.tier_purchases[rows] = purchases
                m.spend_rmb[rows] = m.tier_spend_rmb[rows] = spend
            m.tier_since_day[rows] = m.joined_day[rows]
        everyone = slice(0, m.n)
        m.prefers_phone[everyone] = rng.random(m.n) < self.behaviour.phone_preference_share
        order = rng.permutation(m.n)
        m.account[everyone][order] = self.accounts.place_initial(m.n)
        self._set_initial_trust(everyone)
        self._draw_deletion_days(everyone)

    def _set_initial_trust(self, rows: slice | np.ndarray, bonus: float = 0.0) -> None:
        """Initial trust, plus the account pool's offset, moved ``bonus`` of the way to 1 (a referral)."""
        m = self.members
        trust = self.behaviour.trust.initial + self._pool_trust_offset[self.accounts.pool[m.account[rows]]]
        m.trust[rows] = behaviour.toward_one(np.clip(trust, 0.0, 1.0), bonus)

    def _draw_deletion_days(self, rows: slice | np.ndarray) -> None:
        """Day each member deletes its account: the pool's daily hazard as a geometric waiting time.

        Equivalent to a daily Bernoulli draw with ``p = 1 - exp(-rate / 365)``
        from the day the member is placed (memoryless), drawn once per placement.
        """
        m = self.members
        p = self._pool_churn_prob[self.accounts.pool[m.account[rows]]]
        days = np.full(len(p), NO_END, dtype=np.int64)
        hazard = p > 0
        days[hazard] = self.day - 1 + self.rng["population"].geometric(p[hazard])
        m.deletion_day[rows] = np.minimum(days, NO_END)

    # -- the calendar ---------------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        """Simulate the horizon and return the replication's results."""
        env = simpy.Environment()
        horizon = self.scenario.horizon_days
        calendar: dict[int, list] = {}
        for policy in self.strategy.policies:
            for day in sorted({int(d) for d in policy.event_days(self.scenario) if 0 <= d < horizon}):
                calendar.setdefault(day, []).append(policy)
        if calendar:
            env.process(self._timed_events(env, calendar))
        env.process(self._daily_ticks(env))
        env.run(until=horizon)
        return self._result()

    def _timed_events(self, env: simpy.Environment, calendar: dict[int, list]):
        """Each event day, the policies with an event act in the order the strategy lists them."""
        for day in sorted(calendar):
            yield env.timeout(day - env.now)
            self._begin_day(day)
            for policy in calendar[day]:
                for action in policy.on_event(self, self.rng["policy"]):
                    self.apply(action)

    def _daily_ticks(self, env: simpy.Environment):
        yield env.timeout(0.5)
        for day in range(self.scenario.horizon_days):
            self._tick(day)
            yield env.timeout(1)

    def _begin_day(self, day: int) -> None:
        self.day = day
        if self._capacity_day != day:
            self._capacity_day = day
            self.personal_capacity_left = self._staff_capacity
            self._reach_left = list(self._pool_reach)
            self.accounts.new_day()

    def _tick(self, day: int) -> None:
        self._begin_day(day)
        month = self.month_of_day[day]
        self._acquire(month)
        self._enter_scheduled(month)
        for policy in self.strategy.policies:
            for action in policy.daily(self, self.rng["policy"]):
                self.apply(action)
        self._group_posts()
        self._purchases(month)
        self._demote()
        self._koc_upkeep(month)
        self._expire_memberships(month)
        self._churn(month)
        m = self.members
        m.fatigue[: m.n] *= self._fatigue_decay
        m.reference_discount[: m.n] *= 1.0 - self.behaviour.discount.reference_decay_per_day
        for name, amount in self._daily_fixed.items():
            self._flows[name][month] += amount
        if day == self._repurchase_day:
            self._repurchase_base = metrics.customers_mask(m)
        if day == self.scenario.horizon_days - 1 or self.month_of_day[day + 1] != month:
            self._close_month(month)

    # -- joining --------------------------------------------------------------------------------

    def _acquire(self, month: int) -> None:
        channels = self.scenario.channels
        if not channels:
            return
        rng, f = self._uniforms.day_generator("acquisition", self.day), self._flows
        lead_rates = np.array([c.leads_per_day for c in channels], dtype=float)
        # a finite channel approaches each customer not yet added at leads_per_day / addressable a day
        lead_rates[self._finite] *= self._addressable_left[self._finite] / self._addressable
        leads = np.minimum(rng.poisson(lead_rates), self._addressable_left).astype(np.int64)
        incentives = self._incentives
        rates = [
            behaviour.incentive_add_rate(c.add_rate, i, self.behaviour)
            for c, i in zip(channels, incentives, strict=True)
        ]
        willing = rng.binomial(leads, rates)
        arriving = rng.binomial(willing, [1.0 - c.transit_loss_share for c in channels])
        room = self.room_for_new()
        added = arriving if arriving.sum() <= room else rng.multivariate_hypergeometric(arriving, room)
        f["leads"][month] += leads.sum()
        f["leads_declined"][month] += (leads - willing).sum()
        f["leads_lost_in_transit"][month] += (willing - arriving).sum()
        f["leads_over_capacity"][month] += (arriving - added).sum()
        f["acquisition_cost_rmb"][month] += float(np.dot(leads, [c.cost_per_lead_rmb for c in channels]))
        paid_per_add = [i.value_rmb if i.kind in ("gift", "lottery") else 0.0 for i in incentives]
        f["incentive_cost_rmb"][month] += float(np.dot(added, paid_per_add))
        self._channel_flows["leads"][:, month] += leads
        self._channel_flows["added"][:, month] += added
        self._addressable_left -= added
        total = int(added.sum())
        if total == 0:
            return
        channel = np.repeat(np.arange(len(channels)), added)
        quality = np.array([c.quality for c in channels])[channel]
        rows = self.join(total, quality)
        m = self.members
        m.channel[rows] = channel
        coupon = np.array([i.kind == "coupon" for i in incentives])[channel]
        if coupon.any():
            with_coupon = np.arange(rows.start, rows.stop)[coupon]
            m.coupon_value_rmb[with_coupon] = np.array([i.value_rmb for i in incentives])[channel[coupon]]
            m.coupon_threshold_rmb[with_coupon] = np.array([i.coupon_threshold_rmb for i in incentives])[
                channel[coupon]
            ]
            m.coupon_until_day[with_coupon] = NO_END

    def _enter_scheduled(self, month: int) -> None:
        """Scenario ``population.entries`` for today: customers joining with their first purchase."""
        count = self._entries.get(self.day, 0)
        if count:
            rows = self.join(count, 1.0, daily_cap=False)
            self._record_purchases(np.arange(rows.start, rows.stop), np.zeros(count), month)

    def room_for_new(self) -> int:
        """New members the accounts can still add today, in the pools new members go to."""
        return self.accounts.room_today(self._over_cap_share, self._placement)

    def join(self, count: int, quality: np.ndarray | float, daily_cap: bool = True, trust_bonus: float = 0.0) -> slice:
        """Add ``count`` members today (count must fit the accounts' room); return their rows."""
        m, rng = self.members, self.rng["population"]
        self._flows["added"][self.month] += count
        accounts = self.accounts.place_new(count, daily_cap, self._placement, self._over_cap_share)
        self._count_by_pool("added", accounts)
        rows = m.add(count)
        rate, dropout, value = behaviour.draw_traits(self.scenario.population, count, 1.0, rng)
        m.rate_per_day[rows] = rate * quality
        m.dropout_prob[rows], m.order_value_mean_rmb[rows] = dropout, value
        m.cohort_month[rows] = self.month
        m.joined_day[rows] = m.tier_since_day[rows] = self.day
        m.account[rows] = accounts
        m.prefers_phone[rows] = rng.random(count) < self.behaviour.phone_preference_share
        self._set_initial_trust(rows, trust_bonus)
        self._draw_deletion_days(rows)
        lifecycle = self.scenario.lifecycle
        if lifecycle is not None:
            low = (1.0 - lifecycle.spread_share) * lifecycle.tenure_days
            need = rng.uniform(low, lifecycle.tenure_days, count)
            m.lifecycle_end_day[rows] = self.day + np.ceil(need).astype(np.int32)
        return rows

    # -- purchases ------------------------------------------------------------------------------

    def _standing_discount(self, rows: np.ndarray) -> np.ndarray:
        """Combined share off list price the strategy's policies give ``rows`` on every order."""
        keep = np.ones(len(rows), dtype=np.float32)
        for policy in self.strategy.policies:
            share = policy.standing_discount(self, rows)
            if share is not None:
                keep *= 1.0 - share
        return 1.0 - keep

    def _group_posts(self) -> None:
        """Groups post; members of posting groups gain trust (more from a KOC) and a little fatigue."""
        if len(self.groups) == 0:
            self._posted = np.zeros(0, dtype=bool)
            return
        m, g = self.members, self.behaviour.group
        activity = self.kocs.activity(self.day, self.behaviour.koc.burnout_half_life_days)
        posted_groups = self.groups.posts(activity, self.rng["events"])
        group = m.group[: m.n]
        in_group = group >= 0
        self._posted = in_group & posted_groups[np.maximum(group, 0)]
        rows = np.flatnonzero(self._posted & (m.state[: m.n] != State.CHURNED))
        by_koc = self.groups.host[m.group[rows]] >= 0
        gain = np.where(by_koc, g.koc_post_trust_gain, g.staff_post_trust_gain)
        m.trust[rows] = behaviour.toward_one(m.trust[rows], gain)
        m.fatigue[rows] += g.fatigue_per_post

    def _purchases(self, month: int) -> None:
        m, day, b = self.members, self.day, self.behaviour
        state = m.state[: m.n]
        # one order per member and day: scheduled entries made theirs already today
        may_buy = ((state == State.ADDED) | (state == State.CUSTOMER)) & (m.last_purchase_day[: m.n] < day)
        rows = np.flatnonzero(may_buy)
        offer_valid = (m.offer_from_day[rows] <= day) & (m.offer_until_day[rows] >= day)
        offer = np.where(offer_valid, m.offer_depth[rows], np.float32(0.0))
        coupon_valid = m.coupon_until_day[rows] >= day
        coupon = np.where(
            coupon_valid,
            behaviour.coupon_depth(
                m.coupon_value_rmb[rows], m.coupon_threshold_rmb[rows], m.order_value_mean_rmb[rows]
            ),
            np.float32(0.0),
        )
        standing = self._standing_discount(rows)
        percent = behaviour.effective_discount(offer, standing)
        extra = np.zeros(len(rows), dtype=np.float32)
        if len(self._posted):
            extra += np.where(self._posted[rows], np.float32(np.log1p(b.group.post_purchase_lift)), np.float32(0.0))
        promo = b.promo
        waiting = (m.wait_until_day[rows] >= day) & ~offer_valid
        extra += np.where(
            waiting, np.float32(np.log1p(-min(promo.anticipation_suppression, 1 - 1e-6))), np.float32(0.0)
        )
        stocked = m.stockpile_until_day[rows] >= day
        extra += np.where(stocked, np.float32(np.log1p(-min(promo.stockpile_suppression, 1 - 1e-6))), np.float32(0.0))
        p = behaviour.purchase_probability(
            m.rate_per_day[rows],
            m.trust[rows],
            behaviour.effective_discount(percent, coupon),
            m.reference_discount[rows],
            offer_valid | coupon_valid,
            b,
            extra,
        )
        u = self.uniform("purchase", rows)
        buy = u < p
        prompted = m.last_contact_day[rows] == day
        if len(self._posted):
            prompted |= self._posted[rows]
        visits = int((u < behaviour.visit_probability(p, prompted, b)).sum())
        self._flows["visits"][month] += visits
        self._flows["unpaid_visits"][month] += visits - int(buy.sum())
        sale = offer_valid[buy] & (m.offer_is_sale[rows[buy]] > 0)
        self._record_purchases(rows[buy], percent[buy], month, coupon_valid[buy], sale)

    def _record_purchases(
        self,
        buyers: np.ndarray,
        percent: np.ndarray,
        month: int,
        coupon_valid: np.ndarray | None = None,
        sale: np.ndarray | None = None,
    ) -> None:
        """Book one order per buyer: value, percent discount, coupon, stored value; then history, trust, tier,
        dropout."""
        if len(buyers) == 0:
            return
        m, day, b, f = self.members, self.day, self.behaviour, self._flows
        rng = self.rng["orders"]
        population = self.scenario.population
        values = behaviour.order_values_rmb(
            m.order_value_mean_rmb[buyers], population.order_value.cv_within_member, rng
        )
        if sale is not None and sale.any():
            values = np.where(sale, values * (1.0 + b.promo.stockpile_share), values)
            m.stockpile_until_day[buyers[sale]] = day + b.promo.stockpile_days
        percent_off = values * percent
        coupon_off = np.zeros(len(buyers))
        if coupon_valid is not None and coupon_valid.any():
            threshold = m.coupon_threshold_rmb[buyers]
            short = coupon_valid & (values < threshold)
            topup = self.uniform("coupon_topup", buyers) < b.coupon.topup_prob
            values = np.where(short & topup, threshold, values)
            percent_off = values * percent
            used = coupon_valid & (values >= threshold)
            coupon_off = np.where(used, np.minimum(m.coupon_value_rmb[buyers], values - percent_off), 0.0)
            m.coupon_until_day[buyers[used]] = NEVER  # a coupon is used once
            f["coupons_used"][month] += int(used.sum())
        net = values - percent_off - coupon_off
        balance = m.balance_rmb[buyers]
        from_balance = np.minimum(balance, net)
        bonus_off = from_balance * (1.0 - m.balance_cash_share[buyers])
        m.balance_rmb[buyers] = balance - from_balance
        discount = percent_off + coupon_off + bonus_off
        gmv = float(values.sum())
        f["orders"][month] += len(buyers)
        f["gmv_rmb"][month] += gmv
        f["discounts_rmb"][month] += float(discount.sum())
        f["stored_value_spent_rmb"][month] += float(from_balance.sum())
        f["cogs_rmb"][month] += gmv * (1.0 - population.gross_margin_share)
        paid = m.paid_until_day[buyers] >= day
        m.paid_savings_rmb[buyers[paid]] += (percent_off + coupon_off)[paid]
        f["orders_paid_members"][month] += int(paid.sum())
        f["gmv_paid_members_rmb"][month] += float(values[paid].sum())
        self._tier_flows["gmv_rmb"][:, month] += np.bincount(
            m.tier[buyers], weights=values, minlength=len(self.tier_names)
        )
        repeat = m.purchases[buyers] > 0
        first = buyers[~repeat]
        f["first_orders"][month] += len(first)
        self._count_by_pool("first_orders", m.account[first])
        channel = m.channel[buyers]
        acquired = channel >= 0
        n_channels = len(self._channel_names)
        self._channel_flows["first_orders"][:, month] += np.bincount(channel[acquired & ~repeat], minlength=n_channels)
        self._channel_flows["repeat_orders"][:, month] += np.bincount(channel[acquired & repeat], minlength=n_channels)
        m.first_purchase_day[first] = day
        second = buyers[m.purchases[buyers] == 1]
        m.quick_second_purchase[second] = day - m.first_purchase_day[second] <= metrics.QUICK_SECOND_PURCHASE_DAYS
        m.purchases[buyers] += 1
        m.spend_rmb[buyers] += values
        m.tier_purchases[buyers] += 1
        m.tier_spend_rmb[buyers] += values
        m.last_purchase_day[buyers] = day
        m.offer_until_day[buyers] = NEVER  # an offer is used once
        m.state[buyers] = State.CUSTOMER
        trust = behaviour.toward_one(m.trust[buyers], b.trust.gain_per_purchase)
        m.trust[buyers] = trust
        qualified = (
            (m.tier_purchases[buyers][:, None] >= self._tier_min_purchases)
            & (m.tier_spend_rmb[buyers][:, None] >= self._tier_min_spend)
        ).sum(axis=1) - 1
        promoted = qualified > m.tier[buyers]
        m.tier[buyers[promoted]] = qualified[promoted]
        m.tier_since_day[buyers[promoted]] = day
        p_drop = behaviour.dropout_probability(m.dropout_prob[buyers], trust, b)
        p_drop = np.where(m.balance_rmb[buyers] > 0, p_drop * (1.0 - b.stored_value.dropout_reduction), p_drop)
        drop = repeat & (self.uniform("dropout", buyers) < p_drop)
        m.state[buyers[drop]] = State.SILENT
        f["dropouts"][month] += int(drop.sum())

    # -- upkeep and churn -----------------------------------------------------------------------

    def _demote(self) -> None:
        m, day = self.members, self.day
        for k in range(len(self.scenario.tiers) - 1, 0, -1):
            after = self.scenario.tiers[k].demote_after_inactive_days
            if after is None:
                continue
            tier = m.tier[: m.n]
            since = np.maximum(m.last_purchase_day[: m.n], m.tier_since_day[: m.n])
            rows = np.flatnonzero((tier == k) & (day - since > after) & (m.state[: m.n] != State.CHURNED))
            if len(rows):
                lower = self.scenario.tiers[k - 1]
                m.tier[rows] = k - 1
                m.tier_since_day[rows] = day
                m.tier_purchases[rows] = np.minimum(m.tier_purchases[rows], lower.min_purchases)
                m.tier_spend_rmb[rows] = np.minimum(m.tier_spend_rmb[rows], lower.min_spend_rmb)

    def _koc_upkeep(self, month: int) -> None:
        """Active KOCs are paid (fee accrued daily) and may quit; a quitting KOC's groups fall back to staff."""
        kocs = self.kocs
        if len(kocs) == 0:
            return
        active = kocs.status == ACTIVE
        self._flows["koc_cost_rmb"][month] += float(kocs.fee_per_month_rmb[active].sum()) * 12.0 / 365.0
        p_quit = -np.expm1(-self.behaviour.koc.quit_rate_per_year / 365.0)
        quit_ = np.flatnonzero((kocs.status != QUIT) & (self.rng["events"].random(len(kocs)) < p_quit))
        self.retire_kocs(quit_)

    def retire_kocs(self, ids: np.ndarray) -> None:
        """KOCs ``ids`` stop (quit or churned): status QUIT, their groups go back to staff hosts."""
        if len(ids) == 0:
            return
        self._flows["koc_quit"][self.month] += int((self.kocs.status[ids] != QUIT).sum())
        self.kocs.status[ids] = QUIT
        self.groups.host[np.isin(self.groups.host, ids)] = -1

    def _expire_memberships(self, month: int) -> None:
        """Memberships that ended yesterday: members renew on the value they got (behaviour.membership)."""
        if self._membership_terms is None:
            return
        m = self.members
        n = m.n
        ended = np.flatnonzero((m.paid_until_day[:n] == self.day - 1) & (m.state[:n] != State.CHURNED))
        if len(ended) == 0:
            return
        fee, duration = self._membership_terms
        p = behaviour.membership_probability(
            m.paid_savings_rmb[ended], fee, m.trust[ended], self.behaviour, renewal=True
        )
        renew = ended[self.uniform("renewal", ended) < p]
        m.paid_savings_rmb[ended] = 0.0
        m.paid_until_day[renew] = self.day + duration - 1
        self._flows["membership_renewals"][month] += len(renew)
        self._flows["membership_fees_rmb"][month] += fee * len(renew)

    def _churn(self, month: int) -> None:
        m, n, day = self.members, self.members.n, self.day
        alive = m.state[:n] != State.CHURNED
        ended = alive & (m.lifecycle_end_day[:n] <= day)
        self._churn_rows(np.flatnonzero(ended), ChurnReason.LIFECYCLE, month)
        deleted = alive & ~ended & (m.deletion_day[:n] <= day)
        self._churn_rows(np.flatnonzero(deleted), ChurnReason.DELETED, month)
        banned = self.accounts.draw_bans(self.rng["events"])
        if len(banned):
            self._flows["account_bans"][month] += len(banned)
            lost = np.flatnonzero(np.isin(m.account[:n], banned) & (m.state[:n] != State.CHURNED))
            self._churn_rows(lost, ChurnReason.BANNED, month)

    def _churn_rows(self, rows: np.ndarray, reason: ChurnReason, month: int) -> None:
        if len(rows) == 0:
            return
        m = self.members
        m.state[rows] = State.CHURNED
        m.churn_reason[rows] = reason
        self.accounts.release(m.account[rows])
        if len(self.groups):
            self.groups.leave(m.group[rows])
            m.group[rows] = -1
        if len(self.kocs):
            self.retire_kocs(np.flatnonzero(np.isin(self.kocs.member, rows) & (self.kocs.status != QUIT)))
        self._flows[metrics.CHURN_FLOW[reason]][month] += len(rows)
        self._count_by_pool("churned", m.account[rows])

    def _count_by_pool(self, step: str, accounts: np.ndarray) -> None:
        """Add one to ``step`` of this month for each member placed on ``accounts``, by their pool."""
        self._pool_flows[step][:, self.month] += np.bincount(
            self.accounts.pool[accounts], minlength=len(self._pool_names)
        )

    # -- bookkeeping ----------------------------------------------------------------------------

    def _close_month(self, month: int) -> None:
        for name, value in metrics.stocks(self, self.day).items():
            self._stocks.setdefault(name, np.zeros(self.n_months))[month] = value
        sizes, active = metrics.cohort_counts(self.members, self.day, self.n_months)
        self._cohort_sizes[month], self._cohort_active[month] = sizes, active

    def _result(self) -> ReplicationResult:
        monthly = dict(self._flows)
        for step, counts in self._channel_flows.items():
            monthly.update({f"{step}.{name}": counts[i] for i, name in enumerate(self._channel_names)})
        for step, counts in self._pool_flows.items():
            monthly.update({f"by_pool.{step}.{name}": counts[i] for i, name in enumerate(self._pool_names)})
        for step, counts in self._tier_flows.items():
            monthly.update({f"by_tier.{step}.{name}": counts[i] for i, name in enumerate(self.tier_names)})
        monthly.update(metrics.derived_flows(self._flows))
        monthly.update(self._stocks)
        rate = (
            metrics.repurchase_rate(self._repurchase_base, self.members, self._repurchase_day)
            if self._repurchase_day >= 0
            else float("nan")
        )
        return ReplicationResult(monthly, rate, self._cohort_sizes, self._cohort_active, self.members.n)


def simulate(scenario: Scenario, strategy: Strategy, seed: int, replication: int) -> ReplicationResult:
    """Run one replication of one strategy (the unit of work of a run)."""
    return World(scenario, strategy, seed, replication).run()
