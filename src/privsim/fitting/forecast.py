"""Expected repeat transactions of the fitted cohort, per week, against the actual holdout.

The forecast is the fitted model's analytic expectation for the cohort (the
customers whose first purchase is in the calibration period), given only
their first-purchase days ``d_i``. By the end of day ``D`` (transactions on
day ``D`` included) the cohort's expected cumulative repeat transactions are::

    C(D) = sum_i E[X((D - d_i) / 7)]          (0 for D < d_i)

with ``E[X(t)]`` of the model (:func:`privsim.fitting.bgnbd.expected_repeat`,
:func:`privsim.fitting.paretonbd.expected_repeat`; ``t`` in weeks). This is
what the simulator reproduces when it runs the fitted population block
(the docking check).

Weeks are anchored at the calibration end ``D_c``: week ``k`` covers days
``D_c + 7 (k - 1) + 1`` .. ``D_c + 7 k``, so weeks 1, 2, ... are the holdout
and the forecast, and weeks 0, -1, ... the calibration period (the first
one clipped at day 0).

Holdout errors (when the log extends past the calibration end):

total error
    ``(C(L) - C(D_c)) / A - 1`` in %, with ``A`` the actual repeat
    transactions of the cohort over the whole holdout (days ``D_c + 1`` ..
    ``L``, the last day of the log);
weekly-cumulative MAPE
    the mean over the complete holdout weeks ``k = 1 .. K`` of
    ``|F_k - A_k| / A_k`` in %, with ``F_k = C(D_c + 7 k) - C(D_c)`` and ``A_k``
    the actual repeat transactions from the calibration end to the end of
    week ``k`` (weeks with ``A_k = 0`` are left out).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from privsim.core.io import check_folder, write_files
from privsim.fitting import DAYS_PER_WEEK, bgnbd, paretonbd
from privsim.fitting.fitfile import load_fit

#: Count models forecast, with their expectation functions and labels.
MODELS: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], str]] = {
    "bgnbd": (bgnbd.expected_repeat, "BG/NBD"),
    "paretonbd": (paretonbd.expected_repeat, "Pareto/NBD"),
}


def cumulative_expected(
    expected_repeat: Callable[[np.ndarray], np.ndarray],
    first_days: np.ndarray,
    counts: np.ndarray,
    end_days: np.ndarray,
) -> np.ndarray:
    """``C(D)`` for each ``D`` in ``end_days``: ``expected_repeat(t)`` is ``E[X(t)]`` with ``t`` in weeks."""
    exposure = np.maximum(np.asarray(end_days)[:, None] - np.asarray(first_days)[None, :], 0) / DAYS_PER_WEEK
    return expected_repeat(exposure) @ np.asarray(counts, dtype=float)


@dataclass(frozen=True)
class HoldoutError:
    """Holdout errors of one model (see the module docstring); NaN when not computable."""

    model: str
    expected: float
    actual: float
    total_error_pct: float
    weeks: int
    mape_pct: float


@dataclass(frozen=True)
class Forecast:
    """The weekly table and the holdout errors per model."""

    table: pd.DataFrame
    errors: list[HoldoutError]
    holdout_days: int
    weeks: int


def forecast(document: dict, weeks: int) -> Forecast:
    """The weekly table through ``weeks`` weeks after the calibration end, and the holdout errors.

    Columns of the table: ``week`` (k), ``start``, ``end`` (ISO dates),
    ``period`` (calibration / holdout / forecast; a week is holdout only if
    the log covers all of it), per model ``expected_<model>`` and
    ``cumulative_<model>`` (``C(end)``, since day 0), ``actual`` and
    ``actual_cumulative`` (NaN outside the log or for a week the log covers
    in part).
    """
    periods = document["periods"]
    start = dt.date.fromisoformat(periods["start"])
    cal, last = int(periods["calibration_end_day"]), int(periods["last_day"])
    first_days = np.asarray(document["cohort"]["first_purchase_day"])
    counts = np.asarray(document["cohort"]["count"])
    per_day = np.asarray(document["actual"]["repeat_transactions_per_day"], dtype=float)
    k = np.arange(-(cal // 7), weeks + 1)
    ends = cal + 7 * k
    starts = np.maximum(ends - 6, 0)
    covered = ends <= last
    actual_cum = np.concatenate([[0.0], np.cumsum(per_day)])  # actual_cum[d + 1] = repeats on days 0..d
    table = pd.DataFrame(
        {
            "week": k,
            "start": [(start + dt.timedelta(days=int(d))).isoformat() for d in starts],
            "end": [(start + dt.timedelta(days=int(d))).isoformat() for d in ends],
            "period": np.where(k <= 0, "calibration", np.where(covered, "holdout", "forecast")),
        }
    )
    edges = np.concatenate([[starts[0] - 1], ends])
    errors = []
    for name, (expected_repeat, _) in MODELS.items():
        params = np.array(list(document["models"][name]["params"].values()))
        cum = cumulative_expected(functools.partial(expected_repeat, params), first_days, counts, edges)
        table[f"expected_{name}"] = np.diff(cum)
        table[f"cumulative_{name}"] = cum[1:]
        errors.append(_holdout_error(name, params, expected_repeat, first_days, counts, actual_cum, cal, last))
    actual_end = actual_cum[np.minimum(ends, last) + 1]
    table["actual"] = np.where(covered, actual_end - actual_cum[np.minimum(starts, last + 1)], np.nan)
    table["actual_cumulative"] = np.where(covered, actual_end, np.nan)
    return Forecast(table, errors, last - cal, weeks)


def write_forecast(
    fit_json: Path, weeks: int | None = None, out: Path | None = None
) -> tuple[Forecast, dict, list[Path]]:
    """Forecast a ``fit.json``, write ``forecast.csv`` and ``forecast.png``; return the forecast, the fit, the paths.

    ``weeks`` after the calibration end default to the holdout's (52 without
    one); ``out`` defaults to the folder of ``fit_json``.
    """
    document = load_fit(fit_json)
    folder = out if out is not None else fit_json.parent
    check_folder(folder)
    if weeks is None:
        holdout_days = document["periods"]["last_day"] - document["periods"]["calibration_end_day"]
        weeks = max(1, math.ceil(holdout_days / 7)) if holdout_days > 0 else 52
    result = forecast(document, weeks)
    csv = result.table.to_csv(index=False, lineterminator="\n", float_format="%.6g")
    paths = write_files(folder, {"forecast.csv": csv, "forecast.png": plot(result, document)})
    return result, document, paths


def _holdout_error(
    name: str,
    params: np.ndarray,
    expected_repeat: Callable,
    first_days: np.ndarray,
    counts: np.ndarray,
    actual_cum: np.ndarray,
    cal: int,
    last: int,
) -> HoldoutError:
    if last <= cal:
        return HoldoutError(name, float("nan"), float("nan"), float("nan"), 0, float("nan"))
    complete = (last - cal) // 7
    days = np.concatenate([[cal], cal + 7 * np.arange(1, complete + 1), [last]])
    cum = cumulative_expected(lambda t: expected_repeat(params, t), first_days, counts, days)
    forecast_k = cum[1:-1] - cum[0]
    actual_k = actual_cum[days[1:-1] + 1] - actual_cum[cal + 1]
    expected_total = cum[-1] - cum[0]
    actual_total = actual_cum[last + 1] - actual_cum[cal + 1]
    valid = actual_k > 0
    mape = (
        float(np.mean(np.abs(forecast_k[valid] - actual_k[valid]) / actual_k[valid]) * 100)
        if valid.any()
        else float("nan")
    )
    total = (expected_total / actual_total - 1.0) * 100 if actual_total > 0 else float("nan")
    return HoldoutError(name, float(expected_total), float(actual_total), float(total), int(complete), mape)


def plot(result: Forecast, document: dict) -> bytes:
    """Weekly and cumulative repeat transactions, expected (per model) and actual: a PNG image's bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result.table
    ends = pd.to_datetime(table["end"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for name, (_, label) in MODELS.items():
        top.plot(ends, table[f"expected_{name}"], label=f"{label} expected")
        bottom.plot(ends, table[f"cumulative_{name}"], label=f"{label} expected")
    top.plot(ends, table["actual"], color="black", marker=".", linewidth=1, label="actual")
    bottom.plot(ends, table["actual_cumulative"], color="black", linewidth=1.5, label="actual")
    calibration_end = pd.Timestamp(document["periods"]["calibration_end"])
    for ax in (top, bottom):
        ax.axvline(calibration_end, color="grey", linestyle="--", linewidth=1)
        ax.grid(alpha=0.3)
    top.set_ylabel("repeat transactions per week")
    bottom.set_ylabel("cumulative repeat transactions")
    top.set_title(f"{Path(document['input']['file']).name}: fitted cohort (calibration ends at the dashed line)")
    top.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, dpi=110, format="png")
    plt.close(fig)
    return image.getvalue()
