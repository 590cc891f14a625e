"""The closed-form likelihoods and expectations of privsim.fitting against brute-force integration.

Each model's likelihood is the individual-level likelihood integrated over
the heterogeneity distributions. Here that integral is done numerically
(scipy.integrate, relative tolerance 1e-10) on a handful of customers and
parameter sets, and compared with the closed forms (absolute difference of
log-likelihoods below 1e-7). The Pareto/NBD sets cover both branches of
its hypergeometric form (alpha > beta, alpha < beta) and alpha = beta.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln

from privsim.fitting import bgnbd, gammagamma, paretonbd

# (x, t_x, T) in weeks: no repeat, one, several, a purchase at the very end, a long silence.
CUSTOMERS = np.array([(0, 0.0, 30.0), (1, 5.0, 30.0), (3, 20.5, 40.0), (7, 12.0, 12.0), (2, 3.0, 50.0)])
TOLERANCE = 1e-7
EPSREL = 1e-9


def _columns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return CUSTOMERS[:, 0], CUSTOMERS[:, 1], CUSTOMERS[:, 2]


def _gamma_pdf(v: float, shape: float, rate: float) -> float:
    return (
        math.exp(shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(v) - rate * v) if v > 0 else 0.0
    )


def _beta_pdf(p: float, a: float, b: float) -> float:
    if not 0 < p < 1:
        return 0.0
    return math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - float(betaln(a, b)))


def _bgnbd_brute(params, x, t_x, T) -> float:
    """log of the integral over lambda ~ Gamma(r, alpha), p ~ Beta(a, b) of the individual likelihood."""
    r, alpha, a, b = params

    def integrand(lam: float, p: float) -> float:
        alive = (1 - p) ** x * lam**x * math.exp(-lam * T)
        dropped = p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x) if x > 0 else 0.0
        return (alive + dropped) * _gamma_pdf(lam, r, alpha) * _beta_pdf(p, a, b)

    value, _ = integrate.dblquad(integrand, 0, 1, 0, np.inf, epsabs=0, epsrel=EPSREL)
    return math.log(value)


def _paretonbd_brute(params, x, t_x, T) -> float:
    """log of the integral over lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta) of the individual likelihood."""
    r, alpha, s, beta = params

    def integrand(lam: float, mu: float) -> float:
        alive = lam**x * math.exp(-(lam + mu) * T)
        died = lam**x * mu / (lam + mu) * (math.exp(-(lam + mu) * t_x) - math.exp(-(lam + mu) * T))
        return (alive + died) * _gamma_pdf(lam, r, alpha) * _gamma_pdf(mu, s, beta)

    value, _ = integrate.dblquad(integrand, 0, np.inf, 0, np.inf, epsabs=0, epsrel=EPSREL)
    return math.log(value)


@pytest.mark.parametrize("params", [(0.5, 8.0, 0.7, 3.5), (1.3, 3.0, 1.5, 0.8)])
def test_bgnbd_loglik_matches_numerical_integration(params):
    x, t_x, T = _columns()
    brute = [_bgnbd_brute(params, *row) for row in CUSTOMERS]
    np.testing.assert_allclose(bgnbd.loglik(params, x, t_x, T), brute, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("params", [(0.5, 8.0, 0.6, 20.0), (1.3, 30.0, 1.5, 2.0), (0.9, 5.0, 1.0, 5.0)])
def test_paretonbd_loglik_matches_numerical_integration(params):
    x, t_x, T = _columns()
    brute = [_paretonbd_brute(params, *row) for row in CUSTOMERS]
    np.testing.assert_allclose(paretonbd.loglik(params, x, t_x, T), brute, rtol=0, atol=TOLERANCE)


def test_gammagamma_loglik_matches_numerical_integration():
    params = (4.0, 6.0, 375.0)
    x = np.array([1.0, 2.0, 5.0, 12.0])
    m = np.array([180.0, 320.5, 290.0, 410.0])
    p, q, gamma = params

    def brute(xi: float, mi: float) -> float:
        # mean of xi Gamma(p, nu) values is Gamma(p xi, rate nu xi); nu ~ Gamma(q, rate gamma)
        def integrand(nu: float) -> float:
            return stats.gamma.pdf(mi, p * xi, scale=1 / (nu * xi)) * stats.gamma.pdf(nu, q, scale=1 / gamma)

        mean = q / gamma  # split at the mean of nu so quad sees the peak
        low, _ = integrate.quad(integrand, 0, mean, epsabs=0, epsrel=1e-11, limit=200)
        high, _ = integrate.quad(integrand, mean, np.inf, epsabs=0, epsrel=1e-11, limit=200)
        return math.log(low + high)

    expected = [brute(xi, mi) for xi, mi in zip(x, m, strict=True)]
    np.testing.assert_allclose(gammagamma.loglik(params, x, m), expected, rtol=0, atol=TOLERANCE)


def _bgnbd_expected_brute(params, t: float) -> float:
    """E[X(t)] = E_p[(1 - (alpha / (alpha + p t))^r) / p]: E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p."""
    r, alpha, a, b = params
    value, _ = integrate.quad(
        lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b), 0, 1, epsabs=0, epsrel=1e-11
    )
    return value


@pytest.mark.parametrize("params", [(0.5, 8.0, 0.7, 3.5), (1.3, 3.0, 1.5, 0.8), (0.8, 6.0, 1.0, 2.0)])
def test_bgnbd_expectation_matches_numerical_integration(params):
    t = np.array([0.5, 4.0, 26.0, 78.0])
    brute = [_bgnbd_expected_brute(params, ti) for ti in t]
    np.testing.assert_allclose(bgnbd.expected_repeat(params, t), brute, rtol=1e-7)
    assert bgnbd.expected_repeat(params, np.array([0.0]))[0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("params", [(0.5, 8.0, 0.6, 20.0), (1.3, 3.0, 1.0, 5.0), (0.9, 5.0, 2.5, 10.0)])
def test_paretonbd_expectation_matches_numerical_integration(params):
    r, alpha, s, beta = params
    t = np.array([0.5, 4.0, 26.0, 78.0])

    def brute(ti: float) -> float:
        # E[X(t) | lambda, mu] = lambda / mu (1 - exp(-mu t)); E[lambda] = r / alpha
        value, _ = integrate.quad(
            lambda mu: -np.expm1(-mu * ti) / mu * stats.gamma.pdf(mu, s, scale=1 / beta), 0, np.inf, epsrel=1e-11
        )
        return r / alpha * value

    np.testing.assert_allclose(paretonbd.expected_repeat(params, t), [brute(ti) for ti in t], rtol=1e-7)
