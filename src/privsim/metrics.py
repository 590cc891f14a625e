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
gmv_list_rmb
    Value of all orders at list price, before any discount.
discounts_rmb
    List value minus price paid: percent-off offers and the policies' standing
    discounts (tier member discounts, the paid membership's discount), coupons,
    and the bonus share of stored value spent.
gmv_rmb
    GMV as paid (成交), what customers paid: each order's list value minus
    every discount on it (percent-off offer, standing discount, coupon,
    stored-value bonus), so ``gmv_rmb = gmv_list_rmb - discounts_rmb`` month
    by month. Balance spent counts as paid at its cash share (the cash came
    in at the top-up; the bonus share is a discount).
cogs_rmb
    Cost of goods: ``gmv_list_rmb * (1 - gross_margin_share)``.
gross_margin_rmb
    ``gmv_rmb - cogs_rmb``.
acquisition_cost_rmb
    ``leads x cost_per_lead_rmb`` summed over channels.
incentive_cost_rmb
    Gifts and lottery prizes paid to leads who joined (coupon incentives are
    discounts when used).
leads_lost_in_transit
    Leads who added but were lost before reaching a staff account (the
    channel's fixed ``transit_loss_share``).
leads_lost_in_holding
    Leads lost while waiting on the holding pool (an account pool with
    ``holding: true``, STEAK-TRANSIT): each day every waiting lead is lost
    with chance ``1 - exp(-holding_loss_rate_per_day)``. Over the horizon,
    ``leads = added (acquisition channels) + leads_declined + leads_over_capacity
    + leads_lost_in_transit + leads_lost_in_holding + leads_waiting`` at the end
    (without referrals or swaps, whose overflow also counts as over capacity).
coupons_used
    Orders on which a fixed-value coupon was redeemed.
referral_asked, referral_inviters, referral_invitations
    Members asked to invite friends; those who sent at least one invitation;
    invitations sent.
referral_joined, referral_fake
    Genuine and fake invitees who joined (fakes never buy and delete the
    account after ``behaviour.referral.fake_stay_days``).
referral_reward_cost_rmb
    Reward steps reached by inviters (fakes count: that is the fraud), each step paid once per
    campaign, counting every accepted invitation or, with
    ``behaviour.referral.reward_joined_only``, only the invitees added (not those lost for lack of room).
swap_contacts, swap_joined, swap_fake
    New contacts received in brand swaps; genuine and fake ones who joined
    (lottery or fission task; the friends fission joiners invite count as referrals).
swap_friends_joined
    Of ``referral_joined``, the genuine friends that a swap's fission joiners invited.
membership_signups, membership_renewals
    Paid memberships bought and renewed.
membership_fees_rmb
    Fees received for paid memberships (revenue), booked in full on the day
    a membership is bought or renewed.
membership_fees_earned_rmb
    The same fees recognised over each membership's life: a membership of
    ``duration_days`` bought or renewed on day s for ``fee`` earns
    ``fee x (days of s .. s + duration_days - 1 in the month) /
    duration_days`` in each month. Days past the horizon are not earned
    within it (at the end, ``membership_fees_rmb - membership_fees_earned_rmb``
    summed over the horizon is the deferred revenue of the memberships still
    running); a member who churns keeps its paid period, so its fee is still
    earned over it. Cumulatively never above ``membership_fees_rmb``; equal to it
    once every membership has ended.
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
    so ``gmv_rmb + fees - (cogs + all COSTS) = gmv_list_rmb - discounts + fees - (cogs + all COSTS) = profit``.
    With ``costs.membership_fee_recognition: over_term`` the fees are ``membership_fees_earned_rmb``
    instead of ``membership_fees_rmb`` (and likewise in ``profit_net_of_returns_rmb`` and
    ``profit_plus_end_base_rmb``).
aov_rmb
    ``gmv_rmb / orders`` (as paid; NaN in a month without orders).
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
churned_lost, churned_ended, churned_fake
    The same members split by what they were: ``churned_lost`` genuine
    members who blocked, deleted the account or whose account was banned
    (lost to the brand: the operations can move it); ``churned_ended``
    genuine members whose need ended (lifecycle: no operation keeps them);
    ``churned_fake`` fake invitees and fake swap joiners who left, for any
    reason (mostly ``deleted`` after ``behaviour.referral.fake_stay_days``).
    Each month ``churned_lost + churned_ended + churned_fake = churned_blocked
    + churned_deleted + churned_lifecycle + churned_banned``.
returns
    Orders returned or cancelled (only when ``behaviour.returns`` is on, see
    :mod:`privsim.sim.returns`: each order's delivery time ``d`` is Gamma with
    mean ``delivery.mean_days``, or ``delivery.priority_mean_days`` for a tier
    with ``priority_shipping``, and shape ``delivery.shape``; it comes back
    with ``1 - (1 - base_prob) x exp(-delay_hazard_per_day x max(0, d -
    patient_days))``), booked in the month of day ``order day + ceil(d) +
    delivery.return_window_days``, so a month's returns may come from the
    previous month's orders; cumulatively, returns never exceed orders.
    Returns due after the horizon are not booked. The orders, ``gmv_list_rmb``,
    ``discounts_rmb``, ``gmv_rmb``, ``cogs_rmb`` and ``profit_rmb`` above
    count every order placed, returned or not (gross of returns); a returned
    order never counts toward tier progress or paid-membership savings.
returned_gmv_list_rmb
    List value of the returned orders (``gmv_list_rmb`` they had added).
refunds_rmb
    What the returned orders had added to ``gmv_rmb``, paid back: list value
    minus their discounts (cash, and stored value at its cash share).
stored_value_refunded_rmb
    Of the refunds, the stored value (bonus included) the orders had used,
    put back on the members' balances.
returned_cogs_rmb
    Cost of the returned goods, back in stock: ``returned_gmv_list_rmb x (1 - gross_margin_share)``.
gmv_net_of_returns_rmb
    ``gmv_rmb - refunds_rmb``: GMV as paid, less what was paid back for returns.
gmv_list_net_of_returns_rmb
    ``gmv_list_rmb - returned_gmv_list_rmb``.
profit_net_of_returns_rmb
    ``profit_rmb - refunds_rmb + returned_cogs_rmb``: a returned order's gross
    margin is lost, its goods are restocked (no reverse-logistics cost).

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
    ``gmv_rmb / (staff_operator_days x 12 / 365)``: GMV as paid per operator-month
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
by_tier.gmv_list_rmb.<tier>
    ``gmv_list_rmb`` of orders by members of the tier at the time of the order.
by_tier.returned_gmv_list_rmb.<tier>
    ``returned_gmv_list_rmb`` of orders by members of the tier at the time of the order.
orders_paid_members, gmv_paid_members_rmb
    Orders and GMV at list price (as ``gmv_list_rmb``) of members whose paid
    membership was valid that day.

Month-end stocks (at the end of the month's last simulated day)
----------------------------------------------------------------
members_added, members_customer, members_silent, members_churned
    Members in each state.
members_lost, members_ended, members_fake_gone
    Of ``members_churned``, the genuine members lost (blocked, deleted,
    banned), the genuine members whose need ended, and the fakes: the
    cumulative sums of ``churned_lost``, ``churned_ended`` and
    ``churned_fake``, which add up to ``members_churned``.
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
by_pool.accounts_open.<pool>
    Accounts of the pool open at the month end and not banned: its ``count``
    accounts and those of its ``additions`` whose day has come (a holding
    pool's accounts too).
leads_waiting
    Leads who added the holding pool's account and wait there for room on a
    staff account (0 without a holding pool).
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
    ``referral_reward_cost_rmb / referral_joined``: reward cost per genuine
    (not fake) referred member who joined, swap friends included (NaN
    without any). The rewards are counted on accepted invitations, so the
    numerator includes rewards reached through fakes and through invitees
    who found no room (``leads_over_capacity``); the denominator does not.
viral_coefficient
    ``referral_joined / referral_asked``: genuine new members per member asked to invite.

end_base_value_rmb
    The base left at the end of the horizon, valued by the model: the expected
    gross margin over the next 365 days
    (``privsim.sim.ledger.BASE_VALUE_HORIZON_DAYS``) of the members who may
    buy (added or customer; silent and churned members count 0), each left
    to its own purchase and dropout process, without offers, posts or
    other operator action. Member i buys on a day with
    ``q_i = 1 - exp(-rate_i x exp(s_T (trust_i - T_ref)))`` (its latent
    rate at its end trust, no discount, reference discount decayed to 0)
    and turns silent after a repeat purchase with
    ``d_i = min(1, dropout_i x exp(-s_D (trust_i - T_ref)))``, both held
    constant (a stored-value balance's dropout reduction is left out); it
    can buy for ``m_i = min(365, c_i - T + 1)`` more days (T = horizon_days), c_i
    its known day of leaving (lifecycle end or account deletion; account
    bans are not foreseen). With ``G(y, m) = (1 - (1 - y)^m) / y`` (m at
    y = 0), its expected orders are ``q G(q d, m)`` for a customer and
    ``q G(q, m) + q (G(q d, m) - G(q, m)) / (1 - d)`` for a member who has
    not bought (a first purchase never makes it silent; d capped at
    1 - 1e-6 there): the discrete-day
    BG/NBD ``E[X(t) | lambda, p]`` (``privsim.behaviour.expected_purchases``).
    Value: ``sum_i E[orders_i] x order_value_mean_i x gross_margin_share``
    (list price, before discounts and operating costs). A model-side
    valuation from each member's latent traits, which a brand cannot
    observe: use it to compare strategies, not as a forecast. The base's
    size is ``members_reachable`` and ``active_members``.
profit_plus_end_base_rmb
    ``profit_rmb`` over the horizon + ``end_base_value_rmb`` at its end: an
    objective that a strategy cannot win by running the base down.

repurchase_rate
    Share of every member who had bought by the end of day
    ``D = horizon_days - 366`` (first purchase on or before D; the day-0
    base's history counts), churned or not, who bought again within the
    following 365 days (days D+1 .. D+365). Members churned by day D count as
    not repurchasing (a churned member never buys), so a strategy cannot
    raise it by losing buyers; those who bought again and then churned count
    as repurchasing. ``repurchase_rate = repurchase_rate_retained x
    (customers on day D) / (buyers by day D)``, at most
    ``repurchase_rate_retained``. NaN when ``horizon_days < 366`` or nobody
    had bought by day D.
repurchase_rate_retained
    The retained-only repurchase rate: share of the members who were
    customers at the end of day D (at least one purchase, not churned) who
    bought again in days D+1 .. D+365. Its base leaves out the buyers churned
    by day D, so a strategy that loses buyers before D can raise it. Members
    who churned in the window without buying again count as not
    repurchasing; those who bought again and then churned count as
    repurchasing. NaN when ``horizon_days < 366`` or there were no
    customers on day D.

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
#: The shortest horizon with a repurchase rate: the buyers by day ``horizon_days - 366`` (day 0 or later).
REPURCHASE_MIN_HORIZON_DAYS = 366


def why_not_available(metric: str, horizon_days: int | None) -> str:
    """Why ``metric`` has no value (NaN) in a run of ``horizon_days`` days, for a note beside its ``n/a``."""
    if metric in ("repurchase_rate", "repurchase_rate_retained"):
        name = "the repurchase rate" if metric == "repurchase_rate" else "the retained-only repurchase rate"
        base = "buyers by" if metric == "repurchase_rate" else "customers on"
        if horizon_days is not None and horizon_days < REPURCHASE_MIN_HORIZON_DAYS:
            return (
                f"{name} needs a horizon of {REPURCHASE_MIN_HORIZON_DAYS} days or more (the {base} one day, "
                f"then the 365 days after it); this run has {horizon_days} days"
            )
        return f"{name} has no {base} the day its 365-day window starts"
    return f"{HEADLINE.get(metric, metric)} has no value in any replication"


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
    "by_tier.gmv_list_rmb.": ("gmv_list_rmb", "tier"),
    "by_tier.returned_gmv_list_rmb.": ("returned_gmv_list_rmb", "tier"),
    "tier.": ("members_reachable", "tier"),
    "leads.": ("leads", "channel"),
    "added.": ("added", "channel"),
    "first_orders.": ("first_orders", "channel"),
    "repeat_orders.": ("repeat_orders", "channel"),
    "coverage.": ("coverage", "channel"),
    "by_pool.accounts_open.": ("accounts_open", "pool"),
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
    "repurchase_rate_retained": "share",
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
    "returns": "orders",
    "leads_lost_in_holding": "leads",
    "leads_waiting": "leads",
    "accounts_open": "accounts",
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
