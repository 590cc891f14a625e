"""How members behave: latent traits and their daily modulation.

The core is the "buy till you die" structure that transaction logs fit
(BG/NBD with Gamma-Gamma order values):

- member i has a latent purchase rate ``lambda_i ~ Gamma(r, mean / r)`` per
  day, a chance ``p_i ~ Beta(a, b)`` to drop out (turn silent) after each
  repeat purchase, and a mean order value (inverse-gamma across members)
  around which each order's list value is Gamma-distributed: the
  Gamma-Gamma model, see :class:`privsim.config.population.OrderValue`.

The operator's actions modulate it. On a day, member i's purchase hazard is

    h_i = lambda_i
          * exp(s_T * (trust_i - T_ref))                     trust
          * (1 - e_i) ** (-elasticity)                       price of the offer
          * exp(-s_H * max(0, reference_i - e_i))            habituation
          * promotion lift                                   offer or message today

where ``e_i`` is the effective discount today (a valid offer combined with
the tier's member discount when the strategy grants it), the promotion lift
is :func:`promotion_log_lift`'s (an offer's lift, fixed or growing with its
depth, or a message's reminder), and the purchase probability is
``1 - exp(-h_i)``. Trust also scales dropout (down) and
blocking (down). Trust gains move a share of the way to 1 (:func:`toward_one`),
so each gain is smaller near 1; between events trust may fade toward the
member's own baseline (:func:`trust_keep_per_day`, applied in
:func:`privsim.sim.upkeep.decay`). Each function here is vectorised over the rows it is given;
the sim (:mod:`privsim.sim`) decides which rows and when.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special, stats

from privsim.config.behaviour import Behaviour, ReturnResponse
from privsim.config.incentive import Incentive
from privsim.config.population import Population
from privsim.core.units import DAYS_PER_YEAR


def draw_traits(
    population: Population, n: int, quality: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent traits of ``n`` new members: (rate_per_day, dropout_prob, order_value_mean_rmb).

    Each trait is the inverse CDF of its distribution at one uniform per
    member, so the same members get the same uniforms whatever the
    parameters: a calibration that changes a shape parameter moves each
    member's trait smoothly instead of redrawing the population (common
    random numbers across evaluations). ``quality`` multiplies the purchase
    rate (an acquisition channel's prior).
    """
    u = rng.random((3, n))
    pr = population.purchase_rate
    rate = special.gammaincinv(pr.shape, u[0]) * (pr.mean_per_year / DAYS_PER_YEAR / pr.shape) * quality
    d = population.dropout_after_purchase
    a = max(d.mean * d.concentration, 1e-9)
    b = max((1.0 - d.mean) * d.concentration, 1e-9)
    dropout = special.betaincinv(a, b, u[1])
    ov = population.order_value
    if ov.cv_across_members < 1e-6:
        value_mean = np.full(n, ov.mean_rmb)
    else:  # inverse-gamma: Gamma-Gamma's p / nu, see OrderValue
        q = 2.0 + 1.0 / ov.cv_across_members**2
        value_mean = ov.mean_rmb * (q - 1.0) / np.maximum(special.gammaincinv(q, u[2]), 1e-12)
    return rate.astype(np.float32), dropout.astype(np.float32), value_mean.astype(np.float32)


def _gamma_with_mean_cv(mean: np.ndarray | float, cv: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Gamma draws with the given mean(s) and coefficient of variation (cv < 1e-6: the mean itself)."""
    if cv < 1e-6:
        return np.broadcast_to(np.asarray(mean, dtype=np.float64), (n,)).copy()
    shape = 1.0 / cv**2
    return rng.gamma(shape, np.asarray(mean, dtype=np.float64) / shape, n)


def order_values_rmb(value_mean_rmb: np.ndarray, cv_within: float, rng: np.random.Generator) -> np.ndarray:
    """List value of one order per given member, around each member's mean."""
    return _gamma_with_mean_cv(value_mean_rmb, cv_within, len(value_mean_rmb), rng)


def effective_discount(offer_depth: np.ndarray, member_discount: np.ndarray) -> np.ndarray:
    """Combined share off list price of an offer and a tier discount: 1 - (1 - o)(1 - t)."""
    return 1.0 - (1.0 - offer_depth) * (1.0 - member_discount)


def purchase_probability(
    rate_per_day: np.ndarray,
    trust: np.ndarray,
    discount: np.ndarray,
    reference_discount: np.ndarray,
    promotion_log_lift: np.ndarray | float,
    behaviour: Behaviour,
    extra_log_hazard: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Chance to buy today, ``1 - exp(-h)`` with ``h`` as in the module docstring.

    ``promotion_log_lift`` is the log of today's promotion lift (:func:`promotion_log_lift`).

    ``extra_log_hazard`` adds the world's other effects on the log hazard: a
    group post (+log(1 + lift)), waiting for an announced sale or having
    stocked up in one (+log(1 - suppression)).
    """
    t, dr = behaviour.trust, behaviour.discount
    log_h = t.purchase_sensitivity * (trust - t.reference) + extra_log_hazard
    if dr.price_elasticity:
        log_h -= dr.price_elasticity * np.log1p(-discount)
    log_h -= dr.habituation_sensitivity * np.maximum(reference_discount - discount, 0.0)
    log_h += promotion_log_lift
    probability: np.ndarray = -np.expm1(-rate_per_day * np.exp(log_h))
    return probability


def promotion_log_lift(
    offer_valid: np.ndarray, offer_depth: np.ndarray, contacted_today: np.ndarray, behaviour: Behaviour
) -> np.ndarray:
    """Log of the promotion's multiplier on today's purchase hazard (``behaviour.contact``):

    - an offer or coupon valid today, of depth ``d`` (its share off list price): ``log(1 + L)`` with
      ``L = reminder_lift`` when ``offer_lift_depth_scale`` is null (every offer alike), else
      ``L = reminder_lift x (1 - exp(-d / offer_lift_depth_scale))``, which grows with the depth and
      saturates at ``reminder_lift`` (the deal effect beyond the price itself, which the price elasticity
      carries: promotion lifts rise with depth at a falling rate, Blattberg, Briesch & Fox 1995);
    - no valid offer but a contact today (a message or call without an offer): ``log(1 + message_lift)``;
    - else 0.
    """
    c = behaviour.contact
    if c.offer_lift_depth_scale is None:
        lift = np.where(offer_valid, np.float32(np.log1p(c.reminder_lift)), np.float32(0.0))
    else:
        by_depth = np.log1p(-c.reminder_lift * np.expm1(-offer_depth / c.offer_lift_depth_scale)).astype(np.float32)
        lift = np.where(offer_valid, by_depth, np.float32(0.0))
    if c.message_lift:
        lift = lift + np.where(~offer_valid & contacted_today, np.float32(np.log1p(c.message_lift)), np.float32(0.0))
    return lift


def visit_probability(purchase_prob: np.ndarray, prompted: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Chance to visit the shop today: unprompted browsing or a click on today's contact or group post.

    ``u + (1 - u) * c * prompted`` with ``u = min(1, k * p)``, ``p`` the
    purchase probability, ``k`` = ``unprompted_visits_per_order`` and ``c`` =
    ``click_prob_per_prompt`` (i.e. ``1 - (1 - u) (1 - c prompted)``). Written
    so that it is never below ``p`` and equals it exactly when ``k = 1`` and
    ``c = 0``, also in float32: a member who buys has visited, as the sim
    tests both against the same uniform.
    """
    v = behaviour.visit
    unprompted = np.minimum(v.unprompted_visits_per_order * purchase_prob, 1.0)
    return unprompted + (1.0 - unprompted) * (v.click_prob_per_prompt * prompted)


def coupon_depth(value_rmb: np.ndarray, threshold_rmb: np.ndarray, order_value_mean_rmb: np.ndarray) -> np.ndarray:
    """A coupon's pull on purchases as a share off: value / max(threshold, the member's usual order), below 0.95."""
    depth: np.ndarray = np.minimum(value_rmb / np.maximum(np.maximum(threshold_rmb, order_value_mean_rmb), 1e-9), 0.95)
    return depth


def incentive_add_rate(add_rate: float, incentive: Incentive, behaviour: Behaviour) -> float:
    """Add rate with an incentive of value v: ``1 - (1 - add_rate) * exp(-v / value_scale_rmb)``."""
    if incentive.kind == "none":
        return add_rate
    return 1.0 - (1.0 - add_rate) * float(np.exp(-incentive.value_rmb / behaviour.incentive.value_scale_rmb))


def trust_factor(trust: np.ndarray, sensitivity: float, behaviour: Behaviour) -> np.ndarray:
    """``exp(sensitivity x (trust - trust.reference))``: how trust scales a willingness."""
    return np.exp(sensitivity * (trust - behaviour.trust.reference))


def membership_probability(
    savings_rmb: np.ndarray, fee_rmb: float, trust: np.ndarray, behaviour: Behaviour, renewal: bool = False
) -> np.ndarray:
    """Chance to buy (or renew) a paid membership.

    ``base x min(1, (savings / fee) ** value_elasticity) x trust_factor``, capped at 1,
    where base is ``takeup_at_fair_value`` (or ``renewal_at_fair_value``) and
    savings are expected (or, for a renewal, realised) over one period.
    """
    r = behaviour.membership
    base = r.renewal_at_fair_value if renewal else r.takeup_at_fair_value
    value = np.minimum((np.maximum(savings_rmb, 0.0) / fee_rmb) ** r.value_elasticity, 1.0) if fee_rmb > 0 else 1.0
    return np.minimum(base * value * trust_factor(trust, r.trust_sensitivity, behaviour), 1.0)


def topup_probability(bonus_share: float, trust: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Chance to prepay when offered: ``base x min(1, (bonus share / reference) ** elasticity) x trust_factor``."""
    r = behaviour.stored_value
    value = min((bonus_share / r.reference_bonus_share) ** r.bonus_elasticity, 1.0)
    probability: np.ndarray = np.minimum(
        r.takeup_at_reference_bonus * value * trust_factor(trust, r.trust_sensitivity, behaviour), 1.0
    )
    return probability


def mean_invitations(reward_value_rmb: float, trust: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Mean invitations per asked member: ``invites x (reward / reference) ** elasticity x trust_factor``."""
    r = behaviour.referral
    pull = (reward_value_rmb / r.reference_reward_rmb) ** r.reward_elasticity
    mean: np.ndarray = r.invites_per_inviter * pull * trust_factor(trust, r.trust_sensitivity, behaviour)
    return mean


def ladder_reach_share(steps: Sequence[tuple[int, float]], behaviour: Behaviour) -> float:
    """Share of a reward ladder's cost an inviter can expect to reach: ``sum_k cost_k P(A >= needed_k) /
    sum_k cost_k`` (equal weights when every step costs 0), ``A ~ Poisson(invites_per_inviter x
    acceptance_rate)`` the accepted invitations of an inviter at the reference reward."""
    r = behaviour.referral
    needed = np.array([n for n, _ in steps], dtype=float)
    cost = np.array([c for _, c in steps], dtype=float)
    reach = stats.poisson.sf(needed - 1.0, r.invites_per_inviter * r.acceptance_rate)
    weights = cost if cost.sum() > 0 else np.ones_like(cost)
    return float(np.dot(weights, reach) / weights.sum())


def dropout_probability(dropout_prob: np.ndarray, trust: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Chance to turn silent after a repeat purchase: p * exp(-s_D (trust - T_ref)), capped at 1."""
    t = behaviour.trust
    probability: np.ndarray = np.minimum(dropout_prob * np.exp(-t.dropout_sensitivity * (trust - t.reference)), 1.0)
    return probability


def block_probability(fatigue: np.ndarray, trust: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Chance that a contact makes the member block the account.

    ``min(1, k * max(0, fatigue - threshold)) * exp(-s_B (trust - T_ref))``, capped at 1.
    """
    c, t = behaviour.contact, behaviour.trust
    excess = np.maximum(fatigue - c.fatigue_threshold, 0.0)
    base = np.minimum(c.block_prob_per_excess_fatigue * excess, 1.0)
    probability: np.ndarray = np.minimum(base * np.exp(-t.block_sensitivity * (trust - t.reference)), 1.0)
    return probability


def toward_one(value: np.ndarray, share: float | np.ndarray) -> np.ndarray:
    """Move values in [0, 1] ``share`` of the way to 1 (a trust gain)."""
    return value + share * (1.0 - value)


def deep_discount_trust_loss(depth: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Share of trust lost on receiving an offer of ``depth``: ``min(1, loss x max(0, depth - threshold))``."""
    t = behaviour.trust
    loss: np.ndarray = np.minimum(1.0, t.loss_per_deep_discount * np.maximum(0.0, depth - t.deep_discount_threshold))
    return loss


def trust_keep_per_day(behaviour: Behaviour) -> tuple[float, float]:
    """Factors by which trust above and below a member's baseline is multiplied each day:
    ``2 ** (-1 / half_life_days)`` and ``2 ** (-1 / loss_half_life_days)`` (1 when a half-life is null)."""
    t = behaviour.trust

    def keep(half_life_days: float | None) -> float:
        return 1.0 if half_life_days is None else float(2.0 ** (-1.0 / half_life_days))

    return keep(t.half_life_days), keep(t.loss_half_life_days)


def fatigue_decay_per_day(behaviour: Behaviour) -> float:
    """Factor fatigue is multiplied by each day: 2 ** (-1 / half_life_days)."""
    return float(2.0 ** (-1.0 / behaviour.contact.fatigue_half_life_days))


def expected_purchases(
    purchase_prob: np.ndarray, dropout_prob: np.ndarray, days: np.ndarray, has_bought: np.ndarray
) -> np.ndarray:
    """Expected purchases in the next ``days`` days of members who buy each day with ``purchase_prob`` (q) and,
    after each repeat purchase, turn silent with ``dropout_prob`` (d), both held constant.

    The discrete-day form of BG/NBD's ``E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p``. With
    ``G(y, m) = sum_{k<m} (1 - y)^k = (1 - (1 - y)^m) / y`` (``m`` at ``y = 0``) and ``m = days``:

    - a member who has bought (a customer, alive with chance ``(1 - q d)^k`` on day k): ``q G(q d, m)``;
    - one who has not (whose first purchase cannot make it silent):
      ``q G(q, m) + q (G(q d, m) - G(q, m)) / (1 - d)``, with ``d`` capped at ``1 - 1e-6`` here (the
      limit ``d -> 1`` is continuous).
    """
    q = np.asarray(purchase_prob, dtype=np.float64)
    d = np.minimum(np.asarray(dropout_prob, dtype=np.float64), 1.0 - 1e-6)
    m = np.asarray(days, dtype=np.float64)
    alive = _geometric_sum(q * d, m)
    first = _geometric_sum(q, m)
    expected: np.ndarray = np.where(has_bought, q * alive, q * first + q * (alive - first) / (1.0 - d))
    return expected


def _geometric_sum(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``sum_{k<m} (1 - y)^k`` for ``y`` in [0, 1]: ``-expm1(m log1p(-y)) / y``, ``m`` at ``y = 0``, 0 at ``m = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        total = -np.expm1(m * np.log1p(-y)) / y
    return np.where(m == 0, 0.0, np.where(y > 0, total, m))


def return_probability(delivery_days: np.ndarray, returns: ReturnResponse) -> np.ndarray:
    """Chance an order delivered in ``delivery_days`` is returned or cancelled:
    ``1 - (1 - base_prob) x exp(-delay_hazard_per_day x max(0, delivery_days - patient_days))``."""
    late = np.maximum(0.0, delivery_days - returns.patient_days)
    return 1.0 - (1.0 - returns.base_prob) * np.exp(-returns.delay_hazard_per_day * late)
