"""How members respond, shared by every strategy of a scenario: trust, discounts, contacts, and each lever's
take-up (coupons, incentives, referral, swaps, memberships, stored value, groups, KOCs, promotions, visits)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from privsim.config.base import MIN_RMB, Days, DaysSpan, Factor, Model, MoneyRmb, PerYear, Sensitivity, Share


class Trust(Model):
    """Trust in the brand, a number in [0, 1] per member.

    The defaults are neutral to the population's purchase/dropout process: trust's effects read trust against
    the member's own baseline, a purchase does not raise it, and what contacts add or take away fades back to
    the baseline (half-lives 180 and 365 days). With strategy ``none`` members then buy and drop out as the
    population block's BG/NBD process says.
    """

    initial: Share = Field(0.3, description="Trust of a newly added member and of the initial base.")
    reference: Share = Field(0.3, description="Trust at which purchase and dropout are unmodulated.")
    purchase_sensitivity: Sensitivity = Field(
        1.5, ge=0.0, description="Purchase hazard is multiplied by exp(purchase_sensitivity x (trust - reference))."
    )
    dropout_sensitivity: Sensitivity = Field(
        3.0,
        ge=0.0,
        description="Dropout chance is multiplied by exp(-dropout_sensitivity x (trust - reference)), capped at 1.",
    )
    block_sensitivity: Sensitivity = Field(
        2.0, ge=0.0, description="Blocking chance is multiplied by exp(-block_sensitivity x (trust - reference))."
    )
    gain_per_purchase: Share = Field(
        0.0,
        description="On each purchase trust moves this share of the way to 1 (a satisfying purchase): state "
        "dependence, each purchase making the next more likely. 0 (the default) keeps the population's "
        "purchase/dropout process (BG/NBD) as fitted; a positive value is an explicit assumption.",
    )
    gain_per_service_contact: Share = Field(
        0.06, description="On each personal service contact (follow-up, care) trust moves this share of the way to 1."
    )
    gain_from_service_with_offer: bool = Field(
        False,
        description="Whether a contact its policy marks as service raises trust even when it carries an offer or a "
        "coupon (the policy's label decides); false = only a service contact without an offer or coupon (care, a "
        "service fix) raises trust, the same rule for every policy.",
    )
    loss_per_unwanted_message: Share = Field(
        0.05,
        description="On each broadcast received while fatigue is above `contact.fatigue_threshold`, "
        "trust loses this share of its value (spam).",
    )
    deep_discount_threshold: Share = Field(
        0.25, description="Offers deeper than this share of list price erode trust (over-discounting)."
    )
    loss_per_deep_discount: Factor = Field(
        0.3,
        ge=0.0,
        description="On each offer deeper than the threshold, trust loses "
        "min(1, loss x (depth - threshold)) of its value.",
    )
    half_life_days: DaysSpan | None = Field(
        180.0,
        gt=0.0,
        description="Days for trust above the member's own baseline (`initial` plus its account pool's "
        "`trust_offset`, clipped to [0, 1]) to fall half way back to it without new gains; null = gains never fade.",
    )
    loss_half_life_days: DaysSpan | None = Field(
        365.0,
        gt=0.0,
        description="Days for trust below the member's own baseline to recover half way to it without new "
        "losses; null = losses never heal.",
    )
    effects_relative_to: Literal["reference", "baseline"] = Field(
        "baseline",
        description="What trust's effects (purchase, dropout, blocking, take-ups, invitations) compare trust with: "
        "`reference` = the fixed `reference` trust, so a member whose baseline differs from it (a pool's "
        "`trust_offset`) buys and drops out differently from the start; `baseline` = the member's own baseline "
        "(`initial` plus its pool's offset), so only trust above or below it (gains, a referred friend's bonus, "
        "losses) moves them and, without any, members follow the population's purchase/dropout process.",
    )


class DiscountResponse(Model):
    """How discounts move purchases now and habituate members later."""

    price_elasticity: Sensitivity = Field(
        2.5, ge=0.0, description="Purchase hazard is multiplied by (1 - effective discount)^(-price_elasticity)."
    )
    habituation_rate: Share = Field(
        0.3,
        description="On each offer, a member's reference discount moves this share of the way to the offer's depth.",
    )
    habituation_sensitivity: Sensitivity = Field(
        4.0,
        ge=0.0,
        description="Purchase hazard is multiplied by "
        "exp(-sensitivity x max(0, reference discount - current discount)): "
        "a member used to discounts buys less at full price.",
    )
    reference_decay_per_day: Share = Field(
        0.005, description="Share of the reference discount forgotten per day without offers."
    )
    coupons_count_as_discounts: bool = Field(
        True,
        description="Whether a coupon, at its depth for the member (value / max(threshold, the member's usual "
        "order)), moves the reference discount and, deeper than `trust.deep_discount_threshold`, erodes trust, as "
        "a percent-off offer of that depth does; false = only percent-off offers do.",
    )


class Contact(Model):
    """Reminders, fatigue and blocking."""

    reminder_lift: Factor = Field(
        0.5,
        ge=0.0,
        description="Purchase hazard is multiplied by (1 + reminder_lift) while an offer is valid (at most, when "
        "`offer_lift_depth_scale` is set): the deal effect beyond the price, which `price_elasticity` carries.",
    )
    offer_lift_depth_scale: Share | None = Field(
        0.1,
        gt=0.0,
        description="An offer of depth d (share off list price) lifts the hazard by "
        "reminder_lift x (1 - exp(-d / offer_lift_depth_scale)): growing with depth, saturating; null = every "
        "valid offer lifts by reminder_lift whatever its depth (a 1 % offer as a 30 % one). Default 0.1 "
        "(assumption): half the deal effect at 7 % off, 95 % of it at 30 %.",
    )
    message_lift: Factor = Field(
        0.05,
        ge=0.0,
        description="Purchase hazard is multiplied by (1 + message_lift) on the day of a contact (message, call) "
        "when no offer is valid: a reminder without an offer; 0 = none. Default 0.05 (assumption: small beside "
        "an offer's reminder_lift).",
    )
    fatigue_per_broadcast: Factor = Field(1.0, ge=0.0, description="Fatigue added by one broadcast message (units).")
    fatigue_per_personal: Factor = Field(
        0.3, ge=0.0, description="Fatigue added by one personal contact (message or call) (units)."
    )
    fatigue_half_life_days: DaysSpan = Field(7.0, gt=0.0, description="Days for fatigue to halve without contact.")
    fatigue_threshold: Factor = Field(
        1.5, ge=0.0, description="Fatigue above which a contact can make the member block the account (units)."
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

    value_scale_rmb: MoneyRmb = Field(
        20.0,
        ge=MIN_RMB,
        description="Add rate with an incentive of value v: 1 - (1 - add_rate) x exp(-v / value_scale_rmb), RMB.",
    )


class ReferralResponse(Model):
    """Who invites friends and who comes (referral, fission)."""

    invites_per_inviter: Factor = Field(
        1.0, ge=0.0, description="Mean invitations an eligible member sends per campaign at the reference reward."
    )
    reference_reward_rmb: MoneyRmb = Field(
        50.0, ge=MIN_RMB, description="Reward value at which members send the mean, RMB."
    )
    reward_elasticity: Sensitivity = Field(
        0.7, ge=0.0, description="Invitations scale with (reward value / reference_reward_rmb) ** reward_elasticity."
    )
    trust_sensitivity: Sensitivity = Field(
        2.0, ge=0.0, description="Invitations scale with exp(trust_sensitivity x (trust - trust.reference))."
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
    quality: Factor = Field(1.0, gt=0.0, description="Purchase-rate multiplier of genuine referred members.")
    fake_stay_days: Days = Field(7, ge=1, description="Days after which a fake invitee deletes the account.")
    invitation_value: Literal["declared", "ladder"] = Field(
        "declared",
        description="The reward value that drives invitations: `declared` = the reward's value_rmb whatever its "
        "ladder; `ladder` = value_rmb x the share of the ladder's cost an inviter can expect to reach, "
        "sum_k cost_k P(A >= invites_k) / sum_k cost_k with A ~ Poisson(invites_per_inviter x acceptance_rate) "
        "(equal weights when every step costs 0): a ladder out of reach draws no invitations.",
    )
    reward_joined_only: bool = Field(
        True,
        description="Whether reward steps count only the invitees who were added (fakes included), not those "
        "lost for lack of account room (leads_over_capacity); false = every accepted invitation counts.",
    )
    quality_physical: Factor = Field(
        1.0,
        gt=0.0,
        description="Purchase-rate multiplier, on top of the source's quality, of genuine newcomers who join for "
        "a physical-gift reward (referral invitees, fission joiners of a swap); 1 = no effect.",
    )
    quality_ecard: Factor = Field(
        1.0,
        gt=0.0,
        description="As quality_physical, for a cash-like reward (e-card, red packet): DIAPER-FISSION-CAC says "
        "those fans match clearly worse than physical-gift ones (a value below quality_physical); 1 = no effect.",
    )


class SwapResponse(Model):
    """How a partner brand's contacts respond to a brand swap."""

    lottery_join_rate: Share = Field(
        0.04, description="Share of swapped contacts who join for a pure lottery (DIAPER-SWAP-LOTTERY: ~4 %)."
    )
    quality: Factor = Field(0.8, gt=0.0, description="Purchase-rate multiplier of members who join through a swap.")


class MembershipResponse(Model):
    """Who buys and renews a paid membership."""

    takeup_at_fair_value: Share = Field(
        0.05,
        description="Chance to buy when offered, when expected yearly savings equal the fee, at reference trust.",
    )
    value_elasticity: Sensitivity = Field(
        1.5, ge=0.0, description="Take-up scales with (expected savings / fee) ** value_elasticity (capped at 1)."
    )
    trust_sensitivity: Sensitivity = Field(
        2.0, ge=0.0, description="Take-up and renewal scale with exp(trust_sensitivity x (trust - trust.reference))."
    )
    renewal_at_fair_value: Share = Field(
        0.5, description="Chance to renew at expiry when the year's savings equalled the fee, at reference trust."
    )


class StoredValueResponse(Model):
    """Who prepays and what a balance does."""

    takeup_at_reference_bonus: Share = Field(
        0.05, description="Chance to top up when offered a bonus of the reference share, at reference trust."
    )
    reference_bonus_share: Factor = Field(0.1, ge=0.01, description="Bonus as a share of the top-up at the reference.")
    bonus_elasticity: Sensitivity = Field(
        1.5, ge=0.0, description="Take-up scales with (bonus share / reference) ** bonus_elasticity (capped at 1)."
    )
    trust_sensitivity: Sensitivity = Field(
        2.0, ge=0.0, description="Take-up scales with exp(trust_sensitivity x (trust - trust.reference))."
    )
    dropout_reduction: Share = Field(
        0.8, description="While a member holds a balance, the dropout chance is multiplied by (1 - dropout_reduction)."
    )


class GroupResponse(Model):
    """What a group's posts do to its members."""

    post_purchase_lift: Factor = Field(
        0.3, ge=0.0, description="Purchase hazard is multiplied by (1 + lift) on a day the member's group has a post."
    )
    staff_post_trust_gain: Share = Field(
        0.002, description="On a staff post, group members' trust moves this share of the way to 1."
    )
    koc_post_trust_gain: Share = Field(
        0.008, description="On a KOC post (a fellow customer's word), members' trust moves this share of the way to 1."
    )
    fatigue_per_post: Factor = Field(0.05, ge=0.0, description="Fatigue a group post adds to each member (units).")
    join_prob: Share = Field(0.5, description="Chance a member invited into a group joins it.")


class KocResponse(Model):
    """How KOCs (heavy buyers who host groups) behave."""

    accept_prob: Share = Field(0.5, description="Chance a qualifying member accepts the KOC role when asked.")
    burnout_half_life_days: DaysSpan = Field(
        90.0, gt=0.0, description="A KOC's posting activity halves every this many days on the same groups (fatigue)."
    )
    award_recovery_share: Share = Field(
        0.5, description="An award moves a KOC's activity this share of the way back to 1."
    )
    quit_rate_per_year: PerYear = Field(0.3, ge=0.0, description="Hazard that a KOC quits the role, per KOC-year.")


class PromoResponse(Model):
    """Anticipation and stockpiling around dated sales."""

    anticipation_suppression: Share = Field(
        0.5, description="During a sale's pre-warm, contacted members' purchase hazard is multiplied by (1 - s)."
    )
    stockpile_share: Factor = Field(
        0.5, ge=0.0, description="Orders during a sale are (1 + stockpile_share) times the usual value."
    )
    stockpile_days: Days = Field(
        30, ge=0, description="After buying in a sale, the member's purchase hazard is suppressed for this many days."
    )
    stockpile_suppression: Share = Field(
        0.6, description="Hazard multiplier during stockpiling is (1 - stockpile_suppression)."
    )


class VisitResponse(Model):
    """Shop visits (store or mini-program sessions); every order is made on a visit, many visits end unpaid."""

    unprompted_visits_per_order: Factor = Field(
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


class ReturnResponse(Model):
    """Who returns or cancels an order: a base chance, rising with the days of delivery beyond what members
    accept.

    An order delivered in ``d`` days is returned (or cancelled) with
    ``p(d) = 1 - (1 - base_prob) x exp(-delay_hazard_per_day x max(0, d - patient_days))``.
    Both at 0 (the default) = returns off: no order is returned and no extra random number is drawn.
    """

    base_prob: Share = Field(
        0.0, description="Chance an order delivered within patient_days is returned (fit, change of mind)."
    )
    patient_days: DaysSpan = Field(3.0, ge=0.0, description="Delivery time members accept without impatience, days.")
    delay_hazard_per_day: Factor = Field(
        0.0,
        ge=0.0,
        description="Return hazard added by each day of delivery beyond patient_days, per day (see the formula).",
    )

    @property
    def enabled(self) -> bool:
        """Whether any order can be returned."""
        return self.base_prob > 0.0 or self.delay_hazard_per_day > 0.0


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
    returns: ReturnResponse = Field(ReturnResponse(), description="Returns and cancellations; off by default.")
