"""Gamma-Gamma: order values (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves").

Model: each transaction of a customer is ``Gamma(p, rate nu)`` RMB (mean
``p / nu``, cv ``1 / sqrt(p)``), and ``nu ~ Gamma(q, rate gamma)`` across
customers (``gamma`` in RMB; ``p``, ``q`` dimensionless). A customer's mean
transaction value ``p / nu`` is then inverse-gamma across customers with
mean ``p gamma / (q - 1)`` (finite when ``q > 1``) and cv ``1 / sqrt(q - 2)``
(finite when ``q > 2``). Values are assumed independent of the purchase
counts.

Fitted on the cohort customers with ``x > 0`` repeat transactions, from
their mean repeat transaction value ``m`` (the published model uses the
mean, not the individual values). Likelihood of one customer::

    f(m | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q x^(p x) m^(p x - 1) / (gamma + x m)^(p x + q)

(the density of the mean of ``x`` Gamma(p, nu) values, which is
Gamma(p x, rate nu x), integrated over ``nu``).

The simulator needs ``q > 2`` (its ``cv_across_members = 1 / sqrt(q - 2)``).
When the fit gives ``q <= Q_MIN``, :func:`fit_for_simulator` refits with
``q = Q_MIN`` (``cv_across_members = CV_ACROSS_MAX``): the closest model,
in likelihood, that the simulator can run; ``privsim fit`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.special import gammaln

from privsim.fitting.mle import Fit, maximise

NAMES = ("p", "q", "gamma")
#: Largest cv of customers' mean order value written for the simulator.
CV_ACROSS_MAX = 3.0
#: Smallest q written for the simulator: 2 + 1 / CV_ACROSS_MAX^2.
Q_MIN = 2.0 + 1.0 / CV_ACROSS_MAX**2


def loglik(params: np.ndarray | Sequence[float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Log-density of each customer's mean value ``m`` (RMB, > 0) of ``x`` (> 0) transactions."""
    p, q, gamma = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + px * np.log(x)
        + (px - 1.0) * np.log(m)
        - (px + q) * np.log(gamma + x * m)
    )


def fit(x: np.ndarray, m: np.ndarray, q_fixed: float | None = None) -> Fit:
    """Maximum-likelihood (p, q, gamma) from customers' ``x`` (> 0) and mean values ``m`` (RMB).

    With ``q_fixed``, q is held at that value and only (p, gamma) are
    estimated (q's standard error is then NaN).
    """
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    mean, var = float(np.mean(m)), float(np.var(m))
    q0 = 3.0 if q_fixed is None else q_fixed
    p0 = max(mean**2 / max(var, 1e-9 * mean**2), 0.5)
    g0 = mean * (q0 - 1.0) / p0
    if q_fixed is None:
        return maximise("gammagamma", NAMES, lambda theta: float(np.sum(loglik(theta, x, m))), (p0, q0, g0), len(x))

    def total(theta: np.ndarray) -> float:
        return float(np.sum(loglik((theta[0], q_fixed, theta[1]), x, m)))

    two = maximise("gammagamma_q_fixed", ("p", "gamma"), total, (p0, g0), len(x))
    return replace(
        two,
        params={"p": two.params["p"], "q": float(q_fixed), "gamma": two.params["gamma"]},
        se={"p": two.se["p"], "q": float("nan"), "gamma": two.se["gamma"]},
        notes=(*two.notes, f"q fixed at {q_fixed:.4g} (cv_across_members = {CV_ACROSS_MAX:g}), the simulator's limit"),
    )


def fit_for_simulator(x: np.ndarray, m: np.ndarray, free: Fit) -> Fit | None:
    """The refit with ``q = Q_MIN`` when ``free`` has ``q <= Q_MIN`` (None otherwise).

    When the log-likelihood is unimodal in q (the usual case), the best model
    with ``q >= Q_MIN`` then has ``q = Q_MIN``.
    """
    if free.params["q"] > Q_MIN:
        return None
    return fit(x, m, q_fixed=Q_MIN)


def mean_value(params: dict[str, float]) -> float:
    """Mean transaction value across customers, ``p gamma / (q - 1)`` RMB (inf when q <= 1)."""
    p, q, gamma = params["p"], params["q"], params["gamma"]
    return p * gamma / (q - 1.0) if q > 1.0 else float("inf")
