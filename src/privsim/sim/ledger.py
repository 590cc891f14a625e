"""The books of one replication: its flows, month-end stocks and cohorts, and what it returns.

Every number is declared here once (:class:`Flow`, :class:`Stock` and the
breakdowns :class:`ChannelStep`, :class:`PoolStep`, :class:`TierStep`); the
enum values are the metric names of the output tables, defined exactly in
:mod:`privsim.metrics`. The sim's stages book flows with
``world.ledger.add(Flow.GMV_LIST_RMB, month, amount)``; at the end of each
month the ledger records the stocks (:func:`month_end_stocks`) and cohort
counts, and at the end of the run it returns a :class:`ReplicationResult`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.groups import KocStatus
from privsim.agents.members import NEVER, ChurnReason, Members, State
from privsim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.sim.world import World

#: Days within which a last purchase makes a member active.
ACTIVE_WITHIN_DAYS = 90
#: Length of the repurchase window, days.
REPURCHASE_WINDOW_DAYS = DAYS_PER_YEAR
#: A second purchase at most this many days after the first is quick (MOMCHAIN-SECOND-PURCHASE).
QUICK_SECOND_PURCHASE_DAYS = 30
#: Days ahead over which end_base_value_rmb values the members' expected purchases.
BASE_VALUE_HORIZON_DAYS = DAYS_PER_YEAR


class Flow(StrEnum):
    """Flows counted by the sim, summed per month (reported in this order)."""

    LEADS = "leads"
    ADDED = "added"
    LEADS_DECLINED = "leads_declined"
    LEADS_OVER_CAPACITY = "leads_over_capacity"
    ORDERS = "orders"
    FIRST_ORDERS = "first_orders"
    VISITS = "visits"
    UNPAID_VISITS = "unpaid_visits"
    GMV_LIST_RMB = "gmv_list_rmb"
    DISCOUNTS_RMB = "discounts_rmb"
    COGS_RMB = "cogs_rmb"
    ACQUISITION_COST_RMB = "acquisition_cost_rmb"
    CONTACT_COST_RMB = "contact_cost_rmb"
    STAFF_COST_RMB = "staff_cost_rmb"
    FIXED_COST_RMB = "fixed_cost_rmb"
    BROADCASTS = "broadcasts"
    PERSONAL_CONTACTS = "personal_contacts"
    DROPOUTS = "dropouts"
    REACTIVATIONS = "reactivations"
    CHURNED_BLOCKED = "churned_blocked"
    CHURNED_DELETED = "churned_deleted"
    CHURNED_LIFECYCLE = "churned_lifecycle"
    CHURNED_BANNED = "churned_banned"
    INCENTIVE_COST_RMB = "incentive_cost_rmb"
    LEADS_LOST_IN_TRANSIT = "leads_lost_in_transit"
    COUPONS_USED = "coupons_used"
    REFERRAL_ASKED = "referral_asked"
    REFERRAL_INVITERS = "referral_inviters"
    REFERRAL_INVITATIONS = "referral_invitations"
    REFERRAL_JOINED = "referral_joined"
    REFERRAL_FAKE = "referral_fake"
    REFERRAL_REWARD_COST_RMB = "referral_reward_cost_rmb"
    SWAP_CONTACTS = "swap_contacts"
    SWAP_JOINED = "swap_joined"
    SWAP_FAKE = "swap_fake"
    SWAP_FRIENDS_JOINED = "swap_friends_joined"
    MEMBERSHIP_SIGNUPS = "membership_signups"
    MEMBERSHIP_RENEWALS = "membership_renewals"
    MEMBERSHIP_FEES_RMB = "membership_fees_rmb"
    TOPUPS = "topups"
    STORED_VALUE_TOPUPS_RMB = "stored_value_topups_rmb"
    STORED_VALUE_SPENT_RMB = "stored_value_spent_rmb"
    KOC_RECRUITED = "koc_recruited"
    KOC_QUIT = "koc_quit"
    KOC_COST_RMB = "koc_cost_rmb"
    MOVED_MEMBERS = "moved_members"
    ACCOUNT_BANS = "account_bans"
    ORDERS_PAID_MEMBERS = "orders_paid_members"
    GMV_PAID_MEMBERS_RMB = "gmv_paid_members_rmb"
    MEMBERSHIP_FEES_EARNED_RMB = "membership_fees_earned_rmb"
    CHURNED_LOST = "churned_lost"
    CHURNED_ENDED = "churned_ended"
    CHURNED_FAKE = "churned_fake"
    RETURNS = "returns"
    RETURNED_GMV_LIST_RMB = "returned_gmv_list_rmb"
    REFUNDS_RMB = "refunds_rmb"
    STORED_VALUE_REFUNDED_RMB = "stored_value_refunded_rmb"
    RETURNED_COGS_RMB = "returned_cogs_rmb"
    LEADS_LOST_IN_HOLDING = "leads_lost_in_holding"
    PERSONAL_CONTACTS_ASKED = "personal_contacts_asked"
    PERSONAL_CONTACTS_OVER_CAP = "personal_contacts_over_cap"
    PERSONAL_CONTACTS_OUT_OF_TIME = "personal_contacts_out_of_time"
    GROUP_POSTS = "group_posts"
    GROUP_POSTS_OUT_OF_TIME = "group_posts_out_of_time"
    STAFF_HOURS_USED = "staff_hours_used"
    STAFF_HOURS_TOP_SEGMENT = "staff_hours_top_segment"
    STAFF_OPERATOR_DAYS = "staff_operator_days"


class Stock(StrEnum):
    """Month-end stocks (besides ``tier.<name>``, ``by_pool.members.<pool>``, ``coverage.<channel>``,
    ``by_pool.accounts_open.<pool>``);
    per replication, the last month's value."""

    MEMBERS_ADDED = "members_added"
    MEMBERS_CUSTOMER = "members_customer"
    MEMBERS_SILENT = "members_silent"
    MEMBERS_CHURNED = "members_churned"
    MEMBERS_REACHABLE = "members_reachable"
    ACTIVE_MEMBERS = "active_members"
    ACTIVE_MEMBERS_365 = "active_members_365"
    PAID_MEMBERS = "paid_members"
    PAID_MEMBERS_IN_GROUPS = "paid_members_in_groups"
    STORED_VALUE_LIABILITY_RMB = "stored_value_liability_rmb"
    MEMBERS_IN_GROUPS = "members_in_groups"
    GROUPS_OPEN = "groups_open"
    KOC_ACTIVE = "koc_active"
    KOC_HOSTED_GROUPS = "koc_hosted_groups"
    KOC_HOSTED_MEMBERS = "koc_hosted_members"
    STAFF_SAVED_FTE = "staff_saved_fte"
    ACCOUNTS_BANNED = "accounts_banned"
    BUYERS_QUICK_SECOND = "buyers_quick_second"
    BUYERS_QUICK_SECOND_PAID = "buyers_quick_second_paid"
    BUYERS_OTHER = "buyers_other"
    BUYERS_OTHER_PAID = "buyers_other_paid"
    MEMBERS_LOST = "members_lost"
    MEMBERS_ENDED = "members_ended"
    MEMBERS_FAKE_GONE = "members_fake_gone"
    LEADS_WAITING = "leads_waiting"


class ChannelStep(StrEnum):
    """Funnel steps counted per acquisition channel, reported as ``<step>.<channel>``."""

    LEADS = "leads"
    ADDED = "added"
    FIRST_ORDERS = "first_orders"
    REPEAT_ORDERS = "repeat_orders"


class PoolStep(StrEnum):
    """Flows counted per account pool, reported as ``by_pool.<step>.<pool>``."""

    ADDED = "added"
    FIRST_ORDERS = "first_orders"
    CHURNED = "churned"


class TierStep(StrEnum):
    """Flows summed per tier, reported as ``by_tier.<step>.<tier>``."""

    GMV_LIST_RMB = "gmv_list_rmb"
    RETURNED_GMV_LIST_RMB = "returned_gmv_list_rmb"


#: Flows that are costs in the profit (besides cost of goods).
COSTS = (
    Flow.ACQUISITION_COST_RMB,
    Flow.INCENTIVE_COST_RMB,
    Flow.CONTACT_COST_RMB,
    Flow.STAFF_COST_RMB,
    Flow.FIXED_COST_RMB,
    Flow.REFERRAL_REWARD_COST_RMB,
    Flow.KOC_COST_RMB,
)

#: Churn reason → the flow that counts it.
CHURN_FLOW = {
    ChurnReason.BLOCKED: Flow.CHURNED_BLOCKED,
    ChurnReason.DELETED: Flow.CHURNED_DELETED,
    ChurnReason.LIFECYCLE: Flow.CHURNED_LIFECYCLE,
    ChurnReason.BANNED: Flow.CHURNED_BANNED,
}

#: Churn reasons of a member who was lost (blocked, deleted, banned), as opposed to one whose need ended.
LOST_REASONS = (ChurnReason.BLOCKED, ChurnReason.DELETED, ChurnReason.BANNED)

Series = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced.

    ``monthly`` maps each metric of :mod:`privsim.metrics` (flows, derived
    flows and month-end stocks) to an array over months; ``repurchase_rate``
    (every buyer), ``repurchase_rate_retained`` (retained-only base) and
    ``end_base_value_rmb`` are per-replication figures; ``cohort_sizes`` and
    ``cohort_active`` are [month-end, cohort month] matrices.
    """

    monthly: dict[str, Series]
    repurchase_rate_retained: float
    cohort_sizes: npt.NDArray[np.int64]
    cohort_active: npt.NDArray[np.int64]
    members_simulated: int
    repurchase_rate: float
    end_base_value_rmb: float


class Ledger:
    """The flows, breakdowns, month-end stocks and cohort counts of one replication, by month."""

    def __init__(self, scenario: ScenarioBase, n_months: int) -> None:
        self.n_months = n_months
        self._flows = {flow: np.zeros(n_months) for flow in Flow}
        self._channel_names = [c.name for c in scenario.channels]
        self._pool_names = [a.name for a in scenario.accounts]
        self._tier_names = [t.name for t in scenario.tiers]
        #: step → [channel, pool or tier, month] sums
        self._by_channel = {step: np.zeros((len(self._channel_names), n_months)) for step in ChannelStep}
        self._by_pool = {step: np.zeros((len(self._pool_names), n_months)) for step in PoolStep}
        self._by_tier = {step: np.zeros((len(self._tier_names), n_months)) for step in TierStep}
        self._stocks: dict[str, Series] = {}
        self._cohort_sizes = np.zeros((n_months, n_months), dtype=np.int64)
        self._cohort_active = np.zeros((n_months, n_months), dtype=np.int64)
        #: the repurchase base (customers) is taken at the end of this day
        self.repurchase_day = scenario.horizon_days - REPURCHASE_WINDOW_DAYS - 1
        self.repurchase_base: npt.NDArray[np.bool_] | None = None
        #: taken at the end of the last month (only then: it values every member)
        self.end_base_value_rmb = float("nan")
        self._staff_hours_per_person_per_day = scenario.staff.hours_per_person_per_day
        #: the membership fees the profit counts (costs.membership_fee_recognition)
        self._profit_fees = (
            Flow.MEMBERSHIP_FEES_EARNED_RMB
            if scenario.costs.membership_fee_recognition == "over_term"
            else Flow.MEMBERSHIP_FEES_RMB
        )

    def add(self, flow: Flow, month: int, amount: float) -> None:
        """Add ``amount`` to ``flow`` in ``month``."""
        self._flows[flow][month] += amount

    def total(self, flow: Flow, month: int) -> float:
        """``flow`` booked so far in ``month``."""
        return float(self._flows[flow][month])

    def book_membership_fees(
        self, month_of_day: npt.NDArray[np.int64], day: int, count: int, fee_rmb: float, duration_days: int
    ) -> None:
        """``count`` memberships of ``duration_days`` bought or renewed today for ``fee_rmb`` each: the fees are
        received today (``membership_fees_rmb``) and earned evenly over the days ``day .. day + duration_days - 1``
        (``membership_fees_earned_rmb``; the days past the horizon are not earned within it)."""
        self.add(Flow.MEMBERSHIP_FEES_RMB, int(month_of_day[day]), fee_rmb * count)
        if count:
            months = np.bincount(month_of_day[day : day + duration_days], minlength=self.n_months)
            self._flows[Flow.MEMBERSHIP_FEES_EARNED_RMB] += months * (fee_rmb * count / duration_days)

    def add_by_channel(self, step: ChannelStep, month: int, counts: np.ndarray) -> None:
        """Add ``counts`` (one per channel) to ``step`` of ``month``."""
        self._by_channel[step][:, month] += counts

    def count_by_pool(self, step: PoolStep, month: int, pools: npt.NDArray[np.int64]) -> None:
        """Add one to ``step`` of ``month`` for each pool index in ``pools`` (a member placed on that pool)."""
        self._by_pool[step][:, month] += np.bincount(pools, minlength=len(self._pool_names))

    def add_by_tier(self, step: TierStep, month: int, sums: np.ndarray) -> None:
        """Add ``sums`` (one per tier) to ``step`` of ``month``."""
        self._by_tier[step][:, month] += sums

    def close_month(self, world: World, month: int) -> None:
        """Record the month-end stocks and cohort counts at the end of today (the month's last day)."""
        for name, value in month_end_stocks(world, world.day).items():
            self._stocks.setdefault(name, np.zeros(self.n_months))[month] = value
        sizes, active = cohort_counts(world.members, world.day, self.n_months)
        self._cohort_sizes[month], self._cohort_active[month] = sizes, active
        if month == self.n_months - 1:
            self.end_base_value_rmb = base_value_rmb(world, world.day)

    def result(self, members: Members) -> ReplicationResult:
        """The replication's result, at the end of the horizon."""
        monthly = {flow.value: series for flow, series in self._flows.items()}
        for channel_step, counts in self._by_channel.items():
            monthly.update({f"{channel_step}.{name}": counts[i] for i, name in enumerate(self._channel_names)})
        for pool_step, counts in self._by_pool.items():
            monthly.update({f"by_pool.{pool_step}.{name}": counts[i] for i, name in enumerate(self._pool_names)})
        for tier_step, counts in self._by_tier.items():
            monthly.update({f"by_tier.{tier_step}.{name}": counts[i] for i, name in enumerate(self._tier_names)})
        monthly.update(derived_flows(self._flows, self._profit_fees))
        monthly.update(staff_metrics(self._flows, self._staff_hours_per_person_per_day))
        monthly.update(self._stocks)
        rate_retained = (
            repurchase_rate(self.repurchase_base, members, self.repurchase_day)
            if self.repurchase_day >= 0
            else float("nan")
        )
        rate = (
            repurchase_rate(buyers_mask(members, self.repurchase_day), members, self.repurchase_day)
            if self.repurchase_day >= 0
            else float("nan")
        )
        return ReplicationResult(
            monthly, rate_retained, self._cohort_sizes, self._cohort_active, members.n, rate, self.end_base_value_rmb
        )


def derived_flows(flows: Mapping[Flow, Series], profit_fees: Flow) -> dict[str, Series]:
    """gmv (as paid), gross_margin, profit, aov and the net-of-returns figures, from the counted flows
    (arrays over months); the profit counts the membership fees of ``profit_fees`` (received or earned)."""
    gmv = paid_gmv(flows)
    gross_margin = gmv - flows[Flow.COGS_RMB]
    costs = sum(flows[name] for name in COSTS)
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(flows[Flow.ORDERS] > 0, gmv / flows[Flow.ORDERS], np.nan)
    profit = gross_margin + flows[profit_fees] - costs
    return {
        "gmv_rmb": gmv,
        "gross_margin_rmb": gross_margin,
        "profit_rmb": profit,
        "aov_rmb": aov,
        "gmv_net_of_returns_rmb": gmv - flows[Flow.REFUNDS_RMB],
        "gmv_list_net_of_returns_rmb": flows[Flow.GMV_LIST_RMB] - flows[Flow.RETURNED_GMV_LIST_RMB],
        "profit_net_of_returns_rmb": profit - flows[Flow.REFUNDS_RMB] + flows[Flow.RETURNED_COGS_RMB],
    }


def paid_gmv(flows: Mapping[Flow, Series]) -> Series:
    """``gmv_rmb``, GMV as paid (成交): ``gmv_list_rmb - discounts_rmb`` (arrays over months)."""
    gmv: Series = flows[Flow.GMV_LIST_RMB] - flows[Flow.DISCOUNTS_RMB]
    return gmv


def staff_metrics(flows: Mapping[Flow, Series], hours_per_person_per_day: float | None) -> dict[str, Series]:
    """staff_hours_available (NaN when time is unlimited), gmv_per_staff_month_rmb and
    personal_contacts_per_staff_day (NaN without staff) from the counted flows (arrays over months)."""
    operator_days = flows[Flow.STAFF_OPERATOR_DAYS]
    hours = math.nan if hours_per_person_per_day is None else hours_per_person_per_day
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "staff_hours_available": operator_days * hours,
            "gmv_per_staff_month_rmb": np.where(
                operator_days > 0, paid_gmv(flows) / (operator_days * MONTHS_PER_YEAR / DAYS_PER_YEAR), np.nan
            ),
            "personal_contacts_per_staff_day": np.where(
                operator_days > 0, flows[Flow.PERSONAL_CONTACTS] / operator_days, np.nan
            ),
        }


def active_mask(members: Members, day: int) -> npt.NDArray[np.bool_]:
    """Rows of members who are not churned and bought within the last ACTIVE_WITHIN_DAYS days."""
    n = members.n
    active: npt.NDArray[np.bool_] = (members.state[:n] != State.CHURNED) & (
        day - members.last_purchase_day[:n] < ACTIVE_WITHIN_DAYS
    )
    return active


def month_end_stocks(world: World, day: int) -> dict[str, float]:
    """Month-end stocks (defined in :mod:`privsim.metrics`) at the end of ``day``."""
    members = world.members
    by_state = members.count_by_state()
    n = members.n
    reachable = members.state[:n] != State.CHURNED
    by_tier = np.bincount(members.tier[:n][reachable], minlength=len(world.tier_names))
    group = members.group[:n]
    paid = reachable & (members.paid_until_day[:n] >= day)
    kocs, groups = world.kocs, world.groups
    hosted = groups.host >= 0
    buyers = members.first_purchase_day[:n] >= 0
    quick = buyers & (members.quick_second_purchase[:n] > 0)
    other = buyers & ~quick
    ever_paid = members.paid_until_day[:n] != NEVER
    in_hosted = reachable & (group >= 0) & hosted[np.maximum(group, 0)] if len(groups) else np.zeros(n, bool)
    out: dict[str, float] = {
        Stock.MEMBERS_ADDED: by_state[State.ADDED],
        Stock.MEMBERS_CUSTOMER: by_state[State.CUSTOMER],
        Stock.MEMBERS_SILENT: by_state[State.SILENT],
        Stock.MEMBERS_CHURNED: by_state[State.CHURNED],
        Stock.MEMBERS_REACHABLE: int(reachable.sum()),
        Stock.ACTIVE_MEMBERS: int(active_mask(members, day).sum()),
        Stock.ACTIVE_MEMBERS_365: int((reachable & (day - members.last_purchase_day[:n] < DAYS_PER_YEAR)).sum()),
        Stock.PAID_MEMBERS: int(paid.sum()),
        Stock.PAID_MEMBERS_IN_GROUPS: int((paid & (group >= 0)).sum()),
        Stock.STORED_VALUE_LIABILITY_RMB: float(np.dot(members.balance_rmb[:n], members.balance_cash_share[:n])),
        Stock.MEMBERS_IN_GROUPS: int((reachable & (group >= 0)).sum()),
        Stock.GROUPS_OPEN: int((groups.size > 0).sum()),
        Stock.KOC_ACTIVE: int((kocs.status == KocStatus.ACTIVE).sum()),
        Stock.KOC_HOSTED_GROUPS: int(hosted.sum()),
        Stock.KOC_HOSTED_MEMBERS: int(in_hosted.sum()),
        Stock.STAFF_SAVED_FTE: hosted.sum() / world.scenario.staff.groups_per_person,
        Stock.ACCOUNTS_BANNED: int(world.accounts.banned.sum()),
        Stock.BUYERS_QUICK_SECOND: int(quick.sum()),
        Stock.BUYERS_QUICK_SECOND_PAID: int((quick & ever_paid).sum()),
        Stock.BUYERS_OTHER: int(other.sum()),
        Stock.BUYERS_OTHER_PAID: int((other & ever_paid).sum()),
        **churned_by_kind(members),
    }
    out.update({f"tier.{name}": by_tier[i] for i, name in enumerate(world.tier_names)})
    by_pool = np.bincount(world.accounts.pool[members.account[:n][reachable]], minlength=len(world.scenario.accounts))
    out.update({f"by_pool.members.{a.name}": by_pool[i] for i, a in enumerate(world.scenario.accounts)})
    channels = world.scenario.channels
    if any(c.addressable_customers for c in channels):
        acquired = reachable & (members.channel[:n] >= 0)
        by_channel = np.bincount(members.channel[:n][acquired], minlength=len(channels))
        out.update(
            {
                f"coverage.{c.name}": by_channel[i] / c.addressable_customers
                for i, c in enumerate(channels)
                if c.addressable_customers
            }
        )
    accounts = world.accounts
    open_by_pool = np.bincount(accounts.pool[accounts.is_open(day)], minlength=len(world.scenario.accounts))
    out.update({f"by_pool.accounts_open.{a.name}": open_by_pool[i] for i, a in enumerate(world.scenario.accounts)})
    out[Stock.LEADS_WAITING] = int(world.waiting.sum())
    return {str(k): float(v) for k, v in out.items()}


def base_value_rmb(world: World, day: int) -> float:
    """Expected gross margin of the members who may buy (added or customer) over the BASE_VALUE_HORIZON_DAYS days
    after ``day``, each left to its own purchase and dropout process (:mod:`privsim.metrics`)."""
    m, b = world.members, world.behaviour
    state = m.state[: m.n]
    rows = np.flatnonzero((state == State.ADDED) | (state == State.CUSTOMER))
    trust = world.trust_for_effects(rows).astype(np.float64)
    none = np.zeros(len(rows))
    purchase = behaviour.purchase_probability(m.rate_per_day[rows], trust, none, none, 0.0, b)
    dropout = behaviour.dropout_probability(m.dropout_prob[rows], trust, b)
    leaves = np.minimum(m.lifecycle_end_day[rows], m.deletion_day[rows]).astype(np.int64)
    days = np.clip(leaves - day, 0, BASE_VALUE_HORIZON_DAYS)
    purchases = behaviour.expected_purchases(purchase, dropout, days, state[rows] == State.CUSTOMER)
    margin = m.order_value_mean_rmb[rows] * world.scenario.population.gross_margin_share
    return float(np.dot(purchases, margin))


def churned_by_kind(members: Members) -> dict[str, float]:
    """Churned members so far: genuine ones lost (:data:`LOST_REASONS`) or whose need ended, and fakes."""
    n = members.n
    churned = members.state[:n] == State.CHURNED
    fake = members.fake[:n] > 0
    genuine = churned & ~fake
    return {
        Stock.MEMBERS_LOST: int((genuine & np.isin(members.churn_reason[:n], LOST_REASONS)).sum()),
        Stock.MEMBERS_ENDED: int((genuine & (members.churn_reason[:n] == ChurnReason.LIFECYCLE)).sum()),
        Stock.MEMBERS_FAKE_GONE: int((churned & fake).sum()),
    }


def customers_mask(members: Members) -> npt.NDArray[np.bool_]:
    """Rows of members who have bought at least once and are not churned: the base of
    ``repurchase_rate_retained``, which leaves out members churned by its reference day."""
    n = members.n
    customers: npt.NDArray[np.bool_] = (members.purchases[:n] > 0) & (members.state[:n] != State.CHURNED)
    return customers


def buyers_mask(members: Members, day: int) -> npt.NDArray[np.bool_]:
    """Rows of members who had bought by the end of ``day``, churned or not: the base of
    ``repurchase_rate`` (a first purchase is never undone, so this is read at the end)."""
    first = members.first_purchase_day[: members.n]
    buyers: npt.NDArray[np.bool_] = (first != NEVER) & (first <= day)
    return buyers


def repurchase_rate(base: npt.NDArray[np.bool_] | None, members: Members, reference_day: int) -> float:
    """Share of ``base`` rows whose last purchase is after ``reference_day``.

    ``base`` is :func:`buyers_mask` for ``repurchase_rate`` (every buyer) and :func:`customers_mask` on
    ``reference_day`` for the retained-only ``repurchase_rate_retained``.

    Called at the end of the window (see :mod:`privsim.metrics`); a member who
    bought again and then churned still counts as repurchasing, one who
    churned without buying does not.
    """
    if base is None or not base.any():
        return float("nan")
    bought_again = members.last_purchase_day[: len(base)] > reference_day
    return float((base & bought_again).sum() / base.sum())


def cohort_counts(members: Members, day: int, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """(cohort sizes, active members per cohort) at the end of ``day``, indexed by joining month."""
    n = members.n
    cohort = members.cohort_month[:n]
    joined = cohort >= 0
    sizes = np.bincount(cohort[joined], minlength=n_months)
    active = np.bincount(cohort[joined & active_mask(members, day)], minlength=n_months)
    return sizes, active
