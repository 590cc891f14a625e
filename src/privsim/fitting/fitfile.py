"""``fit.json``: the fits, the data summary, the periods and the cohort, in one document.

:func:`fit_order_log` runs the whole fit on a cleaned log and returns the
document (a JSON-ready dict); :func:`write_fit` (``privsim fit``) reads an
order-log file, fits it and writes ``fit.json`` and the scenario's
``population.yaml``; :func:`load_fit` reads a ``fit.json`` back, checking it.

Keys (format ``privsim-fit`` version 1):

``input``
    the order file, its SHA-256, the column names and date format used;
``periods``
    ``start`` (first order date = day 0), ``calibration_end``, ``end`` (last
    order date) as ISO dates; ``calibration_end_day`` and ``last_day`` as day
    indices; ``calibration_weeks`` and ``holdout_weeks``;
``data``
    rows read, odd rows (duplicates dropped, zero amounts dropped, same-day
    orders merged), transactions, customers, cohort size, customers new in
    the holdout, repeat transactions in calibration and holdout, customers
    with a repeat transaction, their mean repeat order value (RMB);
``models``
    ``bgnbd``, ``paretonbd``, ``gammagamma`` and, when its q is too small for
    the simulator, ``gammagamma_for_simulator``: each with ``params``,
    ``se`` (standard errors; null when not available), ``loglik``, ``aic``,
    ``n`` (customers fitted) and the optimiser's status;
``best_count_model``
    ``bgnbd`` or ``paretonbd``, the lower AIC;
``simulator``
    ``start_date``, ``horizon_days`` (calibration + holdout) and the
    ``population`` block of :mod:`privsim.fitting.scenario_block`;
``cohort``
    ``first_purchase_day`` and ``count``: the cohort's customers per first-purchase day;
``actual``
    ``repeat_transactions_per_day``: the cohort's repeat transactions on each day 0 .. ``last_day``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

import privsim
from privsim.core.errors import PrivsimError
from privsim.core.io import check_folder, write_files
from privsim.fitting import DAYS_PER_WEEK, bgnbd, gammagamma, paretonbd
from privsim.fitting.mle import Fit
from privsim.fitting.orders import (
    Columns,
    OrderLog,
    OrderLogError,
    Summary,
    parse_calibration_end,
    read_orders,
    summarise,
)
from privsim.fitting.scenario_block import block_yaml, population_block

#: Fewest cohort customers with a repeat transaction the fit accepts.
MIN_REPEATERS = 20
FORMAT = "privsim-fit"
FORMAT_VERSION = 1


def fit_order_log(log: OrderLog, calibration_end_day: int, columns: Columns | None = None) -> dict:
    """Summarise the calibration cohort, fit the three models and return the fit document."""
    columns = Columns() if columns is None else columns
    summary = summarise(log, calibration_end_day)
    x_rep, m_rep = summary.repeaters()
    if len(x_rep) < MIN_REPEATERS:
        raise OrderLogError(
            log.source,
            ("--calibration-end",),
            log.date_of(calibration_end_day).isoformat(),
            f"only {len(x_rep)} customers bought again by then; the fit needs at least {MIN_REPEATERS} "
            "(use a later calibration end or a longer log)",
        )
    counts = summary.counts()
    bg = bgnbd.fit(counts)
    usable = bg.converged and all(np.isfinite(v) for v in bg.se.values())
    pn = paretonbd.fit(counts, start=(bg.params["r"], bg.params["alpha"]) if usable else None)
    gg = gammagamma.fit(x_rep, m_rep)
    gg_sim = gammagamma.fit_for_simulator(x_rep, m_rep, gg)
    models = {"bgnbd": bg, "paretonbd": pn, "gammagamma": gg}
    if gg_sim is not None:
        models["gammagamma_for_simulator"] = gg_sim
    first_days, first_counts = np.unique(summary.first_day, return_counts=True)
    population = population_block(bg.params, (gg_sim or gg).params, first_days, first_counts)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "privsim_version": privsim.__version__,
        "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "input": {
            "file": log.source,
            "sha256": log.sha256,
            "customer_col": columns.customer,
            "date_col": columns.date,
            "amount_col": columns.amount,
            "date_format": columns.date_format,
        },
        "time_unit": "week (7 days)",
        "periods": _periods(log, summary),
        "data": _data_summary(log, summary),
        "models": {name: fit.to_json() for name, fit in models.items()},
        "best_count_model": "paretonbd" if pn.aic < bg.aic else "bgnbd",
        "simulator": {
            "start_date": log.start.isoformat(),
            "horizon_days": log.last_day + 1,
            "population": population,
        },
        "cohort": {"first_purchase_day": first_days.tolist(), "count": first_counts.tolist()},
        "actual": {"repeat_transactions_per_day": summary.repeat_per_day.tolist()},
    }


def write_fit(
    orders_csv: Path, columns: Columns | None = None, calibration_end: str | None = None, out: Path | None = None
) -> tuple[dict, list[Path]]:
    """Fit an order-log file and write ``fit.json`` and ``population.yaml``; return the document and the paths.

    ``calibration_end``: ISO date, default the log's last order date.
    ``out``: the folder (files replaced if present), default ``<ORDERS>-fit``
    beside the file. Every check passes before anything is written.
    """
    columns = Columns() if columns is None else columns
    log = read_orders(orders_csv, columns)
    document = fit_order_log(log, parse_calibration_end(calibration_end, log), columns)
    folder = out if out is not None else orders_csv.with_name(orders_csv.stem + "-fit")
    check_folder(folder)
    block = block_yaml(log.start, document["simulator"]["population"], _block_header(document))
    paths = write_files(
        folder, {"fit.json": json.dumps(document, indent=1, ensure_ascii=False) + "\n", "population.yaml": block}
    )
    return document, paths


def _block_header(document: dict) -> list[str]:
    """The comment lines above the population block: where it comes from and what to set by hand."""
    data, periods = document["data"], document["periods"]
    lines = [
        f"privsim fit {document['input']['file']} (sha256 {document['input']['sha256'][:12]}...):",
        f"BG/NBD + Gamma-Gamma fitted on {data['cohort_customers']:,} customers, calibration "
        f"{periods['start']} .. {periods['calibration_end']}.",
        "Paste into a scenario; set population.initial and gross_margin_share yourself, and a horizon_days",
        f"of at least {document['simulator']['horizon_days']} to cover the log.",
    ]
    if "gammagamma_for_simulator" in document["models"]:
        lines.append(
            f"order_value: the Gamma-Gamma fit had q <= {gammagamma.Q_MIN:.3g}, beyond the simulator's "
            f"cv_across_members <= {gammagamma.CV_ACROSS_MAX:g}; "
            f"this block uses the refit with q = {gammagamma.Q_MIN:.3g}."
        )
    return lines


def _periods(log: OrderLog, summary: Summary) -> dict:
    cal = summary.calibration_end_day
    return {
        "start": log.start.isoformat(),
        "calibration_end": log.date_of(cal).isoformat(),
        "end": log.end.isoformat(),
        "calibration_end_day": cal,
        "last_day": log.last_day,
        "calibration_weeks": (cal + 1) / DAYS_PER_WEEK,
        "holdout_weeks": (log.last_day - cal) / DAYS_PER_WEEK,
    }


def _data_summary(log: OrderLog, summary: Summary) -> dict:
    x_rep, m_rep = summary.repeaters()
    cal = summary.calibration_end_day
    return {
        "rows": log.rows,
        "duplicate_rows_dropped": log.duplicate_rows,
        "zero_amount_rows_dropped": log.zero_amount_rows,
        "same_day_orders_merged": log.merged_orders,
        "transactions": len(log.day),
        "customers": log.customers,
        "cohort_customers": len(summary.x),
        "new_customers_in_holdout": summary.new_in_holdout,
        "repeat_transactions_calibration": int(summary.repeat_per_day[: cal + 1].sum()),
        "repeat_transactions_holdout": int(summary.repeat_per_day[cal + 1 :].sum()),
        "customers_with_repeat": len(x_rep),
        "mean_repeat_value_rmb": float(np.dot(x_rep, m_rep) / x_rep.sum()),
    }


def fits(document: dict) -> dict[str, Fit]:
    """The document's fitted models by name."""
    return {name: Fit.from_json(data) for name, data in document["models"].items()}


def load_fit(path: str | Path) -> dict:
    """Read a ``fit.json`` written by ``privsim fit``; PrivsimError (one line) if it is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PrivsimError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PrivsimError(f"{path}: is a directory, expected a fit.json written by `privsim fit`") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PrivsimError(f"{path}: not a JSON file ({err}); expected a fit.json written by `privsim fit`") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PrivsimError(f'{path}: not a fit.json written by `privsim fit` (no "format": "{FORMAT}")')
    if document.get("format_version") != FORMAT_VERSION:
        raise PrivsimError(
            f"{path}: format_version = {document.get('format_version')} — this privsim reads version {FORMAT_VERSION}"
        )
    missing = [k for k in ("periods", "models", "cohort", "actual", "simulator") if k not in document]
    if missing:
        raise PrivsimError(f"{path}: incomplete fit.json, missing {', '.join(missing)}; run `privsim fit` again")
    return document
