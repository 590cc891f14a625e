"""The state of one replication: members, accounts, groups, KOCs, random streams, the day, capacities.

The :class:`World` holds what the stages of the daily tick
(:mod:`privsim.sim.acquisition`, :mod:`privsim.sim.purchases`,
:mod:`privsim.sim.upkeep`) and the action handlers
(:mod:`privsim.sim.handlers`) read and change, and the :class:`Ledger` they
book into; :mod:`privsim.sim.calendar` runs it. Policies never see it: they
get a read-only :class:`~privsim.policies.view.PolicyView` (:meth:`World.view`).

Strategy phases (eras, :class:`privsim.scenario.Phase`): the World follows
the era today falls in (:meth:`World.begin_day`). What it derives from a
strategy's policies comes from the active era's policies only, and changes
at a switch: the daily actions, the standing discounts (asked of
``World.policies`` every day), the timed events (:mod:`privsim.sim.calendar`
keeps each era's events on its own days), the order in which new members
fill the account pools, the channels' incentives and the push past the add
caps. Everything else carries over unchanged: the members with all their
state (trust, fatigue, tier, history, pool, group), the offers, coupons and
paid memberships already given (they run to their own end; memberships renew
at the last terms offered, but a membership's standing discount is given
only while a phase with ``paid_membership`` is active), stored value, the
groups (staff keep posting at the last rate set) and the KOCs (paid until
they quit), the accounts and their bans. A policy sees the first day of its
phase (``PolicyView.phase_first_day``): ``groups`` invites the existing
customers then, as it does on day 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.accounts import AccountTable
from privsim.agents.groups import GroupTable, KocTable
from privsim.agents.members import Members, State
from privsim.config.incentive import Incentive
from privsim.core.rng import MemberDayUniforms, replication_streams
from privsim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR
from privsim.policies.base import Policy
from privsim.policies.view import PolicyView
from privsim.scenario import Scenario, Strategy
from privsim.sim import acquisition, returns
from privsim.sim.ledger import Flow, Ledger
from privsim.sim.staff import StaffTime


class World:
    """One replication of one strategy: the scenario's parameters as arrays, the agents' tables, the day."""

    def __init__(self, scenario: Scenario, strategy: Strategy, seed: int, replication: int) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.behaviour = scenario.behaviour
        self.rng = replication_streams(seed, replication)
        self.uniforms = MemberDayUniforms(seed, replication)
        self.day = 0
        self.tier_names = [t.name for t in scenario.tiers]
        self.tier_member_discount = np.array([t.member_discount for t in scenario.tiers], dtype=np.float32)
        self.tier_member_discount.flags.writeable = False
        self.tier_min_purchases = np.array([t.min_purchases for t in scenario.tiers])
        self.tier_min_spend_rmb = np.array([t.min_spend_rmb for t in scenario.tiers])
        self.tier_priority_shipping = np.array([t.priority_shipping for t in scenario.tiers])
        self.accounts = AccountTable(scenario.accounts, scenario.start_date)
        pools = scenario.accounts
        #: contact mode → cost per contact of each pool, RMB
        self.pool_cost_rmb = {
            "broadcast": np.array([p.cost_per_broadcast_rmb for p in pools]),
            "personal": np.array([p.cost_per_personal_contact_rmb for p in pools]),
        }
        churn_rate_per_year = np.array([p.member_churn_rate_per_year for p in pools])
        self.pool_churn_prob_per_day = -np.expm1(-churn_rate_per_year / DAYS_PER_YEAR)
        self.pool_trust_offset = np.array([p.trust_offset for p in pools], dtype=np.float32)
        self.groups = GroupTable()
        self.kocs = KocTable()
        self.posted = np.zeros(0, dtype=bool)  # member rows whose group posted today
        #: the strategy's eras (one for a strategy without phases) and the index of today's
        self.eras = strategy.eras(scenario)
        self.era = 0
        #: channels with addressable customers, their number, and those not yet added (inf: unlimited)
        self.finite_channels = np.flatnonzero([c.addressable_customers is not None for c in scenario.channels])
        self.addressable = np.array(
            [scenario.channels[i].addressable_customers for i in self.finite_channels], dtype=float
        )
        self.addressable_left = np.full(len(scenario.channels), np.inf)
        self.addressable_left[self.finite_channels] = self.addressable
        #: leads of each channel waiting on the holding pool, and the chance a waiting lead is lost each day
        self.waiting = np.zeros(len(scenario.channels), dtype=np.int64)
        holding = self.accounts.holding
        rate = 0.0 if holding is None else pools[holding].holding_loss_rate_per_day
        self.holding_loss_prob_per_day = -np.expm1(-rate)
        self.policies: tuple[Policy, ...] = ()
        self.placement: Sequence[int] | None = None
        self.incentives: list[Incentive] = []
        self.over_cap_share = 0.0
        self._follow(self.eras[0].policies)
        self.membership_terms: tuple[float, int] | None = None  # (fee_rmb, duration_days) last offered
        self.fatigue_decay_per_day = behaviour.fatigue_decay_per_day(self.behaviour)
        #: factors trust above and below the member's baseline keep each day (1: no fade)
        self.trust_keep_per_day = behaviour.trust_keep_per_day(self.behaviour)
        #: contact mode → fatigue one contact adds
        self.fatigue_per_contact = {
            "broadcast": self.behaviour.contact.fatigue_per_broadcast,
            "personal": self.behaviour.contact.fatigue_per_personal,
        }
        staff = scenario.staff
        self.staff_capacity = staff.count * staff.personal_contacts_per_person_per_day
        self.personal_capacity_left = self.staff_capacity
        self.staff_time = StaffTime(staff, len(scenario.tiers))
        self.pool_reach_per_day = [p.broadcast_reach_per_day for p in pools]
        self.reach_left = list(self.pool_reach_per_day)
        self._capacity_day = -1
        #: fixed costs accrued each day: monthly amounts x MONTHS_PER_YEAR / DAYS_PER_YEAR
        self.daily_fixed_rmb = {
            Flow.STAFF_COST_RMB: staff.count * staff.cost_per_person_per_month_rmb * MONTHS_PER_YEAR / DAYS_PER_YEAR,
            Flow.FIXED_COST_RMB: scenario.costs.fixed_per_month_rmb * MONTHS_PER_YEAR / DAYS_PER_YEAR,
        }

        self.month_of_day = scenario.month_of_day()
        self.n_months = int(self.month_of_day[-1]) + 1
        self.ledger = Ledger(scenario, self.n_months)
        #: day → members entering with their first purchase (scenario population.entries)
        self.entries: dict[int, int] = {}
        for entry in scenario.population.entries:
            self.entries[entry.day] = self.entries.get(entry.day, 0) + entry.count

        expected_adds = scenario.horizon_days * sum(c.leads_per_day * c.add_rate for c in scenario.channels)
        expected_adds += sum(e.count for e in scenario.population.entries)
        base = sum(g.count for g in scenario.population.initial)
        self.members = Members(capacity=int(base + 1.1 * expected_adds) + 16)
        #: whether orders can be returned (behaviour.returns), and the returns due on each later day
        self.returns_on = self.behaviour.returns.enabled
        self.pending_returns: dict[int, list[returns.PendingReturns]] = {}
        acquisition.create_initial_base(self)

    def _follow(self, policies: tuple[Policy, ...]) -> None:
        """Make ``policies`` the active ones, and what the World derives from them: the order in which new
        members fill the account pools (the first policy that sets one; else the scenario's), the channels'
        incentives (a policy's replace the channel's own) and the push past the accounts' daily add caps (the
        largest)."""
        scenario = self.scenario
        self.policies = policies
        self.placement = next((order for p in policies if (order := p.placement_order(scenario)) is not None), None)
        self.incentives = [c.incentive for c in scenario.channels]
        for policy in policies:
            for index, incentive in policy.channel_incentives(scenario).items():
                self.incentives[index] = incentive
        self.over_cap_share = max((p.push_past_add_cap() for p in policies), default=0.0)

    @property
    def month(self) -> int:
        """Calendar month index of the current day."""
        return int(self.month_of_day[self.day])

    def uniform(self, purpose: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Today's member-day uniforms of ``rows`` for ``purpose`` (see :mod:`privsim.core.rng`)."""
        return self.uniforms.get(purpose, self.day, self.members.n)[rows]

    def trust_baseline(self, rows: slice | npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Each member's own baseline trust: ``trust.initial`` plus its account pool's offset, in [0, 1]."""
        offset = self.pool_trust_offset[self.accounts.pool[self.members.account[rows]]]
        baseline: npt.NDArray[np.float32] = np.clip(np.float32(self.behaviour.trust.initial) + offset, 0.0, 1.0)
        return baseline

    def trust_for_effects(
        self, rows: npt.NDArray[np.int64], trust: npt.NDArray[np.float32] | None = None
    ) -> npt.NDArray[np.float32]:
        """The trust that trust's effects read for ``rows`` (``trust``, default the members' current trust):
        itself when ``behaviour.trust.effects_relative_to`` is ``reference``, else shifted so that the member's
        own baseline (:meth:`trust_baseline`) reads as ``trust.reference``: ``trust - baseline + reference``."""
        current = self.members.trust[rows] if trust is None else trust
        t = self.behaviour.trust
        if t.effects_relative_to == "reference":
            return current
        shifted: npt.NDArray[np.float32] = current - self.trust_baseline(rows) + np.float32(t.reference)
        return shifted

    def reachable(self, rows: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """``rows`` (member rows, in order) without the churned ones."""
        candidates = np.asarray(rows, dtype=np.int64)
        alive: npt.NDArray[np.int64] = candidates[self.members.state[candidates] != State.CHURNED]
        return alive

    def begin_day(self, day: int) -> None:
        """Make ``day`` today; on its first call for a day, switch to the era ``day`` falls in (if it is a new
        one) and renew the daily capacities and add counters."""
        self.day = day
        if self._capacity_day != day:
            self._capacity_day = day
            if self.era + 1 < len(self.eras) and day >= self.eras[self.era + 1].first_day:
                self.era = next(i for i, era in enumerate(self.eras) if era.first_day <= day < era.end_day)
                self._follow(self.eras[self.era].policies)
            self.personal_capacity_left = self.staff_capacity
            self.reach_left = list(self.pool_reach_per_day)
            self.accounts.new_day(day)
            self.staff_time.new_day(self.ledger, self.month)

    def view(self) -> PolicyView:
        """What a policy sees now: the day, the scenario and read-only copies of the tables."""
        return PolicyView(
            day=self.day,
            month=self.month,
            scenario=self.scenario,
            members=self.members.read_only(),
            groups=self.groups.read_only(),
            kocs=self.kocs.read_only(),
            personal_capacity_left=self.personal_capacity_left,
            tier_member_discount=self.tier_member_discount,
            phase_first_day=self.eras[self.era].first_day,
        )
