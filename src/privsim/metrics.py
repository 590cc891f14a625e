"""Every number privsim reports, defined exactly.

Money is RMB. A *month* is a calendar month counted from the scenario's
``start_date`` (month 0 contains day 0); the last month may be partial.

Monthly flows (summed over the days of the month)
--------------------------------------------------
leads
    Contacts reached by acquisition channels (Poisson per channel and day;
    for a channel with ``addressable_customers``, its customers not yet
    added, each at ``leads_per_day / addressable_customers`` a day).
added
    Leads who added a brand account and found room on one (become members).
leads_declined
    Leads who did not add an account (1 - the channel's add rate).
leads_over_capacity
    Leads who would have added but found no account with room that day.
orders
    Purchases (one order per member and day at most).
first_orders
    Orders that were a member's first ever.
visits, unpaid_visits
    Shop visits (store or mini-program sessions) of members who may buy
    (added or customer), at most one a member and day: unprompted browsing
    or a click on that day's contact or group post
    (``behaviour.visit``); every order is made on a visit, ``unpaid_visits``
    are the visits without one. With the default behaviour only buyers
    visit (``unpaid_visits`` = 0). Orders of scheduled entries on their
    entry day are not visits.
gmv_rmb
    Value of all orders at list price, before any discount.
discounts_rmb
    List value minus price paid: offers and tier member discounts.
net_sales_rmb
    ``gmv_rmb - discounts_rmb``: what members paid.
cogs_rmb
    Cost of goods: ``gmv_rmb * (1 - gross_margin_share)``.
gross_margin_rmb
    ``net_sales_rmb - cogs_rmb``.
acquisition_cost_rmb
    ``leads x cost_per_lead_rmb`` summed over channels.
incentive_cost_rmb
    Gifts and lottery prizes paid to leads who joined (coupon incentives are
    discounts when used).
leads_lost_in_transit
    Leads who added but were lost before reaching a staff account.
coupons_used
    Orders on which a fixed-value coupon was redeemed.
referral_asked, referral_inviters, referral_invitations
    Members asked to invite friends; those who sent at least one invitation;
    invitations sent.
referral_joined, referral_fake
    Genuine and fake invitees who joined (fakes never buy and delete the
    account after ``behaviour.referral.fake_stay_days``).
referral_reward_cost_rmb
    Reward steps reached by inviters (fakes count: that is the fraud).
swap_contacts, swap_joined, swap_fake
    New contacts received in brand swaps; genuine and fake ones who joined
    (lottery or fission task; the friends fission joiners invite count as referrals).
swap_friends_joined
    Of ``referral_joined``, the genuine friends that a swap's fission joiners invited.
membership_signups, membership_renewals
    Paid memberships bought and renewed.
membership_fees_rmb
    Fees received for paid memberships (revenue).
topups, stored_value_topups_rmb
    Prepayments and the cash received for them (not revenue: a liability
    until spent).
stored_value_spent_rmb
    Balance spent on orders (bonus included).
koc_recruited, koc_quit
    Members who accepted a KOC role; KOCs who stopped (quit or churned).
koc_cost_rmb
    KOC fees (accrued daily) and awards.
moved_members
    Members moved to another account pool.
account_bans
    Accounts the platform banned (their members churn as ``banned``).
contact_cost_rmb
    Per-contact costs of broadcasts and personal contacts (SMS, calls).
staff_cost_rmb
    Operators' pay, accrued daily at ``count x cost_per_person_per_month x 12 / 365``.
fixed_cost_rmb
    Other fixed costs, accrued daily likewise.
profit_rmb
    ``gross_margin_rmb + membership_fees_rmb - (acquisition_cost_rmb + incentive_cost_rmb +
    contact_cost_rmb + staff_cost_rmb + fixed_cost_rmb + referral_reward_cost_rmb + koc_cost_rmb)``,
    so ``gmv - discounts + fees - (cogs + all COSTS) = profit``.
aov_rmb
    ``gmv_rmb / orders`` (list price; NaN in a month without orders).
broadcasts, personal_contacts
    Contacts delivered, by mode.
dropouts
    Customers who turned silent after a repeat purchase.
reactivations
    Silent members who started buying again after an offer.
churned_blocked, churned_deleted, churned_lifecycle, churned_banned
    Members who churned this month, by reason: blocked after a contact
    (fatigue), deleted the account (the account kind's hazard), need ended,
    account banned by the platform.

Monthly flows per acquisition channel (the funnel)
--------------------------------------------------
leads.<channel>, added.<channel>
    As ``leads`` and ``added``, for one channel.
first_orders.<channel>, repeat_orders.<channel>
    First and later orders of members acquired through that channel (the
    day-0 base and scheduled entries belong to no channel).

Monthly flows by account pool and by tier
-----------------------------------------
by_pool.added.<pool>, by_pool.first_orders.<pool>, by_pool.churned.<pool>
    Members placed on the pool when they joined; first orders and churn of
    members on the pool at the time.
by_tier.gmv_rmb.<tier>
    GMV of orders by members of the tier at the time of the order.
orders_paid_members, gmv_paid_members_rmb
    Orders and GMV of members whose paid membership was valid that day.

Month-end stocks (at the end of the month's last simulated day)
----------------------------------------------------------------
members_added, members_customer, members_silent, members_churned
    Members in each state.
members_reachable
    Members not churned.
active_members
    Members not churned whose last purchase was within the last 90 days
    (``day - last_purchase_day < 90``).
tier.<name>
    Members not churned in each tier.
active_members_365
    Members not churned whose last purchase was within the last 365 days.
paid_members
    Members not churned whose paid membership is valid.
paid_members_in_groups
    Of ``paid_members``, those in a group.
stored_value_liability_rmb
    Cash value of unspent balances: ``sum(balance x cash share)`` (the bonus is not owed).
members_in_groups, groups_open
    Members not churned in a group; groups with at least one member.
koc_active, koc_hosted_groups, koc_hosted_members
    Active KOCs; groups they host; members in those groups.
staff_saved_fte
    ``koc_hosted_groups / staff.groups_per_person``: operators the KOCs stand in for.
accounts_banned
    Accounts banned so far.
by_pool.members.<pool>
    Members not churned on each account pool.
buyers_quick_second, buyers_other
    Members whose first purchase was during the run (day 0 on), churned or
    not, split by whether their second purchase came within
    ``QUICK_SECOND_PURCHASE_DAYS`` (30) days of the first.
buyers_quick_second_paid, buyers_other_paid
    Of each, those who have ever held a paid membership.
coverage.<channel>
    For a channel with ``addressable_customers``: members acquired through
    it who are not churned / ``addressable_customers`` (the share of the
    channel's customers in the private domain).

Per replication (over the whole horizon)
----------------------------------------
The sum of each monthly flow above (``gmv_rmb``, ``profit_rmb``, ...),
``aov_rmb`` as total GMV over total orders, the month-end stocks of the last
month (``active_members``, ``members_churned``, ...), and:

referral_cac_rmb
    ``referral_reward_cost_rmb / referral_joined`` (genuine referred members; NaN without any).
viral_coefficient
    ``referral_joined / referral_asked``: genuine new members per member asked to invite.

repurchase_rate
    Share of the members who were customers at the end of day
    ``D = horizon_days - 366`` (at least one purchase, not churned) who
    bought again within the following 365 days (days D+1 .. D+365).
    Members who churned in the window without buying again count as not
    repurchasing; those who bought again and then churned count as
    repurchasing. NaN when
    ``horizon_days < 366`` or there were no customers on day D.

Cohort retention
----------------
A cohort is the members added in one month (the day-0 base is not a
cohort). ``retention`` of cohort c after n months is the share of the
cohort that is *active* (as ``active_members`` above) at the end of month
c + n.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from privsim.agents.groups import ACTIVE
from privsim.agents.members import NEVER, ChurnReason, Members, State

if TYPE_CHECKING:
    from privsim.sim.engine import World

#: Days within which a last purchase makes a member active.
ACTIVE_WITHIN_DAYS = 90
#: Length of the repurchase window, days.
REPURCHASE_WINDOW_DAYS = 365
#: A second purchase at most this many days after the first is quick (MOMCHAIN-SECOND-PURCHASE).
QUICK_SECOND_PURCHASE_DAYS = 30

#: Flows counted by the engine, summed per month.
FLOWS = (
    "leads",
    "added",
    "leads_declined",
    "leads_over_capacity",
    "orders",
    "first_orders",
    "visits",
    "unpaid_visits",
    "gmv_rmb",
    "discounts_rmb",
    "cogs_rmb",
    "acquisition_cost_rmb",
    "contact_cost_rmb",
    "staff_cost_rmb",
    "fixed_cost_rmb",
    "broadcasts",
    "personal_contacts",
    "dropouts",
    "reactivations",
    "churned_blocked",
    "churned_deleted",
    "churned_lifecycle",
    "churned_banned",
    "incentive_cost_rmb",
    "leads_lost_in_transit",
    "coupons_used",
    "referral_asked",
    "referral_inviters",
    "referral_invitations",
    "referral_joined",
    "referral_fake",
    "referral_reward_cost_rmb",
    "swap_contacts",
    "swap_joined",
    "swap_fake",
    "swap_friends_joined",
    "membership_signups",
    "membership_renewals",
    "membership_fees_rmb",
    "topups",
    "stored_value_topups_rmb",
    "stored_value_spent_rmb",
    "koc_recruited",
    "koc_quit",
    "koc_cost_rmb",
    "moved_members",
    "account_bans",
    "orders_paid_members",
    "gmv_paid_members_rmb",
)

#: Month-end stocks (besides ``tier.<name>``); per replication, the last month's value.
STOCKS = (
    "members_added",
    "members_customer",
    "members_silent",
    "members_churned",
    "members_reachable",
    "active_members",
    "active_members_365",
    "paid_members",
    "paid_members_in_groups",
    "stored_value_liability_rmb",
    "members_in_groups",
    "groups_open",
    "koc_active",
    "koc_hosted_groups",
    "koc_hosted_members",
    "staff_saved_fte",
    "accounts_banned",
    "buyers_quick_second",
    "buyers_quick_second_paid",
    "buyers_other",
    "buyers_other_paid",
)

#: Flows that are costs in the profit (besides cost of goods).
COSTS = (
    "acquisition_cost_rmb",
    "incentive_cost_rmb",
    "contact_cost_rmb",
    "staff_cost_rmb",
    "fixed_cost_rmb",
    "referral_reward_cost_rmb",
    "koc_cost_rmb",
)

#: Funnel steps counted per acquisition channel, reported as ``<step>.<channel>``.
CHANNEL_FLOWS = ("leads", "added", "first_orders", "repeat_orders")

#: Flows counted per account pool (``by_pool.<step>.<pool>``) and per tier (``by_tier.<step>.<tier>``).
POOL_FLOWS = ("added", "first_orders", "churned")
TIER_FLOWS = ("gmv_rmb",)

#: Churn reason → the flow that counts it.
CHURN_FLOW = {
    ChurnReason.BLOCKED: "churned_blocked",
    ChurnReason.DELETED: "churned_deleted",
    ChurnReason.LIFECYCLE: "churned_lifecycle",
    ChurnReason.BANNED: "churned_banned",
}

#: Summary metrics shown in the comparison table, in order, with their labels.
HEADLINE = {
    "gmv_rmb": "GMV (RMB)",
    "profit_rmb": "profit (RMB)",
    "active_members": "active members",
    "members_churned": "churned members",
    "repurchase_rate": "repurchase rate",
}


def derived_flows(flows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """net_sales, gross_margin, profit and aov from the counted flows (arrays over months)."""
    net_sales = flows["gmv_rmb"] - flows["discounts_rmb"]
    gross_margin = net_sales - flows["cogs_rmb"]
    costs = sum(flows[name] for name in COSTS)
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(flows["orders"] > 0, flows["gmv_rmb"] / flows["orders"], np.nan)
    return {
        "net_sales_rmb": net_sales,
        "gross_margin_rmb": gross_margin,
        "profit_rmb": gross_margin + flows["membership_fees_rmb"] - costs,
        "aov_rmb": aov,
    }


def active_mask(members: Members, day: int) -> np.ndarray:
    """Rows of members who are not churned and bought within the last ACTIVE_WITHIN_DAYS days."""
    n = members.n
    return (members.state[:n] != State.CHURNED) & (day - members.last_purchase_day[:n] < ACTIVE_WITHIN_DAYS)


def stocks(world: World, day: int) -> dict[str, float]:
    """Month-end stocks (see the module docstring) at the end of ``day``."""
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
    out = {
        "members_added": by_state[State.ADDED],
        "members_customer": by_state[State.CUSTOMER],
        "members_silent": by_state[State.SILENT],
        "members_churned": by_state[State.CHURNED],
        "members_reachable": int(reachable.sum()),
        "active_members": int(active_mask(members, day).sum()),
        "active_members_365": int((reachable & (day - members.last_purchase_day[:n] < 365)).sum()),
        "paid_members": int(paid.sum()),
        "paid_members_in_groups": int((paid & (group >= 0)).sum()),
        "stored_value_liability_rmb": float(np.dot(members.balance_rmb[:n], members.balance_cash_share[:n])),
        "members_in_groups": int((reachable & (group >= 0)).sum()),
        "groups_open": int((groups.size > 0).sum()),
        "koc_active": int((kocs.status == ACTIVE).sum()),
        "koc_hosted_groups": int(hosted.sum()),
        "koc_hosted_members": int(in_hosted.sum()),
        "staff_saved_fte": hosted.sum() / world.scenario.staff.groups_per_person,
        "accounts_banned": int(world.accounts.banned.sum()),
        "buyers_quick_second": int(quick.sum()),
        "buyers_quick_second_paid": int((quick & ever_paid).sum()),
        "buyers_other": int(other.sum()),
        "buyers_other_paid": int((other & ever_paid).sum()),
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
    return {k: float(v) for k, v in out.items()}


def customers_mask(members: Members) -> np.ndarray:
    """Rows of members who have bought at least once and are not churned (repurchase base)."""
    n = members.n
    return (members.purchases[:n] > 0) & (members.state[:n] != State.CHURNED)


def repurchase_rate(base: np.ndarray | None, members: Members, reference_day: int) -> float:
    """Share of ``base`` rows (customers on ``reference_day``) whose last purchase is after that day.

    Called at the end of the window (see the module docstring); a member who
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
