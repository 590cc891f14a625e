"""What the brand operates with: the end of need, acquisition channels, account pools, staff, the tier
ladder and fixed costs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from privsim.config.base import (
    MAX_ACCOUNTS,
    MAX_TIERS,
    Count,
    Days,
    DaysSpan,
    Discount,
    Factor,
    Minutes,
    Model,
    MoneyRmb,
    Name,
    Number,
    PerDay,
    PerYear,
    Share,
    WholeNumber,
)
from privsim.config.incentive import Incentive


class Lifecycle(Model):
    """The end of a member's need (the child outgrows diapers)."""

    tenure_days: Days = Field(ge=1, description="Longest time a member stays in the market after joining, days.")
    spread_share: Share = Field(
        0.5,
        description="A member's remaining need at joining is uniform in [(1 - spread) x tenure, tenure] days; "
        "initial members are uniformly part-way through.",
    )


class Channel(Model):
    """An acquisition channel: where leads come from."""

    name: Name = Field(description="Unique channel name, used in results.")
    kind: Literal["package_card", "sms", "store_qr", "paid_traffic", "referral", "other"] = Field(
        "other", description="What the channel is (informative; behaviour comes from the numbers below)."
    )
    leads_per_day: PerDay = Field(ge=0.0, description="Mean leads reached per day (Poisson), contacts/day.")
    cost_per_lead_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Cost of reaching one lead, RMB.")
    add_rate: Share = Field(description="Share of leads who add a brand account without an incentive.")
    quality: Factor = Field(
        1.0, gt=0.0, description="Purchase-rate multiplier of members from this channel (1 = population average)."
    )
    incentive: Incentive = Field(
        Incentive(), description="What a lead gets for adding (an `incentives` policy may change it)."
    )
    transit_loss_share: Share = Field(
        0.0,
        description="Share of adds lost in transit before reaching a staff account (e.g. via an official "
        "account, STEAK-TRANSIT).",
    )
    addressable_customers: Count | None = Field(
        None,
        ge=1,
        description="Distinct customers the channel can reach (e.g. the shop's high-net-worth buyers). Each "
        "one not yet added is approached leads_per_day / addressable_customers times a day (Poisson), again "
        "until added, so leads fall as the channel is covered; results then carry coverage.<channel>. "
        "None = an unlimited stream of new leads.",
    )


class AccountAddition(Model):
    """Accounts that open during the run (bought or newly nurtured accounts, new WeCom seats)."""

    day: Days | None = Field(None, ge=0, description="Day (0-based) the accounts open; give this or `date`.")
    date: dt.date | None = Field(
        None, description="Calendar date the accounts open (on or after start_date); give this or `day`."
    )
    count: Count = Field(ge=1, le=MAX_ACCOUNTS, description="Accounts that open that day.")

    def day_index(self, start_date: dt.date) -> int:
        """The 0-based day the accounts open, for a run that starts on ``start_date``."""
        if self.date is not None:
            return (self.date - start_date).days
        assert self.day is not None, "ScenarioBase checks that an addition has a day or a date"
        return self.day


class Account(Model):
    """A kind of contact account members are added to (or, with ``holding``, where leads wait)."""

    name: Name = Field(description="Unique account-pool name, used in results.")
    kind: Literal["personal_wechat", "wecom", "phone"] = Field(description="Account technology.")
    count: Count = Field(ge=0, le=MAX_ACCOUNTS, description="Number of accounts of this kind.")
    daily_add_cap: Count = Field(ge=0, description="New members one account can add per day.")
    members_per_account: Count = Field(ge=1, description="Most members one account can hold.")
    member_churn_rate_per_year: PerYear = Field(
        0.0,
        ge=0.0,
        description="Hazard that a member deletes this kind of account, per member-year; 0 (the default) = only "
        "the population's dropout and the contacts' blocking end a membership (a case states its own rate).",
    )
    cost_per_broadcast_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Cost of one broadcast to one member, RMB.")
    cost_per_personal_contact_rmb: MoneyRmb = Field(
        0.0, ge=0.0, description="Cost of one personal contact (message or call) on top of staff pay, RMB."
    )
    trust_offset: Number = Field(
        0.0,
        ge=-1.0,
        le=1.0,
        description="Added to a new member's initial trust on this kind of account (e.g. WeCom feels distant), "
        "clipped to [0, 1].",
    )
    ban_prob_per_excess_add: Share = Field(
        0.0,
        description="Chance per add beyond an account's daily cap (today's cap: ramped for a young account, see "
        "ramp_up_days) that the platform bans the account (its members are lost): a day with k excess adds bans "
        "it with 1 - (1 - p)^k. Adds go past the cap only when a channel_routing policy pushes them.",
    )
    broadcast_reach_per_day: Count | None = Field(
        None, ge=0, description="Most members one broadcast day can reach on this pool (moments cap); null = all."
    )
    additions: tuple[AccountAddition, ...] = Field(
        (),
        description="Accounts of this pool that open during the run, each {day or date, count}; `count` above is "
        "the accounts open on day 0. Default: none (the pool never grows). STEAK-ACCOUNT-BAN.",
    )
    ramp_up_days: Days = Field(
        0,
        ge=0,
        description="Days over which an added account's daily add cap ramps up to `daily_add_cap`, linearly from "
        "`initial_add_cap_share` of it on its opening day: cap(age) = floor(daily_add_cap x (s + (1 - s) x "
        "age / ramp_up_days)) for age < ramp_up_days, the full cap after; the `count` accounts have finished "
        "their ramp by day 0. Default 0: no ramp.",
    )
    initial_add_cap_share: Share = Field(
        1.0,
        description="Share of `daily_add_cap` an added account may add on its opening day (s above), in [0, 1]; "
        "used only with ramp_up_days > 0. Default 1.",
    )
    holding: bool = Field(
        False,
        description="The pool is a holding account (an official account) no staff contacts: members are never "
        "placed on it; leads who added but found no room on the staff pools wait on it (at most "
        "count x members_per_account waiting, at most count x daily_add_cap arriving a day) until a staff "
        "account has room, oldest first. At most one pool; a routing policy cannot name it. Default false. "
        "STEAK-TRANSIT.",
    )
    holding_loss_rate_per_day: Factor = Field(
        0.0,
        ge=0.0,
        description="Hazard that a lead waiting on the holding account is lost, per lead-day: each day a "
        "waiting lead is lost with chance 1 - exp(-rate). Only on a holding pool. Default 0, at most 100.",
    )

    def accounts_total(self) -> int:
        """Accounts of the pool over the run: those open on day 0 and every addition."""
        return self.count + sum(a.count for a in self.additions)


class Staff(Model):
    """The member-operations team."""

    count: Count = Field(0, ge=0, description="Operators on the team.")
    cost_per_person_per_month_rmb: MoneyRmb = Field(
        12000.0, ge=0.0, description="Loaded cost of one operator, RMB/month."
    )
    personal_contacts_per_person_per_day: Count = Field(
        100, ge=0, description="Personal contacts (follow-ups, care) one operator can make per day."
    )
    groups_per_person: Count = Field(
        20, ge=1, description="Groups one operator can host; KOC-hosted groups save staff at this rate."
    )
    hours_per_person_per_day: Number | None = Field(
        None,
        gt=0.0,
        le=24.0,
        description="Hours one operator works on members per day (personal contacts and group posts), in "
        "(0, 24]; null (default) = unlimited: staff time limits nothing, only the personal-contact cap does.",
    )
    minutes_per_personal_contact: Minutes = Field(
        5.0, description="Staff minutes one personal contact takes (a message, an offer), 0-1440."
    )
    minutes_per_service_contact: Minutes = Field(
        10.0, description="Staff minutes one personal service contact takes (a follow-up, a fix, care advice), 0-1440."
    )
    minutes_per_group_post: Minutes = Field(
        15.0, description="Staff minutes one post in a staff-hosted group takes, 0-1440."
    )
    minutes_saved_per_koc_post: Minutes = Field(
        15.0,
        description="Staff minutes a post in a KOC-hosted group saves against a staff post, 0 to "
        "minutes_per_group_post (default 15 = all of the default post: a KOC's post costs the staff nothing).",
    )
    top_segment_effort_share: Share = Field(
        0.0,
        description="Share of each day's staff time reserved for personal contacts to the top segment "
        "(STEAK-PARETO: 80 % of the effort on the best 20 %), in [0, 1]; other work may use only the rest. "
        "Needs hours_per_person_per_day. Default 0: nothing reserved.",
    )
    top_segment_tiers: WholeNumber = Field(
        1,
        ge=1,
        le=MAX_TIERS,
        description="The top segment is the members on the highest this-many tier rungs (the operator's own "
        "ranking by purchases and spend), 1 to the number of tiers; default 1 = the top tier.",
    )


class Tier(Model):
    """A rung of the trust-tier ladder; the first tier is where added members start."""

    name: Name = Field(description="Unique tier name.")
    min_purchases: Count = Field(0, ge=0, description="Purchases needed (counted since the last demotion) to reach it.")
    min_spend_rmb: MoneyRmb = Field(0.0, ge=0.0, description="List-price spend needed (since the last demotion), RMB.")
    demote_after_inactive_days: Days | None = Field(
        None, ge=1, description="Days without a purchase after which a member drops one tier; null = never."
    )
    member_discount: Discount = Field(
        0.0, description="Share off list price on every order, when the strategy grants tier benefits."
    )
    priority_shipping: bool = Field(
        False,
        description="Orders of members of this tier ship with priority (delivery.priority_mean_days), in every "
        "strategy: an operation of the brand, like the ladder itself. Matters only when returns are on.",
    )


class Costs(Model):
    """Costs not tied to members."""

    fixed_per_month_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Other fixed costs (tools, rent), RMB/month.")
    membership_fee_recognition: Literal["at_sale", "over_term"] = Field(
        "over_term",
        description="Which paid-membership fees the profit counts: `at_sale` = received (membership_fees_rmb, in "
        "full on the day of sale or renewal); `over_term` = earned over each membership's life "
        "(membership_fees_earned_rmb; the part of a term past the horizon is not profit within it), the default: "
        "revenue recognised as the service is delivered (IFRS 15).",
    )


class Delivery(Model):
    """How long an order takes to arrive, and how long a member may return it afterwards.

    A delivery time is Gamma-distributed with mean ``mean_days`` (or
    ``priority_mean_days`` for a tier with ``priority_shipping``) and shape
    ``shape`` (coefficient of variation ``1 / sqrt(shape)``), continuous,
    in days. It is drawn only when returns are on (``behaviour.returns``):
    otherwise no order is returned and delivery changes nothing. The
    defaults are stated assumptions (a domestic parcel in ~3 days, next-day
    to two-day priority, China's 7-day no-reason return rule), not fitted.
    """

    mean_days: DaysSpan = Field(3.0, gt=0.0, description="Mean delivery time of a standard order, days.")
    priority_mean_days: DaysSpan = Field(
        1.5, gt=0.0, description="Mean delivery time of an order shipped with priority, days."
    )
    shape: Factor = Field(
        4.0, gt=0.0, description="Gamma shape of delivery times (coefficient of variation 1 / sqrt(shape)), > 0."
    )
    return_window_days: Days = Field(
        7,
        ge=0,
        description="Days after delivery in which a member may return an order; a return is booked on "
        "day order + ceil(delivery time) + this.",
    )
