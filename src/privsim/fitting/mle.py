"""Maximum likelihood on log-parameters, with Hessian-based standard errors.

Every model of this package has positive parameters ``theta_k > lower_k``.
The optimiser works on ``phi_k = log(theta_k - lower_k)`` (unconstrained),
minimising the mean negative log-likelihood per customer with
``scipy.optimize.minimize`` (L-BFGS-B, finite-difference gradient).

Standard errors: the Hessian ``H`` of the *total* negative log-likelihood
in ``phi`` is taken by central finite differences (step ``HESSIAN_STEP`` in
``phi``, i.e. a relative step in ``theta``) at the optimum; the covariance
of ``phi`` is ``H^-1``, and that of ``theta`` is ``J H^-1 J`` with
``J = diag(theta_k - lower_k)``, the Jacobian of ``theta(phi)``. Because the
gradient vanishes at the optimum, this equals the inverse Hessian taken in
``theta`` directly (the delta method is exact here). When ``H`` is not
positive definite (a flat or boundary optimum) the errors are NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

#: Finite-difference step in log-parameters for the Hessian.
HESSIAN_STEP = 1e-4
#: Bounds of the log-parameters (theta - lower within [e^-20, e^20]).
LOG_BOUND = 20.0


@dataclass(frozen=True)
class Fit:
    """A fitted model: estimates, standard errors, log-likelihood.

    ``loglik`` is the total log-likelihood over the ``n`` customers it was
    fitted on; ``aic = 2 k - 2 loglik`` with ``k`` parameters.
    """

    model: str
    params: dict[str, float]
    se: dict[str, float]
    loglik: float
    n: int
    converged: bool
    message: str = ""
    iterations: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def aic(self) -> float:
        return 2.0 * len(self.params) - 2.0 * self.loglik

    def values(self) -> np.ndarray:
        """The parameters as an array, in the model's order."""
        return np.array(list(self.params.values()), dtype=float)

    def to_json(self) -> dict:
        """A JSON-ready dict (NaN standard errors become null)."""
        return {
            "model": self.model,
            "params": dict(self.params),
            "se": {k: (None if not np.isfinite(v) else v) for k, v in self.se.items()},
            "loglik": self.loglik,
            "aic": self.aic,
            "n": self.n,
            "converged": self.converged,
            "message": self.message,
            "iterations": self.iterations,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict) -> Fit:
        """Inverse of :meth:`to_json`."""
        return cls(
            model=data["model"],
            params={k: float(v) for k, v in data["params"].items()},
            se={k: (float("nan") if v is None else float(v)) for k, v in data["se"].items()},
            loglik=float(data["loglik"]),
            n=int(data["n"]),
            converged=bool(data["converged"]),
            message=str(data.get("message", "")),
            iterations=int(data.get("iterations", 0)),
            notes=tuple(data.get("notes", ())),
        )


def maximise(
    model: str,
    names: Sequence[str],
    total_loglik: Callable[[np.ndarray], float],
    start: Sequence[float],
    n: int,
    lower: Sequence[float] | None = None,
) -> Fit:
    """Maximise ``total_loglik(theta)`` over ``theta > lower``; return the :class:`Fit`.

    ``start`` is a starting ``theta``; ``n`` the number of customers (the
    objective is scaled by ``1 / n`` for the optimiser's tolerances).
    """
    lower_arr = np.zeros(len(names)) if lower is None else np.asarray(lower, dtype=float)

    def theta(phi: np.ndarray) -> np.ndarray:
        return lower_arr + np.exp(phi)

    def objective(phi: np.ndarray) -> float:
        with np.errstate(all="ignore"):  # extreme trial points: an infinite or NaN value is rejected below
            value = -total_loglik(theta(phi)) / n
        return value if np.isfinite(value) else 1e300

    phi0 = np.log(np.asarray(start, dtype=float) - lower_arr)
    if objective(phi0) >= 1e300:
        raise ValueError(f"{model}: the log-likelihood is not finite at the start {list(start)}")
    result = minimize(
        objective,
        phi0,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(names),
        options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 1000},
    )
    phi = result.x
    hessian = n * numerical_hessian(objective, phi, HESSIAN_STEP)
    jac = np.exp(phi)
    se = np.full(len(names), np.nan)
    notes: list[str] = []
    try:
        if not np.all(np.abs(hessian) < 1e200):  # a step hit a non-finite log-likelihood
            raise np.linalg.LinAlgError
        cholesky = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        notes.append("Hessian not positive definite: standard errors not available")
    else:
        inv = np.linalg.inv(cholesky)
        se = jac * np.sqrt(np.sum(inv**2, axis=0))
    at_bound = np.abs(phi) >= LOG_BOUND - 1e-6
    for k in np.flatnonzero(at_bound):
        notes.append(f"{names[int(k)]} at the search bound: not identified by these data")
    if not result.success:
        notes.append(f"the optimiser did not converge ({result.message})")
    est = theta(phi)
    return Fit(
        model=model,
        params={k: float(v) for k, v in zip(names, est, strict=True)},
        se={k: float(v) for k, v in zip(names, se, strict=True)},
        loglik=-n * objective(phi),
        n=int(n),
        converged=bool(result.success) and not at_bound.any(),
        message=str(result.message),
        iterations=int(result.nit),
        notes=tuple(notes),
    )


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x`` with step ``h`` in every coordinate.

    Diagonal: ``(f(x+h) - 2 f(x) + f(x-h)) / h^2``; off-diagonal: the
    four-point formula ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h^2)``.
    """
    k = len(x)
    f0 = f(x)
    steps = np.eye(k) * h
    hess = np.empty((k, k))
    for i in range(k):
        hess[i, i] = (f(x + steps[i]) - 2.0 * f0 + f(x - steps[i])) / h**2
        for j in range(i):
            pp = f(x + steps[i] + steps[j])
            pm = f(x + steps[i] - steps[j])
            mp = f(x - steps[i] + steps[j])
            mm = f(x - steps[i] - steps[j])
            hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4.0 * h**2)
    return hess
