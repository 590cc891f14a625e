"""Synthetic order logs with known parameters (BG/NBD or Pareto/NBD counts, Gamma-Gamma values).

Used by the tests, the benchmark and ``scripts/make_orders.py``; no real
data ship with privsim. Time is in weeks (see :mod:`privsim.fitting`).

Each customer ``i``:

- makes a first purchase on day ``d_i``, uniform over the first
  ``acquisition_weeks`` (staggered first purchases), at a uniform time of
  that day;
- draws ``lambda_i ~ Gamma(r, rate alpha)`` per week and then, for
  ``model="bgnbd"``, ``p_i ~ Beta(a, b)``: repeat purchases at the times of a
  Poisson process of rate ``lambda_i``, dropping out right after each
  repeat purchase with probability ``p_i`` (so after a Geometric(p_i)
  number of them); for ``model="paretonbd"``, ``mu_i ~ Gamma(s, rate beta)``:
  repeat purchases until an Exponential(mu_i) lifetime ends;
- draws ``nu_i ~ Gamma(q, rate gamma)``; every order (the first included)
  is ``Gamma(p, rate nu_i)`` RMB, rounded to the fen (0.01).

Purchases happen in continuous time; an order's date is its calendar day,
so two purchases of one customer on one day become two rows with the same
date (``privsim fit`` merges them). Purchases after ``weeks`` are not logged.
Randomness comes from ``numpy.random.default_rng(SeedSequence(seed))``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from privsim.core.io import write_file
from privsim.fitting import DAYS_PER_WEEK


@dataclass(frozen=True)
class TrueParams:
    """Parameters of a synthetic log; ``a, b`` for BG/NBD, ``s, beta`` for Pareto/NBD (weeks, RMB)."""

    r: float = 0.5
    alpha: float = 8.0
    a: float = 0.7
    b: float = 3.5
    s: float = 0.6
    beta: float = 20.0
    p: float = 4.0
    q: float = 6.0
    gamma: float = 375.0


def simulate_orders(
    customers: int,
    weeks: float,
    seed: int,
    params: TrueParams = TrueParams(),
    *,
    model: str = "bgnbd",
    acquisition_weeks: float = 13.0,
    start: dt.date = dt.date(2024, 1, 1),
    duplicate_rows: int = 0,
    zero_amount_rows: int = 0,
) -> pd.DataFrame:
    """An order log: columns ``customer_id`` (text), ``order_date`` (ISO date text), ``amount`` (RMB).

    ``duplicate_rows`` copies of random rows and ``zero_amount_rows`` extra
    zero-amount orders are appended (odd rows ``privsim fit`` reports).
    """
    if model not in ("bgnbd", "paretonbd"):
        raise ValueError(f"model must be 'bgnbd' or 'paretonbd', not {model!r}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    horizon_days = round(weeks * DAYS_PER_WEEK)
    first_day = rng.integers(0, max(1, round(acquisition_weeks * DAYS_PER_WEEK)), customers)
    first_day = np.minimum(first_day, horizon_days - 1)
    time_of_day = rng.uniform(0.0, 1.0, customers)  # first purchase at a uniform time of its day, days
    t0 = (first_day + time_of_day) / DAYS_PER_WEEK
    window = weeks - t0
    lam = rng.gamma(params.r, 1.0 / params.alpha, customers)
    if model == "bgnbd":
        p_drop = rng.beta(params.a, params.b, customers)
        limit = rng.geometric(np.maximum(p_drop, 1e-12))  # repeat purchases until dropout, the last included
    else:
        mu = rng.gamma(params.s, 1.0 / params.beta, customers)
        window = np.minimum(window, rng.exponential(1.0 / mu))
        limit = np.full(customers, np.iinfo(np.int64).max)
    # Poisson process on the window: a Poisson count of uniform times, sorted; keep the first `limit`.
    count = rng.poisson(lam * window)
    owner = np.repeat(np.arange(customers), count)
    times = rng.uniform(0.0, 1.0, owner.size) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    kept = rank < limit[owner]
    owner, times = owner[kept], times[kept]

    who = np.concatenate([np.arange(customers), owner])
    repeat_day = np.floor((t0[owner] + times) * DAYS_PER_WEEK).astype(np.int64)
    day = np.concatenate([first_day, repeat_day])
    keep = day < horizon_days
    who, day = who[keep], day[keep]
    nu = rng.gamma(params.q, 1.0 / params.gamma, customers)
    amount = np.round(rng.gamma(params.p, 1.0 / nu[who]), 2)
    amount = np.maximum(amount, 0.01)  # a positive order rounds to at least one fen
    order = np.lexsort((day, who))
    who, day, amount = who[order], day[order], amount[order]

    if duplicate_rows:
        pick = rng.integers(0, who.size, duplicate_rows)
        who, day, amount = (np.concatenate([v, v[pick]]) for v in (who, day, amount))
    if zero_amount_rows:
        pick = rng.integers(0, who.size, zero_amount_rows)
        who, day = np.concatenate([who, who[pick]]), np.concatenate([day, day[pick]])
        amount = np.concatenate([amount, np.zeros(zero_amount_rows)])
    dates = (np.datetime64(start, "D") + day).astype(str)
    return pd.DataFrame({"customer_id": np.char.add("C", who.astype(str)), "order_date": dates, "amount": amount})


def write_orders(frame: pd.DataFrame, path: str) -> None:
    """Write a log from :func:`simulate_orders` as CSV (amounts with two decimals), atomically."""
    write_file(Path(path), frame.to_csv(index=False, float_format="%.2f", lineterminator="\n"))
