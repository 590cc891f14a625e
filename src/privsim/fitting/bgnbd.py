"""BG/NBD: purchase counts with dropout after repeat transactions (Fader, Hardie & Lee 2005).

"Counting your customers the easy way: an alternative to the Pareto/NBD
model", Marketing Science 24(2). Time is in weeks (see :mod:`privsim.fitting`).

Model, per customer:

- while alive, transactions follow a Poisson process with rate ``lambda``
  per week; ``lambda ~ Gamma(r, rate alpha)`` across customers (mean
  ``r / alpha`` per week; ``alpha`` in weeks, ``r`` dimensionless);
- right after each *repeat* transaction the customer drops out for good
  with probability ``p``; ``p ~ Beta(a, b)`` across customers (``a``, ``b``
  dimensionless). A customer is alive at least until the first repeat
  transaction.

Likelihood of one customer's ``(x, t_x, T)`` (FHL 2005, eq. 6)::

    L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
      + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))

computed as ``log A1 + log(exp(A3) + [x > 0] exp(A4))`` with logs of gamma
and beta functions. Expected repeat transactions of a new customer in
``(0, t]`` weeks (FHL 2005, eq. 9)::

    E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))]
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1

from privsim.fitting.mle import Fit, maximise
from privsim.fitting.orders import CountData

NAMES = ("r", "alpha", "a", "b")
#: Below this |a - 1| the expectation is the mean of its values at a = 1 -/+ this (the closed form is 0/0 at 1;
#: the error of the mean is of order this squared).
_A_NEAR_ONE = 1e-6


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer's ``(x, t_x, T)`` (weeks) under ``params = (r, alpha, a, b)``."""
    r, alpha, a, b = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    log_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    log_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    log_a4 = np.full_like(log_a3, -np.inf)
    xr = x[repeat]
    log_a4[repeat] = np.log(a) - np.log(b + xr - 1.0) - (r + xr) * np.log(alpha + np.asarray(t_x)[repeat])
    return log_a1 + np.logaddexp(log_a3, log_a4)


def fit(data: CountData) -> Fit:
    """Maximum-likelihood (r, alpha, a, b) with standard errors; see :func:`privsim.fitting.mle.maximise`."""
    rate = max(float(np.average(data.x, weights=data.weight)), 0.05) / max(
        float(np.average(data.T, weights=data.weight)), 1.0
    )
    start = (1.0, 1.0 / rate, 1.0, 3.0)

    def total(theta: np.ndarray) -> float:
        return float(np.dot(data.weight, loglik(theta, data.x, data.t_x, data.T)))

    return maximise("bgnbd", NAMES, total, start, data.n_customers)


def expected_repeat(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``E[X(t)]``: expected repeat transactions of a new customer in its first ``t`` weeks (t >= 0)."""
    r, alpha, a, b = (float(v) for v in params)
    t = np.asarray(t, dtype=float)
    if abs(a - 1.0) < _A_NEAR_ONE:
        return 0.5 * (_expected(r, alpha, 1.0 - _A_NEAR_ONE, b, t) + _expected(r, alpha, 1.0 + _A_NEAR_ONE, b, t))
    return _expected(r, alpha, a, b, t)


def _expected(r: float, alpha: float, a: float, b: float, t: np.ndarray) -> np.ndarray:
    bracket = 1.0 - np.exp(r * np.log(alpha / (alpha + t))) * hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
    return (a + b - 1.0) / (a - 1.0) * bracket
