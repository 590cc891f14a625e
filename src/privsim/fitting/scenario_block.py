"""The simulator's ``population`` block from a BG/NBD + Gamma-Gamma fit, and a docking scenario.

Conversions from the fitted parameters (weeks, RMB; see
:mod:`privsim.fitting`) to the scenario's fields (:mod:`privsim.scenario`;
a year is 365 days, as in the simulator's ``rate_per_day = mean_per_year / 365``):

``purchase_rate.shape = r``
    the gamma shape of the purchase rate;
``purchase_rate.mean_per_year = r / alpha * 365 / 7``
    ``r / alpha`` is the mean rate per week; the simulator draws
    ``Gamma(shape, rate = 365 shape / mean_per_year) = Gamma(r, rate 7 alpha / 365)``
    per day, which is the fitted ``Gamma(r, rate alpha)`` per week, exactly;
``dropout_after_purchase.mean = a / (a + b)``, ``.concentration = a + b``
    the simulator draws ``Beta(mean x concentration, (1 - mean) x concentration) = Beta(a, b)``,
    applied after repeat purchases only, as in BG/NBD;
``order_value.mean_rmb = p gamma / (q - 1)``, ``.cv_across_members = 1 / sqrt(q - 2)``,
``.cv_within_member = 1 / sqrt(p)``
    the simulator's Gamma-Gamma mapping (see :class:`privsim.config.population.OrderValue`).
    It needs ``q > 2``; with a fit with ``q <= Q_MIN`` the block uses the
    refit with ``q = Q_MIN`` (:func:`privsim.fitting.gammagamma.fit_for_simulator`);
``entries``
    the cohort's customers on their first-purchase days, counted from the
    log's first order date, which becomes the scenario's ``start_date``.

The Pareto/NBD cannot be written as a block: the simulator's dropout is
BG/NBD's (after repeat purchases), so the block always uses the BG/NBD fit.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import yaml

from privsim.fitting import DAYS_PER_WEEK, gammagamma

DAYS_PER_YEAR = 365.0


def population_block(
    bgnbd: dict[str, float], gammagamma_params: dict[str, float], first_days: np.ndarray, counts: np.ndarray
) -> dict:
    """The ``population`` mapping (without ``initial`` or ``gross_margin_share``: the brand sets those)."""
    r, alpha, a, b = bgnbd["r"], bgnbd["alpha"], bgnbd["a"], bgnbd["b"]
    p, q = gammagamma_params["p"], gammagamma_params["q"]
    if q <= 2.0:
        raise ValueError(f"Gamma-Gamma q = {q} must be above 2 for the simulator; use fit_for_simulator")
    return {
        "purchase_rate": {"mean_per_year": r / alpha * DAYS_PER_YEAR / DAYS_PER_WEEK, "shape": r},
        "dropout_after_purchase": {"mean": a / (a + b), "concentration": a + b},
        "order_value": {
            "mean_rmb": gammagamma.mean_value(gammagamma_params),
            "cv_across_members": 1.0 / math.sqrt(q - 2.0),
            "cv_within_member": 1.0 / math.sqrt(p),
        },
        "entries": [{"day": int(d), "count": int(c)} for d, c in zip(first_days, counts, strict=True)],
    }


def block_yaml(start: dt.date, population: dict, header: list[str]) -> str:
    """The block as YAML text: comment ``header`` lines, ``start_date`` and ``population``."""
    body = {k: v for k, v in population.items() if k != "entries"}
    lines = [f"# {line}" for line in header]
    lines.append(f"start_date: {start.isoformat()}  # day 0 of entries[] = the log's first order date")
    lines.append("population:")
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False)
    lines += ["  " + line for line in text.splitlines()]
    lines.append("  entries:  # the fitted customers, joining with their first purchase on that day")
    lines += [f"    - {{day: {e['day']}, count: {e['count']}}}" for e in population["entries"]]
    return "\n".join(lines) + "\n"


def docking_scenario(
    start: dt.date, horizon_days: int, population: dict, *, seed: int = 0, replications: int = 1
) -> dict:
    """A complete scenario (dict) in which only the fitted behaviour acts.

    Members' purchases and dropout are the fitted model's and nothing else:
    the default behaviour (trust's effects relative to each member's own
    baseline, no trust gain per purchase: the BTYD-neutral default of
    :class:`privsim.config.behaviour.Trust`); no discounts, offers or contacts
    (strategy ``none``, one tier without member discount); no acquisition
    channels; one account pool big enough for every entry, with no deletions
    (the default); no lifecycle end.
    """
    members = sum(e["count"] for e in population["entries"])
    return {
        "name": "docking",
        "description": "The fitted customers on their first-purchase dates, neutral behaviour (privsim fit).",
        "horizon_days": int(horizon_days),
        "start_date": start.isoformat(),
        "seed": seed,
        "replications": replications,
        "population": population,
        "lifecycle": None,
        "channels": [],
        "accounts": [
            {
                "name": "all",
                "kind": "wecom",
                "count": 1,
                "daily_add_cap": max(members, 1),
                "members_per_account": max(members, 1),
            }
        ],
        "tiers": [{"name": "customer"}],
        "strategies": [{"name": "none", "policies": [{"kind": "none"}]}],
    }
