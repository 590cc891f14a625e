"""Scenario files: the world a brand operates in and the strategies to compare.

A scenario is a YAML file validated by the frozen pydantic models below
(``extra="forbid"``: an unknown field is an error, not silently ignored).
Every field carries a description with its unit. :func:`load_scenario` turns
a path into a :class:`Scenario` or raises :class:`~privsim.errors.ScenarioError`
naming the file, the field path, the value and what is allowed.

Units: money in RMB (``_rmb``), time in days (``_days``), rates per day or
per year as the name says, shares and probabilities in [0, 1].
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from privsim.base import Model, NonNegative, Positive, Share
from privsim.errors import ScenarioError, format_validation_error
from privsim.incentive import Incentive
from privsim.policies import PolicySpec


class InitialGroup(Model):
    """A block of the member base present on day 0."""

    state: Literal["added", "customer", "silent"] = Field(
        description="State of these members on day 0 (churned members are not part of the base)."
    )
    tier: str = Field(description="Name of their tier; must be one of `tiers[].name`.")
    count: int = Field(ge=0, description="Number of members in this block.")


class Entry(Model):
    """New customers who join on one day, their first purchase made that day."""

    day: int = Field(ge=0, description="Day (0-based) they join and make their first purchase.")
    count: int = Field(ge=0, description="Number of customers joining that day.")


class PurchaseRate(Model):
    """Gamma heterogeneity of the latent purchase rate across members."""

    mean_per_year: Positive = Field(
        4.0, description="Mean latent purchase rate across members, purchases per year, before modulation."
    )
    shape: Positive = Field(
        1.0,
        description="Gamma shape r (dimensionless); smaller = more heterogeneous. "
        "The rate of member i is Gamma(shape, mean/shape).",
    )


class Dropout(Model):
    """Beta heterogeneity of the chance to stop buying after each purchase."""

    mean: Share = Field(0.15, description="Mean chance across members to drop out (turn silent) after a purchase.")
    concentration: Positive = Field(
        4.0, description="Beta a + b (dimensionless); smaller = more heterogeneous. a = mean x concentration."
    )


class OrderValue(Model):
    """Gamma-Gamma heterogeneity of order value (list price, before discounts).

    In the Gamma-Gamma model's terms (Fader, Hardie & Lee 2005): an order is
    Gamma(p, nu_i) with p = 1 / cv_within**2, and nu_i ~ Gamma(q, gamma), so a
    member's mean order value p / nu_i is inverse-gamma across members with
    q = 2 + 1 / cv_across**2 and gamma = mean_rmb * (q - 1) / p.
    """

    mean_rmb: Positive = Field(300.0, description="Mean order value at list price across members, RMB.")
    cv_across_members: NonNegative = Field(
        0.5, description="Coefficient of variation of members' mean order value (dimensionless)."
    )
    cv_within_member: NonNegative = Field(
        0.3, description="Coefficient of variation of one member's orders around their mean (dimensionless)."
    )


class Population(Model):
    """The member base on day 0 and how members differ."""

    initial: tuple[InitialGroup, ...] = Field((), description="Counts of members by state and tier on day 0.")
    entries: tuple[Entry, ...] = Field(
        (),
        description="Customers who join on a given day with their first purchase made that day "
        "(e.g. a brand's real customers on their first-purchase dates, from `privsim fit`).",
    )
    initial_last_purchase_within_days: int = Field(
        180,
        ge=1,
        description="Initial customers and silent members last bought uniformly within this many days before day 0.",
    )
    purchase_rate: PurchaseRate = Field(PurchaseRate(), description="Latent purchase-rate distribution.")
    dropout_after_purchase: Dropout = Field(Dropout(), description="Dropout-chance distribution.")
    order_value: OrderValue = Field(OrderValue(), description="Order-value distribution.")
    gross_margin_share: Share = Field(
        0.5, description="Gross margin at list price: (list price - cost of goods) / list price."
    )


class Trust(Model):
    """Trust in the brand, a number in [0, 1] per member."""

    initial: Share = Field(0.3, description="Trust of a newly added member and of the initial base.")
    reference: Share = Field(0.3, description="Trust at which purchase and dropout are unmodulated.")
    purchase_sensitivity: NonNegative = Field(
        1.5, description="Purchase hazard is multiplied by exp(purchase_sensitivity x (trust - reference))."
    )
    dropout_sensitivity: NonNegative = Field(
        3.0, description="Dropout chance is multiplied by exp(-dropout_sensitivity x (trust - reference)), capped at 1."
    )
    block_sensitivity: NonNegative = Field(
        2.0, description="Blocking chance is multiplied by exp(-block_sensitivity x (trust - reference))."
    )
    gain_per_purchase: Share = Field(
        0.04, description="On each purchase trust moves this share of the way to 1 (a satisfying purchase)."
    )
    gain_per_service_contact: Share = Field(
        0.06, description="On each personal service contact (follow-up, care) trust moves this share of the way to 1."
    )
    loss_per_unwanted_message: Share = Field(
        0.05,
        description="On each broadcast received while fatigue is above `contact.fatigue_threshold`, "
        "trust loses this share of its value (spam).",
    )
    deep_discount_threshold: Share = Field(
        0.25, description="Offers deeper than this share of list price erode trust (over-discounting)."
    )
    loss_per_deep_discount: NonNegative = Field(
        0.3,
        description="On each offer deeper than the threshold, trust loses "
        "min(1, loss x (depth - threshold)) of its value.",
    )


class DiscountResponse(Model):
    """How discounts move purchases now and habituate members later."""

    price_elasticity: NonNegative = Field(
        2.5, description="Purchase hazard is multiplied by (1 - effective discount)^(-price_elasticity)."
    )
    habituation_rate: Share = Field(
        0.3,
        description="On each offer, a member's reference discount moves this share of the way to the offer's depth.",
    )
    habituation_sensitivity: NonNegative = Field(
        4.0,
        description="Purchase hazard is multiplied by "
        "exp(-sensitivity x max(0, reference discount - current discount)): "
        "a member used to discounts buys less at full price.",
    )
    reference_decay_per_day: Share = Field(
        0.005, description="Share of the reference discount forgotten per day without offers."
    )


class Contact(Model):
    """Reminders, fatigue and blocking."""

    reminder_lift: NonNegative = Field(
        0.5, description="Purchase hazard is multiplied by (1 + reminder_lift) while an offer is valid."
    )
    fatigue_per_broadcast: NonNegative = Field(1.0, description="Fatigue added by one broadcast message (units).")
    fatigue_per_personal: NonNegative = Field(
        0.3, description="Fatigue added by one personal contact (message or call) (units)."
    )
    fatigue_half_life_days: Positive = Field(7.0, description="Days for fatigue to halve without contact.")
    fatigue_threshold: NonNegative = Field(
        1.5, description="Fatigue above which a contact can make the member block the account (units)."
    )
    block_prob_per_excess_fatigue: Share = Field(
        0.01,
        description="Chance per contact to block, per unit of fatigue above the threshold (capped at 1), "
        "before trust modulation.",
    )


class CouponResponse(Model):
    """How members use fixed-value coupons ("20 off orders of 200 or more")."""

    topup_prob: Share = Field(
        0.5, description="Chance that an order below a valid coupon's threshold is raised to the threshold."
    )


class IncentiveResponse(Model):
    """How an incentive to add an account (gift, lottery, coupon) raises a channel's add rate."""

    value_scale_rmb: Positive = Field(
        20.0,
        description="Add rate with an incentive of value v: 1 - (1 - add_rate) x exp(-v / value_scale_rmb), RMB.",
    )


class ReferralResponse(Model):
    """Who invites friends and who comes (referral, fission)."""

    invites_per_inviter: NonNegative = Field(
        1.0, description="Mean invitations an eligible member sends per campaign at the reference reward."
    )
    reference_reward_rmb: Positive = Field(50.0, description="Reward value at which members send the mean, RMB.")
    reward_elasticity: NonNegative = Field(
        0.7, description="Invitations scale with (reward value / reference_reward_rmb) ** reward_elasticity."
    )
    trust_sensitivity: NonNegative = Field(
        2.0, description="Invitations scale with exp(trust_sensitivity x (trust - trust.reference))."
    )
    acceptance_rate: Share = Field(0.25, description="Share of invited friends who add an account.")
    fraud_share_physical: Share = Field(
        0.05, description="Share of accepted invitees who are fake when the reward is a physical gift."
    )
    fraud_share_ecard: Share = Field(
        0.3, description="Share of accepted invitees who are fake when the reward is cash-like (e-card, red packet)."
    )
    trust_bonus: Share = Field(
        0.2,
        description="A genuine referred member's initial trust moves this share of the way to 1 (a trusted friend).",
    )
    quality: Positive = Field(1.0, description="Purchase-rate multiplier of genuine referred members.")
    fake_stay_days: int = Field(7, ge=1, description="Days after which a fake invitee deletes the account.")


class SwapResponse(Model):
    """How a partner brand's contacts respond to a brand swap."""

    lottery_join_rate: Share = Field(
        0.04, description="Share of swapped contacts who join for a pure lottery (DIAPER-SWAP-LOTTERY: ~4 %)."
    )
    quality: Positive = Field(0.8, description="Purchase-rate multiplier of members who join through a swap.")


class MembershipResponse(Model):
    """Who buys and renews a paid membership."""

    takeup_at_fair_value: Share = Field(
        0.05,
        description="Chance to buy when offered, when expected yearly savings equal the fee, at reference trust.",
    )
    value_elasticity: NonNegative = Field(
        1.5, description="Take-up scales with (expected savings / fee) ** value_elasticity (capped at 1)."
    )
    trust_sensitivity: NonNegative = Field(
        2.0, description="Take-up and renewal scale with exp(trust_sensitivity x (trust - trust.reference))."
    )
    renewal_at_fair_value: Share = Field(
        0.5, description="Chance to renew at expiry when the year's savings equalled the fee, at reference trust."
    )


class StoredValueResponse(Model):
    """Who prepays and what a balance does."""

    takeup_at_reference_bonus: Share = Field(
        0.05, description="Chance to top up when offered a bonus of the reference share, at reference trust."
    )
    reference_bonus_share: Positive = Field(0.1, description="Bonus as a share of the top-up at the reference.")
    bonus_elasticity: NonNegative = Field(
        1.5, description="Take-up scales with (bonus share / reference) ** bonus_elasticity (capped at 1)."
    )
    trust_sensitivity: NonNegative = Field(
        2.0, description="Take-up scales with exp(trust_sensitivity x (trust - trust.reference))."
    )
    dropout_reduction: Share = Field(
        0.8, description="While a member holds a balance, the dropout chance is multiplied by (1 - dropout_reduction)."
    )


class GroupResponse(Model):
    """What a group's posts do to its members."""

    post_purchase_lift: NonNegative = Field(
        0.3, description="Purchase hazard is multiplied by (1 + lift) on a day the member's group has a post."
    )
    staff_post_trust_gain: Share = Field(
        0.002, description="On a staff post, group members' trust moves this share of the way to 1."
    )
    koc_post_trust_gain: Share = Field(
        0.008, description="On a KOC post (a fellow customer's word), members' trust moves this share of the way to 1."
    )
    fatigue_per_post: NonNegative = Field(0.05, description="Fatigue a group post adds to each member (units).")
    join_prob: Share = Field(0.5, description="Chance a member invited into a group joins it.")


class KocResponse(Model):
    """How KOCs (heavy buyers who host groups) behave."""

    accept_prob: Share = Field(0.5, description="Chance a qualifying member accepts the KOC role when asked.")
    burnout_half_life_days: Positive = Field(
        90.0, description="A KOC's posting activity halves every this many days on the same groups (fatigue)."
    )
    award_recovery_share: Share = Field(
        0.5, description="An award moves a KOC's activity this share of the way back to 1."
    )
    quit_rate_per_year: NonNegative = Field(0.3, description="Hazard that a KOC quits the role, per KOC-year.")


class PromoResponse(Model):
    """Anticipation and stockpiling around dated sales."""

    anticipation_suppression: Share = Field(
        0.5, description="During a sale's pre-warm, contacted members' purchase hazard is multiplied by (1 - s)."
    )
    stockpile_share: NonNegative = Field(
        0.5, description="Orders during a sale are (1 + stockpile_share) times the usual value."
    )
    stockpile_days: int = Field(
        30, ge=0, description="After buying in a sale, the member's purchase hazard is suppressed for this many days."
    )
    stockpile_suppression: Share = Field(
        0.6, description="Hazard multiplier during stockpiling is (1 - stockpile_suppression)."
    )


class VisitResponse(Model):
    """Shop visits (store or mini-program sessions); every order is made on a visit, many visits end unpaid."""

    unprompted_visits_per_order: float = Field(
        1.0,
        ge=1.0,
        allow_inf_nan=False,
        description="A member's chance to visit unprompted on a day is this many times the day's purchase "
        "probability (capped at 1): browsing, of which 1 in this many visits ends in an order. 1 = only "
        "buyers visit.",
    )
    click_prob_per_prompt: Share = Field(
        0.0,
        description="Chance that a member who was contacted that day, or whose group posted, opens the shop "
        "because of it (a visit, paid or not).",
    )


class Behaviour(Model):
    """Member response parameters shared by every strategy of the scenario."""

    trust: Trust = Field(Trust(), description="Trust dynamics and effects.")
    discount: DiscountResponse = Field(DiscountResponse(), description="Discount response and habituation.")
    contact: Contact = Field(Contact(), description="Contact fatigue and blocking.")
    silent_reactivation_prob_per_offer: Share = Field(
        0.01, description="Chance that a silent member who receives an offer starts buying again."
    )
    coupon: CouponResponse = Field(CouponResponse(), description="Fixed-value coupon use.")
    incentive: IncentiveResponse = Field(IncentiveResponse(), description="Add-rate response to incentives.")
    referral: ReferralResponse = Field(ReferralResponse(), description="Referral / fission response.")
    swap: SwapResponse = Field(SwapResponse(), description="Brand-swap response.")
    membership: MembershipResponse = Field(MembershipResponse(), description="Paid-membership response.")
    stored_value: StoredValueResponse = Field(StoredValueResponse(), description="Stored-value response.")
    group: GroupResponse = Field(GroupResponse(), description="Group-post effects.")
    koc: KocResponse = Field(KocResponse(), description="KOC behaviour.")
    promo: PromoResponse = Field(PromoResponse(), description="Sale anticipation and stockpiling.")
    visit: VisitResponse = Field(VisitResponse(), description="Shop visits, paid or not.")
    phone_preference_share: Share = Field(
        0.0, description="Share of new members who prefer phone calls to messages (HAPPIGO-AGE)."
    )


class Lifecycle(Model):
    """The end of a member's need (the child outgrows diapers)."""

    tenure_days: int = Field(ge=1, description="Longest time a member stays in the market after joining, days.")
    spread_share: Share = Field(
        0.5,
        description="A member's remaining need at joining is uniform in [(1 - spread) x tenure, tenure] days; "
        "initial members are uniformly part-way through.",
    )


class Channel(Model):
    """An acquisition channel: where leads come from."""

    name: str = Field(description="Unique channel name, used in results.")
    kind: Literal["package_card", "sms", "store_qr", "paid_traffic", "referral", "other"] = Field(
        "other", description="What the channel is (informative; behaviour comes from the numbers below)."
    )
    leads_per_day: NonNegative = Field(description="Mean leads reached per day (Poisson), contacts/day.")
    cost_per_lead_rmb: NonNegative = Field(0.0, description="Cost of reaching one lead, RMB.")
    add_rate: Share = Field(description="Share of leads who add a brand account without an incentive.")
    quality: Positive = Field(
        1.0, description="Purchase-rate multiplier of members from this channel (1 = population average)."
    )
    incentive: Incentive = Field(
        Incentive(), description="What a lead gets for adding (an `incentives` policy may change it)."
    )
    transit_loss_share: Share = Field(
        0.0,
        description="Share of adds lost in transit before reaching a staff account (e.g. via an official "
        "account, STEAK-TRANSIT).",
    )
    addressable_customers: int | None = Field(
        None,
        ge=1,
        description="Distinct customers the channel can reach (e.g. the shop's high-net-worth buyers). Each "
        "one not yet added is approached leads_per_day / addressable_customers times a day (Poisson), again "
        "until added, so leads fall as the channel is covered; results then carry coverage.<channel>. "
        "None = an unlimited stream of new leads.",
    )


class Account(Model):
    """A kind of contact account members are added to."""

    name: str = Field(description="Unique account-pool name, used in results.")
    kind: Literal["personal_wechat", "wecom", "phone"] = Field(description="Account technology.")
    count: int = Field(ge=0, description="Number of accounts of this kind.")
    daily_add_cap: int = Field(ge=0, description="New members one account can add per day.")
    members_per_account: int = Field(ge=1, description="Most members one account can hold.")
    member_churn_rate_per_year: NonNegative = Field(
        0.05, description="Hazard that a member deletes this kind of account, per member-year."
    )
    cost_per_broadcast_rmb: NonNegative = Field(0.0, description="Cost of one broadcast to one member, RMB.")
    cost_per_personal_contact_rmb: NonNegative = Field(
        0.0, description="Cost of one personal contact (message or call) on top of staff pay, RMB."
    )
    trust_offset: float = Field(
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
    broadcast_reach_per_day: int | None = Field(
        None, ge=0, description="Most members one broadcast day can reach on this pool (moments cap); null = all."
    )


class Staff(Model):
    """The member-operations team."""

    count: int = Field(0, ge=0, description="Operators on the team.")
    cost_per_person_per_month_rmb: NonNegative = Field(12000.0, description="Loaded cost of one operator, RMB/month.")
    personal_contacts_per_person_per_day: int = Field(
        100, ge=0, description="Personal contacts (follow-ups, care) one operator can make per day."
    )
    groups_per_person: int = Field(
        20, ge=1, description="Groups one operator can host; KOC-hosted groups save staff at this rate."
    )


class Tier(Model):
    """A rung of the trust-tier ladder; the first tier is where added members start."""

    name: str = Field(description="Unique tier name.")
    min_purchases: int = Field(0, ge=0, description="Purchases needed (counted since the last demotion) to reach it.")
    min_spend_rmb: NonNegative = Field(0.0, description="List-price spend needed (since the last demotion), RMB.")
    demote_after_inactive_days: int | None = Field(
        None, ge=1, description="Days without a purchase after which a member drops one tier; null = never."
    )
    member_discount: float = Field(
        0.0, ge=0.0, lt=1.0, description="Share off list price on every order, when the strategy grants tier benefits."
    )


class Costs(Model):
    """Costs not tied to members."""

    fixed_per_month_rmb: NonNegative = Field(0.0, description="Other fixed costs (tools, rent), RMB/month.")


class Strategy(Model):
    """A named list of policies run together."""

    name: str = Field(description="Unique strategy name; the first strategy is the baseline of paired differences.")
    description: str = Field("", description="Free text shown in reports.")
    policies: tuple[PolicySpec, ...] = Field((), description="Policies run together, selected by `kind:`.")


class Scenario(Model):
    """A brand's world and the strategies to compare in it."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Short name used in result folder names: letters, digits, '_', '.' and '-' only.",
    )
    description: str = Field("", description="Free text shown in reports.")
    horizon_days: int = Field(ge=1, le=36500, description="Days simulated.")
    start_date: dt.date = Field(dt.date(2025, 1, 1), description="Calendar date of day 0 (months are calendar months).")
    seed: int = Field(0, ge=0, description="Root seed of the run's numpy SeedSequence.")
    replications: int = Field(10, ge=1, description="Independent replications per strategy.")
    population: Population = Field(Population(), description="Member base and heterogeneity.")
    behaviour: Behaviour = Field(Behaviour(), description="Member response parameters.")
    lifecycle: Lifecycle | None = Field(None, description="End of need; null = members never age out.")
    channels: tuple[Channel, ...] = Field((), description="Acquisition channels.")
    accounts: tuple[Account, ...] = Field(
        min_length=1, description="Contact-account pools; new members fill them in the order listed."
    )
    staff: Staff = Field(Staff(), description="Member-operations team.")
    tiers: tuple[Tier, ...] = Field(min_length=1, description="Trust-tier ladder, lowest first.")
    costs: Costs = Field(Costs(), description="Other fixed costs.")
    strategies: tuple[Strategy, ...] = Field(
        min_length=1, description="Strategies compared; the first is the baseline."
    )

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        _unique(self.tiers, "tiers")
        _unique(self.channels, "channels")
        _unique(self.accounts, "accounts")
        _unique(self.strategies, "strategies")
        names = [t.name for t in self.tiers]
        for i, group in enumerate(self.population.initial):
            if group.tier not in names:
                raise _FieldError(
                    ("population", "initial", i, "tier"), group.tier, f"must be one of the tier names {names}"
                )
        for i in range(1, len(self.tiers)):
            lower, upper = self.tiers[i - 1], self.tiers[i]
            for threshold in ("min_purchases", "min_spend_rmb"):
                if getattr(upper, threshold) < getattr(lower, threshold):
                    raise _FieldError(
                        ("tiers", i, threshold),
                        getattr(upper, threshold),
                        f"must not be below {getattr(lower, threshold)}, the {threshold} of the tier under it "
                        f"({lower.name!r})",
                    )
        for i, strategy in enumerate(self.strategies):
            for j, policy in enumerate(strategy.policies):
                for field, value, allowed in policy.check(self, strategy):
                    raise _FieldError(("strategies", i, "policies", j, *field), value, allowed)
        capacity = sum(a.count * a.members_per_account for a in self.accounts)
        base = sum(g.count for g in self.population.initial)
        if base > capacity:
            raise _FieldError(
                ("population", "initial"),
                base,
                f"the initial base must fit the accounts' capacity of {capacity} members "
                "(sum of accounts[].count x members_per_account)",
            )
        entering = sum(e.count for e in self.population.entries)
        if base + entering > capacity:
            raise _FieldError(
                ("population", "entries"),
                entering,
                f"the initial base ({base}) and the entries must fit the accounts' capacity of {capacity} members",
            )
        return self

    def month_of_day(self) -> np.ndarray:
        """Calendar month index (0 = the month of day 0) of each simulated day."""
        months = self._days().astype("datetime64[M]")
        return (months - months[0]).astype(np.int64)

    def month_starts(self) -> np.ndarray:
        """First calendar day of each simulated month (datetime64[M])."""
        return np.unique(self._days().astype("datetime64[M]"))

    def _days(self) -> np.ndarray:
        return np.datetime64(self.start_date, "D") + np.arange(self.horizon_days)

    def strategy(self, name: str) -> Strategy:
        """The strategy called ``name``; ``KeyError`` listing the names if there is none."""
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(f"no strategy {name!r}; the scenario has {[s.name for s in self.strategies]}")


class _FieldError(ValueError):
    """A cross-field check failure that knows its field path (turned into a ScenarioError)."""

    def __init__(self, loc: tuple, value: object, allowed: str) -> None:
        super().__init__(allowed)
        self.loc, self.value, self.allowed = loc, value, allowed


def _unique(items: tuple, field: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.name in seen:
            raise _FieldError((field, i, "name"), item.name, f"must be unique within `{field}`")
        seen.add(item.name)


def scenario_hash(text: str) -> str:
    """SHA-256 of the scenario file's text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_scenario(data: object, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data; raise ScenarioError on bad input."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source, (), None, f"found {found}; a scenario must be a mapping of fields (name:, horizon_days:, ...)"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        cause = _cross_field_cause(err)
        if cause is not None:
            raise ScenarioError(source, cause.loc, cause.value, cause.allowed) from None
        raise format_validation_error(err, source, Scenario) from None


def _cross_field_cause(err: ValidationError) -> _FieldError | None:
    for e in err.errors():
        ctx_error = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _FieldError):
            return ctx_error
    return None


def load_scenario(path: str | Path) -> tuple[Scenario, str]:
    """Read and validate a scenario file; return the scenario and the file's text.

    Raises ScenarioError (one line: file, field path, value, what is allowed).
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, (), None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(source, (), None, "is a directory, expected a scenario .yaml file") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(source, (), None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(source, (), None, f"{where}malformed YAML ({problem})") from None
    return parse_scenario(data, source), text
