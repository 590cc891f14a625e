"""Pareto/NBD: purchase counts with an exponential lifetime (Schmittlein, Morrison & Colombo 1987).

Likelihood in the Gauss hypergeometric form of Fader & Hardie (2005), "A
note on deriving the Pareto/NBD model and related expressions". Time is in
weeks (see :mod:`privsim.fitting`).

Model, per customer:

- while alive, transactions follow a Poisson process with rate ``lambda``
  per week; ``lambda ~ Gamma(r, rate alpha)`` (``alpha`` in weeks);
- the customer is alive for an exponential time with rate ``mu`` per week
  from the first purchase; ``mu ~ Gamma(s, rate beta)`` (``beta`` in weeks).
  Dropout is in calendar time, not tied to transactions (unlike BG/NBD).

Likelihood of one customer's ``(x, t_x, T)``::

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [ 1 / ((alpha + T)^(r + x) (beta + T)^s) + s / (r + s + x) * (G(t_x) - G(T)) ]

    G(t) = 2F1(r + s + x, s + 1; r + s + x + 1; (alpha - beta) / (alpha + t)) / (alpha + t)^(r + s + x)
                                                                  if alpha >= beta,
    G(t) = 2F1(r + s + x, r + x; r + s + x + 1; (beta - alpha) / (beta + t)) / (beta + t)^(r + s + x)
                                                                  if alpha < beta.

The 2F1 are evaluated after Euler's transformation
``2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)``, which
turns them into ``2F1(1, .; .; z)``, a series of positive terms that is
bounded on ``[0, 1)`` in the first case:

    alpha >= beta:  log G(t) = -(r + x) log(alpha + t) - s log(beta + t) + log 2F1(1, r + x; r + s + x + 1; z)
    alpha <  beta:  log G(t) = (1 - r - x) log(alpha + t) - (s + 1) log(beta + t) + log 2F1(1, s + 1; r + s + x + 1; z)

``G`` depends on a customer only through ``(x, t)``, so it is evaluated
once per distinct pair. Expected repeat transactions of a new customer in
``(0, t]`` weeks::

    E[X(t)] = r beta / (alpha (s - 1)) * [1 - (beta / (beta + t))^(s - 1)]
    (limit s -> 1: r beta / alpha * log(1 + t / beta))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from privsim.fitting.mle import Fit, maximise
from privsim.fitting.orders import CountData

NAMES = ("r", "alpha", "s", "beta")


@dataclass(frozen=True)
class Pairs:
    """Distinct ``(x, t)`` pairs among a data set's ``(x, t_x)`` and ``(x, T)``, with indices back."""

    x: np.ndarray
    t: np.ndarray
    at_t_x: np.ndarray
    at_T: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Pairs:
        x = np.asarray(x, dtype=float)
        n = len(x)
        stacked = np.column_stack([np.concatenate([x, x]), np.concatenate([t_x, T])])
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        return cls(unique[:, 0], unique[:, 1], inverse[:n], inverse[n:])


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, pairs: Pairs | None = None) -> np.ndarray:
    """Log-likelihood of each customer's ``(x, t_x, T)`` (weeks) under ``params = (r, alpha, s, beta)``.

    ``pairs`` (``Pairs.of(x, t_x, T)``) can be passed to avoid recomputing it.
    """
    r, alpha, s, beta = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    T = np.asarray(T, dtype=float)
    pairs = Pairs.of(x, t_x, T) if pairs is None else pairs
    log_g = _log_g(r, alpha, s, beta, pairs.x, pairs.t)
    g_tx, g_T = log_g[pairs.at_t_x], log_g[pairs.at_T]
    with np.errstate(divide="ignore"):
        log_diff = g_tx + np.log(-np.expm1(np.minimum(g_T - g_tx, 0.0)))  # log(G(t_x) - G(T)), -inf when t_x = T
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    second = np.log(s) - np.log(r + s + x) + log_diff
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(first, second)


def _log_g(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``log G(t)`` of the module docstring for each pair ``(x, t)``."""
    c = r + s + x + 1.0
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        return -(r + x) * np.log(alpha + t) - s * np.log(beta + t) + np.log(hyp2f1(1.0, r + x, c, z))
    z = (beta - alpha) / (beta + t)
    return (1.0 - r - x) * np.log(alpha + t) - (s + 1.0) * np.log(beta + t) + np.log(hyp2f1(1.0, s + 1.0, c, z))


def fit(data: CountData, start: tuple[float, float] | None = None) -> Fit:
    """Maximum-likelihood (r, alpha, s, beta) with standard errors.

    ``start`` optionally gives starting ``(r, alpha)`` (e.g. the BG/NBD estimates).
    """
    pairs = Pairs.of(data.x, data.t_x, data.T)
    mean_T = max(float(np.average(data.T, weights=data.weight)), 1.0)
    if start is None:
        rate = max(float(np.average(data.x, weights=data.weight)), 0.05) / mean_T
        start = (1.0, 1.0 / rate)

    def total(theta: np.ndarray) -> float:
        return float(np.dot(data.weight, loglik(theta, data.x, data.t_x, data.T, pairs)))

    return maximise("paretonbd", NAMES, total, (start[0], start[1], 1.0, mean_T), data.n_customers)


def expected_repeat(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``E[X(t)]``: expected repeat transactions of a new customer in its first ``t`` weeks (t >= 0)."""
    r, alpha, s, beta = (float(v) for v in params)
    log_ratio = np.log1p(np.asarray(t, dtype=float) / beta)  # log((beta + t) / beta)
    u = (s - 1.0) * log_ratio
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(u == 0.0, 1.0, -np.expm1(-u) / np.where(u == 0.0, 1.0, u))  # (1 - e^-u) / u
    return r * beta / alpha * log_ratio * shrink
