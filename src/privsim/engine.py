"""One replication of one strategy: a simpy calendar driving array updates.

The calendar is a ``simpy.Environment`` whose time unit is the day:

- each policy's timed events (a campaign, a promotion day) fire at time
  ``t`` (the start of day t);
- the daily tick fires at ``t + 0.5``, after the day's events, so an offer
  made by a campaign on day t can be used on day t.

A tick runs, in order: acquisition (leads → added members, limited by the
accounts' room), the policies' daily contacts, purchases (with dropout,
trust gain and tier promotion), tier demotion, churn (account deletion and
lifecycle end), the daily decay of fatigue and of the reference discount,
and bookkeeping. Every step is vectorised over member rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from privsim import metrics
from privsim.agents import behaviour
from privsim.agents.accounts import AccountTable
from privsim.agents.population import NEVER, NO_END, ChurnReason, Members, State
from privsim.policies import Contacts
from privsim.rng import replication_streams
from privsim.scenario import Scenario, Strategy

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


class World:
    """The state of one replication; policies read it (``day``, ``members``, ``personal_capacity_left``)."""

    def __init__(self, scenario: Scenario, strategy: Strategy, seed: int, replication: int) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.behaviour = scenario.behaviour
        self.rng = replication_streams(seed, replication)
        self.day = 0
        self.tier_names = [t.name for t in scenario.tiers]
        self.tier_benefits = any(p.grants_tier_benefits() for p in strategy.policies)
        self._tier_discount = np.array(
            [t.member_discount if self.tier_benefits else 0.0 for t in scenario.tiers], dtype=np.float64
        )
        self._tier_min_purchases = np.array([t.min_purchases for t in scenario.tiers])
        self._tier_min_spend = np.array([t.min_spend_rmb for t in scenario.tiers])
        self.accounts = AccountTable(scenario.accounts)
        pools = scenario.accounts
        self._pool_cost = {
            "broadcast": np.array([p.cost_per_broadcast_rmb for p in pools]),
            "personal": np.array([p.cost_per_personal_contact_rmb for p in pools]),
        }
        self._pool_churn_prob = -np.expm1(-np.array([p.member_churn_rate_per_year for p in pools]) / 365.0)
        self._fatigue_decay = behaviour.fatigue_decay_per_day(self.behaviour)
        self._fatigue_per = {
            "broadcast": self.behaviour.contact.fatigue_per_broadcast,
            "personal": self.behaviour.contact.fatigue_per_personal,
        }
        staff = scenario.staff
        self._staff_capacity = staff.count * staff.personal_contacts_per_person_per_day
        self.personal_capacity_left = self._staff_capacity
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
            m.trust[rows] = self.behaviour.trust.initial
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
        order = rng.permutation(m.n)
        m.account[: m.n][order] = self.accounts.place_initial(m.n)
        self._draw_deletion_days(slice(0, m.n))

    def _draw_deletion_days(self, rows: slice) -> None:
        """Day each member deletes its account: the pool's daily hazard as a geometric waiting time.

        Equivalent to a daily Bernoulli draw with ``p = 1 - exp(-rate / 365)``
        from the day the member is placed (memoryless), drawn once.
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
        for policy in self.strategy.policies:
            days = [d for d in policy.event_days(self.scenario.horizon_days) if d < self.scenario.horizon_days]
            if days:
                env.process(self._timed_events(env, policy, days))
        env.process(self._daily_ticks(env))
        env.run(until=self.scenario.horizon_days)
        return self._result()

    def _timed_events(self, env: simpy.Environment, policy, days: list[int]):
        for day in days:
            yield env.timeout(day - env.now)
            self._begin_day(day)
            for contacts in policy.on_event(self, self.rng["policy"]):
                self.apply_contacts(contacts)

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
            self.accounts.new_day()

    def _tick(self, day: int) -> None:
        self._begin_day(day)
        month = self.month_of_day[day]
        self._acquire(month)
        self._enter_scheduled(month)
        for policy in self.strategy.policies:
            for contacts in policy.daily(self, self.rng["policy"]):
                self.apply_contacts(contacts)
        self._purchases(month)
        self._demote()
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

    # -- steps of a tick ------------------------------------------------------------------------

    def _acquire(self, month: int) -> None:
        channels = self.scenario.channels
        if not channels:
            return
        rng, f = self.rng["acquisition"], self._flows
        leads = rng.poisson([c.leads_per_day for c in channels])
        willing = rng.binomial(leads, [c.add_rate for c in channels])
        room = self.accounts.room_today()
        added = willing if willing.sum() <= room else rng.multivariate_hypergeometric(willing, room)
        f["leads"][month] += leads.sum()
        self._channel_flows["leads"][:, month] += leads
        self._channel_flows["added"][:, month] += added
        f["leads_declined"][month] += (leads - willing).sum()
        f["leads_over_capacity"][month] += (willing - added).sum()
        f["acquisition_cost_rmb"][month] += float(np.dot(leads, [c.cost_per_lead_rmb for c in channels]))
        total = int(added.sum())
        if total:
            f["added"][month] += total
            channel = np.repeat(np.arange(len(channels)), added)
            quality = np.array([c.quality for c in channels])[channel]
            rows = self._join(total, month, quality, self.accounts.place_new(total))
            self.members.channel[rows] = channel

    def _enter_scheduled(self, month: int) -> None:
        """Scenario ``population.entries`` for today: customers joining with their first purchase."""
        count = self._entries.get(self.day, 0)
        if count:
            self._flows["added"][month] += count
            rows = self._join(count, month, 1.0, self.accounts.place_new(count, daily_cap=False))
            self._record_purchases(np.arange(rows.start, rows.stop), np.zeros(count), month)

    def _join(self, count: int, month: int, quality: np.ndarray | float, accounts: np.ndarray) -> slice:
        """Append ``count`` newly added members placed on ``accounts``; return their rows."""
        m, rng = self.members, self.rng["population"]
        rows = m.add(count)
        rate, dropout, value = behaviour.draw_traits(self.scenario.population, count, 1.0, rng)
        m.rate_per_day[rows] = rate * quality
        m.dropout_prob[rows], m.order_value_mean_rmb[rows] = dropout, value
        m.cohort_month[rows] = month
        m.joined_day[rows] = m.tier_since_day[rows] = self.day
        m.trust[rows] = self.behaviour.trust.initial
        m.account[rows] = accounts
        self._draw_deletion_days(rows)
        lifecycle = self.scenario.lifecycle
        if lifecycle is not None:
            low = (1.0 - lifecycle.spread_share) * lifecycle.tenure_days
            need = rng.uniform(low, lifecycle.tenure_days, count)
            m.lifecycle_end_day[rows] = self.day + np.ceil(need).astype(np.int32)
        return rows

    def apply_contacts(self, contacts: Contacts) -> None:
        """Deliver a batch of contacts: cost, fatigue, trust, offers, reactivation, blocking."""
        m, day, month = self.members, self.day, self.month_of_day[self.day]
        rows = np.asarray(contacts.members, dtype=np.int64)
        rows = rows[m.state[rows] != State.CHURNED]
        if contacts.mode == "personal":
            rows = rows[: self.personal_capacity_left]
            self.personal_capacity_left -= len(rows)
        if len(rows) == 0:
            return
        f, b = self._flows, self.behaviour
        f["broadcasts" if contacts.mode == "broadcast" else "personal_contacts"][month] += len(rows)
        pools = self.accounts.pool[m.account[rows]]
        f["contact_cost_rmb"][month] += float(self._pool_cost[contacts.mode][pools].sum())
        trust = m.trust[rows]
        if contacts.service:
            trust = behaviour.toward_one(trust, b.trust.gain_per_service_contact)
            m.followed_up_day[rows] = day
        if contacts.mode == "broadcast":
            spammed = m.fatigue[rows] > b.contact.fatigue_threshold
            trust = np.where(spammed, trust * (1.0 - b.trust.loss_per_unwanted_message), trust)
        m.fatigue[rows] += self._fatigue_per[contacts.mode]
        if contacts.offer_depth > 0:
            depth = contacts.offer_depth
            trust = trust * (1.0 - behaviour.deep_discount_trust_loss(depth, b))
            m.offer_depth[rows] = depth
            m.offer_until_day[rows] = day + contacts.offer_window_days - 1
            ref = m.reference_discount[rows]
            m.reference_discount[rows] = ref + b.discount.habituation_rate * (depth - ref)
            silent = rows[m.state[rows] == State.SILENT]
            back = silent[self.rng["behaviour"].random(len(silent)) < b.silent_reactivation_prob_per_offer]
            m.state[back] = State.CUSTOMER
            f["reactivations"][month] += len(back)
        m.trust[rows] = trust
        m.last_contact_day[rows] = day
        p_block = behaviour.block_probability(m.fatigue[rows], trust, b)
        self._churn_rows(rows[self.rng["behaviour"].random(len(rows)) < p_block], ChurnReason.BLOCKED, month)

    def _purchases(self, month: int) -> None:
        m, day, b = self.members, self.day, self.behaviour
        rng = self.rng["behaviour"]
        state = m.state[: m.n]
        rows = np.flatnonzero((state == State.ADDED) | (state == State.CUSTOMER))
        offer_valid = m.offer_until_day[rows] >= day
        offer = np.where(offer_valid, m.offer_depth[rows], 0.0)
        discount = behaviour.effective_discount(offer, self._tier_discount[m.tier[rows]])
        p = behaviour.purchase_probability(
            m.rate_per_day[rows], m.trust[rows], discount, m.reference_discount[rows], offer_valid, b
        )
        buy = rng.random(len(rows)) < p
        self._record_purchases(rows[buy], discount[buy], month)

    def _record_purchases(self, buyers: np.ndarray, discount: np.ndarray, month: int) -> None:
        """Book one order per buyer at the given effective discount; update history, trust, tier, dropout."""
        if len(buyers) == 0:
            return
        m, day, b, f = self.members, self.day, self.behaviour, self._flows
        rng = self.rng["behaviour"]
        population = self.scenario.population
        values = behaviour.order_values_rmb(m.order_value_mean_rmb[buyers], population.order_value.cv_within_member, rng)
        gmv = float(values.sum())
        f["orders"][month] += len(buyers)
        f["gmv_rmb"][month] += gmv
        f["discounts_rmb"][month] += float(np.dot(values, discount))
        f["cogs_rmb"][month] += gmv * (1.0 - population.gross_margin_share)
        repeat = m.purchases[buyers] > 0
        first = buyers[~repeat]
        f["first_orders"][month] += len(first)
        channel = m.channel[buyers]
        acquired = channel >= 0
        n_channels = len(self._channel_names)
        self._channel_flows["first_orders"][:, month] += np.bincount(
            channel[acquired & ~repeat], minlength=n_channels
        )
        self._channel_flows["repeat_orders"][:, month] += np.bincount(
            channel[acquired & repeat], minlength=n_channels
        )
        m.first_purchase_day[first] = day
        m.purchases[buyers] += 1
        m.spend_rmb[buyers] += values
        m.tier_purchases[buyers] += 1
        m.tier_spend_rmb[buyers] += values
        m.last_purchase_day[buyers] = day
        m.offer_until_day[buyers] = NEVER  # a coupon is used once
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
        drop = repeat & (rng.random(len(buyers)) < p_drop)
        m.state[buyers[drop]] = State.SILENT
        f["dropouts"][month] += int(drop.sum())



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

    def _churn(self, month: int) -> None:
        m, n, day = self.members, self.members.n, self.day
        alive = m.state[:n] != State.CHURNED
        ended = alive & (m.lifecycle_end_day[:n] <= day)
        self._churn_rows(np.flatnonzero(ended), ChurnReason.LIFECYCLE, month)
        deleted = alive & ~ended & (m.deletion_day[:n] <= day)
        self._churn_rows(np.flatnonzero(deleted), ChurnReason.DELETED, month)

    def _churn_rows(self, rows: np.ndarray, reason: ChurnReason, month: int) -> None:
        if len(rows) == 0:
            return
        m = self.members
        m.state[rows] = State.CHURNED
        m.churn_reason[rows] = reason
        self.accounts.release(m.account[rows])
        self._flows[metrics.CHURN_FLOW[reason]][month] += len(rows)

    # -- bookkeeping ----------------------------------------------------------------------------

    def _close_month(self, month: int) -> None:
        for name, value in metrics.stocks(self.members, self.day, self.tier_names).items():
            self._stocks.setdefault(name, np.zeros(self.n_months))[month] = value
        sizes, active = metrics.cohort_counts(self.members, self.day, self.n_months)
        self._cohort_sizes[month], self._cohort_active[month] = sizes, active

    def _result(self) -> ReplicationResult:
        monthly = dict(self._flows)
        for step, counts in self._channel_flows.items():
            monthly.update({f"{step}.{name}": counts[i] for i, name in enumerate(self._channel_names)})
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
