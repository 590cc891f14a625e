"""Every number privsim reports, defined exactly.

The sim declares and counts them in :mod:`privsim.sim.ledger` (``Flow``,
``Stock``, the breakdowns, the derived flows); this module defines them and
holds what is chosen above the sim (the headline metrics).

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

Monthly flows of staff time (:mod:`privsim.sim.staff`)
------------------------------------------------------
personal_contacts_asked
    Personal contacts the policies asked for, to members not churned, before
    any limit. ``personal_contacts_asked = personal_contacts +
    personal_contacts_over_cap + personal_contacts_out_of_time``.
personal_contacts_over_cap
    Of those, the contacts beyond the day's personal-contact cap
    (``staff.count x personal_contacts_per_person_per_day``, less the contacts
    made earlier that day).
personal_contacts_out_of_time
    Of those within the cap, the contacts not made because the staff's time
    for the day had run out (0 when ``staff.hours_per_person_per_day`` is null).
group_posts
    Posts made in groups (staff- or KOC-hosted).
group_posts_out_of_time
    Posts a staff- or KOC-hosted group would have made but that found no
    staff time left (0 when ``staff.hours_per_person_per_day`` is null).
staff_hours_used
    Staff time spent, hours: ``(personal contacts x minutes_per_personal_contact
    + service contacts x minutes_per_service_contact + staff-hosted group posts x
    minutes_per_group_post + KOC-hosted group posts x (minutes_per_group_post -
    minutes_saved_per_koc_post)) / 60``, over the contacts and posts made.
    Counted also when time is unlimited (the hours the strategy needed).
staff_hours_top_segment
    Of ``staff_hours_used``, the hours of personal contacts to the top segment
    (members on the highest ``staff.top_segment_tiers`` tier rungs on the day
    of the contact).
staff_hours_available
    ``staff_operator_days x staff.hours_per_person_per_day``; NaN when
    ``hours_per_person_per_day`` is null (unlimited). Each day
    ``staff_hours_used <= staff_hours_available`` and, of it, at most
    ``(1 - top_segment_effort_share) x staff.count x hours_per_person_per_day``
    go to anything but top-segment contacts.
staff_operator_days
    ``staff.count`` summed over the month's days: operator-days worked.
gmv_per_staff_month_rmb
    ``gmv_rmb / (staff_operator_days x 12 / 365)``: GMV per operator-month
    (an operator-month as in ``staff_cost_rmb``); per replication, total GMV
    over total operator-months. NaN without staff.
personal_contacts_per_staff_day
    ``personal_contacts / staff_operator_days``: personal contacts made per
    operator-day; per replication, over the whole horizon. NaN without staff.

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
    ``privsim.sim.ledger.QUICK_SECOND_PURCHASE_DAYS`` (30) days of the first.
buyers_quick_second_paid, buyers_other_paid
    Of each, those who have ever held a paid membership.
coverage.<channel>
    For a channel with ``addressable_customers``: members acquired through
    it who are not churned / ``addressable_customers`` (the share of the
    channel's customers in the private domain).

Per replication (over the whole horizon)
----------------------------------------
The sum of each monthly flow above (``gmv_rmb``, ``profit_rmb``, ...),
``aov_rmb``, ``gmv_per_staff_month_rmb`` and ``personal_contacts_per_staff_day``
as the ratios of the horizon's totals, the month-end stocks of the last
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

import re
import sys

#: Summary metrics shown in the comparison table, in order, with their labels.
HEADLINE = {
    "gmv_rmb": "GMV (RMB)",
    "profit_rmb": "profit (RMB)",
    "active_members": "active members",
    "members_churned": "churned members",
    "repurchase_rate": "repurchase rate",
}
#: Headline metrics where less is better (for every other one, more is).
LOWER_IS_BETTER = frozenset({"members_churned"})


def definitions() -> dict[str, str]:
    """Each metric's definition from this module's docstring, by name (``tier.<name>`` as written there)."""
    doc = sys.modules[__name__].__doc__ or ""
    out: dict[str, str] = {}
    for names, body in re.findall(r"^(\S[^\n]*)\n((?:    [^\n]*\n?)+)", doc, flags=re.MULTILINE):
        text = " ".join(body.split())
        for name in names.split(", "):
            out[name.strip()] = text
    return out


# ---------------------------------------------------------------------------
# Breakdowns and units: the columns of the result tables besides ``metric``

#: Prefixes of the metrics broken down by account pool, tier or channel: prefix → (measure, breakdown column).
#: ``by_pool.members.<pool>`` and ``tier.<name>`` are the reachable members of a pool or a tier.
BREAKDOWNS = {
    "by_pool.members.": ("members_reachable", "pool"),
    "by_pool.added.": ("added", "pool"),
    "by_pool.first_orders.": ("first_orders", "pool"),
    "by_pool.churned.": ("churned", "pool"),
    "by_tier.gmv_rmb.": ("gmv_rmb", "tier"),
    "tier.": ("members_reachable", "tier"),
    "leads.": ("leads", "channel"),
    "added.": ("added", "channel"),
    "first_orders.": ("first_orders", "channel"),
    "repeat_orders.": ("repeat_orders", "channel"),
    "coverage.": ("coverage", "channel"),
}
#: The breakdown columns of the result tables, in order.
BREAKDOWN_COLUMNS = ("pool", "tier", "channel")


def split(metric: str) -> tuple[str, dict[str, str]]:
    """``by_pool.added.personal`` → ``("added", {"pool": "personal"})``; a plain metric → ``(metric, {})``."""
    for prefix, (measure, column) in BREAKDOWNS.items():
        if metric.startswith(prefix) and len(metric) > len(prefix):
            return measure, {column: metric.removeprefix(prefix)}
    return metric, {}


#: Units of the measures that are not counts of members (see :func:`unit`).
UNITS = {
    "aov_rmb": "RMB per order",
    "referral_cac_rmb": "RMB per referred member",
    "repurchase_rate": "share",
    "coverage": "share",
    "viral_coefficient": "members joined per member asked",
    "staff_saved_fte": "operators (FTE)",
    "orders": "orders",
    "first_orders": "orders",
    "repeat_orders": "orders",
    "orders_paid_members": "orders",
    "coupons_used": "orders",
    "leads": "leads",
    "leads_declined": "leads",
    "leads_over_capacity": "leads",
    "leads_lost_in_transit": "leads",
    "visits": "visits",
    "unpaid_visits": "visits",
    "broadcasts": "contacts",
    "personal_contacts": "contacts",
    "swap_contacts": "contacts",
    "referral_invitations": "invitations",
    "groups_open": "groups",
    "koc_hosted_groups": "groups",
    "account_bans": "accounts",
    "accounts_banned": "accounts",
    "membership_signups": "memberships",
    "membership_renewals": "memberships",
    "topups": "top-ups",
    "personal_contacts_asked": "contacts",
    "personal_contacts_over_cap": "contacts",
    "personal_contacts_out_of_time": "contacts",
    "group_posts": "posts",
    "group_posts_out_of_time": "posts",
    "staff_hours_used": "hours",
    "staff_hours_top_segment": "hours",
    "staff_hours_available": "hours",
    "staff_operator_days": "operator-days",
    "gmv_per_staff_month_rmb": "RMB per operator-month",
    "personal_contacts_per_staff_day": "contacts per operator-day",
}


def unit(measure: str) -> str:
    """The unit of a measure (the ``measure`` column): ``RMB`` for ``*_rmb``, :data:`UNITS`, else ``members``.

    Flows are per month in the timeseries and over the horizon per replication; stocks are counts at a month end.
    """
    if measure in UNITS:
        return UNITS[measure]
    return "RMB" if measure.endswith("_rmb") else "members"
