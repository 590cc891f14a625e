"""``privsim fit`` and ``privsim forecast``: plain functions registered on the typer app in :mod:`privsim.cli`.

Bad input prints one line ``error: ...`` on stderr and exits with code 2,
writing nothing; outputs are written atomically (a temporary file in the
target folder, then a rename), after every check has passed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from privsim.core.errors import PrivsimError
from privsim.fitting import fitfile, forecast, gammagamma, orders, scenario_block
from privsim.fitting.mle import Fit

_LABELS = {
    "bgnbd": "BG/NBD",
    "paretonbd": "Pareto/NBD",
    "gammagamma": "Gamma-Gamma",
    "gammagamma_for_simulator": "Gamma-Gamma (q at the simulator's limit)",
}
_UNITS = {
    "r": "",
    "alpha": "weeks",
    "a": "",
    "b": "",
    "s": "",
    "beta": "weeks",
    "p": "",
    "q": "",
    "gamma": "RMB",
}


def fit_command(
    orders_csv: Annotated[
        Path,
        typer.Argument(
            help="Order log CSV with a header, one row per order (customer, date, amount in RMB).",
            metavar="ORDERS.csv",
            show_default=False,
        ),
    ],
    customer_col: Annotated[str, typer.Option("--customer-col", help="Column of the customer id.")] = "customer_id",
    date_col: Annotated[
        str, typer.Option("--date-col", help="Column of the order date (or date and time).")
    ] = "order_date",
    amount_col: Annotated[str, typer.Option("--amount-col", help="Column of the order amount, RMB, >= 0.")] = "amount",
    date_format: Annotated[
        str,
        typer.Option(
            "--date-format",
            help="strftime format of the dates, e.g. %Y/%m/%d or %d.%m.%Y; "
            "ISO8601 accepts 2025-03-01 and 2025-03-01 14:30:00.",
        ),
    ] = "ISO8601",
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end",
            metavar="DATE",
            help="Last day of the calibration period, YYYY-MM-DD; later orders are the holdout "
            "(default: the whole log).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for fit.json and population.yaml, files replaced if present "
            "(default: ORDERS-fit next to the file).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma to an order log; write fit.json and a scenario population block.

    Same-customer same-day orders are merged into one transaction; duplicate
    rows and zero amounts are dropped and reported. Time unit: weeks.

    Example: privsim fit orders.csv --customer-col buyer --date-col paid_at --amount-col amount_rmb
    --calibration-end 2024-12-31
    """
    from privsim.cli import _fail, out_console

    columns = orders.Columns(customer_col, date_col, amount_col, date_format)
    try:
        log = orders.read_orders(orders_csv, columns)
        calibration_day = orders.parse_calibration_end(calibration_end, log)
        document = fitfile.fit_order_log(log, calibration_day, columns)
        folder = out if out is not None else orders_csv.with_name(orders_csv.stem + "-fit")
        _check_folder(folder)
    except PrivsimError as err:
        raise _fail(err) from None
    block = scenario_block.block_yaml(log.start, document["simulator"]["population"], _block_header(document))
    _write_atomically(
        folder,
        {
            "fit.json": json.dumps(document, indent=1, ensure_ascii=False) + "\n",
            "population.yaml": block,
        },
    )
    _print_fit(document, out_console)
    out_console.print(f"Written: {folder / 'fit.json'}, {folder / 'population.yaml'}", highlight=False)


def forecast_command(
    fit_json: Annotated[
        Path, typer.Argument(help="fit.json written by `privsim fit`.", metavar="FIT.json", show_default=False)
    ],
    weeks: Annotated[
        int | None,
        typer.Option(
            "--weeks",
            min=1,
            help="Weeks to forecast after the calibration end (default: the holdout, or 52 without one).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for forecast.csv and forecast.png (default: the folder of FIT.json).", show_default=False
        ),
    ] = None,
) -> None:
    """Expected repeat transactions per week of the fitted customers, against the actual holdout.

    Analytic expectation of the BG/NBD and Pareto/NBD fits for the customers
    of the calibration period, from their first-purchase dates. Prints the
    holdout error: total and weekly-cumulative MAPE.

    Example: privsim forecast orders-fit/fit.json --weeks 26
    """
    from privsim.cli import _fail, out_console

    try:
        document = fitfile.load_fit(fit_json)
        folder = out if out is not None else fit_json.parent
        _check_folder(folder)
    except PrivsimError as err:
        raise _fail(err) from None
    holdout_days = document["periods"]["last_day"] - document["periods"]["calibration_end_day"]
    if weeks is None:
        weeks = max(1, math.ceil(holdout_days / 7)) if holdout_days > 0 else 52
    result = forecast.forecast(document, weeks)
    csv = result.table.to_csv(index=False, lineterminator="\n", float_format="%.6g")
    _write_atomically(folder, {"forecast.csv": csv, "forecast.png": forecast.plot(result, document)})
    _print_forecast(result, document, weeks, out_console)
    out_console.print(f"Written: {folder / 'forecast.csv'}, {folder / 'forecast.png'}", highlight=False)


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise PrivsimError(f"{folder}: exists and is not a folder; choose another --out")


def _write_atomically(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write each file (text as UTF-8) to a temporary name in ``folder``, then rename it into place."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = []
    try:
        for name, content in files.items():
            tmp = folder / f".{name}.tmp-{os.getpid()}"
            tmp.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            temporary.append((tmp, folder / name))
        for tmp, final in temporary:
            os.replace(tmp, final)
    finally:
        for tmp, _ in temporary:
            tmp.unlink(missing_ok=True)


def _block_header(document: dict) -> list[str]:
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


def _print_fit(document: dict, console) -> None:
    data, periods = document["data"], document["periods"]
    console.print(
        f"{document['input']['file']}: {data['rows']:,} rows -> {data['transactions']:,} transactions "
        f"of {data['customers']:,} customers ({data['duplicate_rows_dropped']:,} duplicate rows and "
        f"{data['zero_amount_rows_dropped']:,} zero-amount rows dropped, "
        f"{data['same_day_orders_merged']:,} same-day orders merged)",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"calibration {periods['start']} .. {periods['calibration_end']} ({periods['calibration_weeks']:.1f} weeks), "
        f"holdout to {periods['end']} ({periods['holdout_weeks']:.1f} weeks); fitted cohort "
        f"{data['cohort_customers']:,} customers, {data['customers_with_repeat']:,} with a repeat transaction "
        f"({data['repeat_transactions_calibration']:,} in calibration); "
        f"{data['new_customers_in_holdout']:,} customers new in the holdout left out",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(title="Maximum-likelihood fits (time unit: week)", title_justify="left")
    for column, justify in (
        ("model", "left"),
        ("parameter", "left"),
        ("estimate", "right"),
        ("std. error", "right"),
        ("log-lik.", "right"),
        ("AIC", "right"),
    ):
        table.add_column(column, justify=justify)
    for name, fit in fitfile.fits(document).items():
        _add_fit_rows(table, name, fit)
    console.print(table)
    models = document["models"]
    best = document["best_count_model"]
    other = "paretonbd" if best == "bgnbd" else "bgnbd"
    console.print(
        f"Count model: {_LABELS[best]} fits better (AIC {models[best]['aic']:,.1f} vs {models[other]['aic']:,.1f}, "
        f"difference {models[other]['aic'] - models[best]['aic']:,.1f}). The scenario block uses BG/NBD, "
        "the simulator's dropout structure.",
        highlight=False,
        soft_wrap=True,
    )
    for name, fit in fitfile.fits(document).items():
        for note in fit.notes:
            console.print(f"note: {_LABELS[name]}: {note}", highlight=False)
    pop = document["simulator"]["population"]
    pr, dr, ov = pop["purchase_rate"], pop["dropout_after_purchase"], pop["order_value"]
    console.print(
        f"Scenario block: purchase_rate shape {pr['shape']:.3f}, mean_per_year {pr['mean_per_year']:.3f}; "
        f"dropout_after_purchase mean {dr['mean']:.3f}, concentration {dr['concentration']:.3f}; "
        f"order_value mean_rmb {ov['mean_rmb']:.1f}, cv_across_members {ov['cv_across_members']:.3f}, "
        f"cv_within_member {ov['cv_within_member']:.3f}; {len(pop['entries'])} entry days",
        highlight=False,
        soft_wrap=True,
    )


def _add_fit_rows(table: Table, name: str, fit: Fit) -> None:
    for i, (param, value) in enumerate(fit.params.items()):
        se = fit.se[param]
        unit = f" {_UNITS[param]}" if _UNITS[param] else ""
        table.add_row(
            _LABELS[name] if i == 0 else "",
            param,
            f"{value:.4g}{unit}",
            "fixed" if math.isnan(se) and name == "gammagamma_for_simulator" and param == "q" else f"{se:.3g}",
            f"{fit.loglik:,.1f}" if i == 0 else "",
            f"{fit.aic:,.1f}" if i == 0 else "",
            end_section=i == len(fit.params) - 1,
        )


def _print_forecast(result: forecast.Forecast, document: dict, weeks: int, console) -> None:
    periods = document["periods"]
    console.print(
        f"Forecast of {document['data']['cohort_customers']:,} customers' repeat transactions: "
        f"{weeks} weeks after the calibration end {periods['calibration_end']}",
        highlight=False,
        soft_wrap=True,
    )
    if result.holdout_days <= 0:
        console.print("No holdout: the calibration period covers the whole log, so there is nothing to compare.")
        return
    first = dt.date.fromisoformat(periods["calibration_end"]) + dt.timedelta(days=1)
    table = Table(
        title=f"Holdout {first} .. {periods['end']} ({result.holdout_days} days)",
        title_justify="left",
    )
    for column in ("model", "expected", "actual", "total error", "weekly-cumulative MAPE"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for err in result.errors:
        mape = "n/a (no complete week)" if math.isnan(err.mape_pct) else f"{err.mape_pct:.1f}% over {err.weeks} weeks"
        table.add_row(
            forecast.MODELS[err.model][1],
            f"{err.expected:,.0f}",
            f"{err.actual:,.0f}",
            f"{err.total_error_pct:+.1f}%",
            mape,
        )
    console.print(table)
