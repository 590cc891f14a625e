"""What the brand operates with: the end of need, acquisition channels, account pools, staff, the tier
ladder and fixed costs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from privsim.config.base import (
    MAX_ACCOUNTS,
    Count,
    Days,
    Discount,
    Factor,
    Model,
    MoneyRmb,
    Name,
    Number,
    PerDay,
    PerYear,
    Share,
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


class Account(Model):
    """A kind of contact account members are added to."""

    name: Name = Field(description="Unique account-pool name, used in results.")
    kind: Literal["personal_wechat", "wecom", "phone"] = Field(description="Account technology.")
    count: Count = Field(ge=0, le=MAX_ACCOUNTS, description="Number of accounts of this kind.")
    daily_add_cap: Count = Field(ge=0, description="New members one account can add per day.")
    members_per_account: Count = Field(ge=1, description="Most members one account can hold.")
    member_churn_rate_per_year: PerYear = Field(
        0.05, ge=0.0, description="Hazard that a member deletes this kind of account, per member-year."
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
        description="Chance per add beyond an account's daily cap that the platform bans the account "
        "(its members are lost). Adds go past the cap only when a channel_routing policy pushes them.",
    )
    broadcast_reach_per_day: Count | None = Field(
        None, ge=0, description="Most members one broadcast day can reach on this pool (moments cap); null = all."
    )


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


class Costs(Model):
    """Costs not tied to members."""

    fixed_per_month_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Other fixed costs (tools, rent), RMB/month.")
