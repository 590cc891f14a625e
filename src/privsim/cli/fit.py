"""``privsim fit`` and ``privsim forecast``: fit an order log, forecast it against its holdout.

Both write their files atomically (a temporary file in the target folder,
then a rename), after every check has passed.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from privsim.cli.output import exits_on_error, out_console
from privsim.fitting import fitfile, orders
from privsim.fitting.fitfile import write_fit
from privsim.fitting.forecast import MODELS, Forecast, write_forecast
from privsim.fitting.mle import Fit

app = typer.Typer()

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


@app.command()
@exits_on_error
def fit(
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
    columns = orders.Columns(customer_col, date_col, amount_col, date_format)
    document, paths = write_fit(orders_csv, columns, calibration_end, out)
    _print_fit(document)
    out_console.print(f"Written: {', '.join(map(str, paths))}", highlight=False, soft_wrap=True)  # paths whole


@app.command()
@exits_on_error
def forecast(
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
    result, document, paths = write_forecast(fit_json, weeks, out)
    _print_forecast(result, document)
    out_console.print(f"Written: {', '.join(map(str, paths))}", highlight=False, soft_wrap=True)  # paths whole


def _print_fit(document: dict) -> None:
    data, periods = document["data"], document["periods"]
    out_console.print(
        f"{document['input']['file']}: {data['rows']:,} rows -> {data['transactions']:,} transactions "
        f"of {data['customers']:,} customers ({data['duplicate_rows_dropped']:,} duplicate rows and "
        f"{data['zero_amount_rows_dropped']:,} zero-amount rows dropped, "
        f"{data['same_day_orders_merged']:,} same-day orders merged)",
        highlight=False,
    )
    out_console.print(
        f"calibration {periods['start']} .. {periods['calibration_end']} ({periods['calibration_weeks']:.1f} weeks), "
        f"holdout to {periods['end']} ({periods['holdout_weeks']:.1f} weeks); fitted cohort "
        f"{data['cohort_customers']:,} customers, {data['customers_with_repeat']:,} with a repeat transaction "
        f"({data['repeat_transactions_calibration']:,} in calibration); "
        f"{data['new_customers_in_holdout']:,} customers new in the holdout left out",
        highlight=False,
    )
    table = Table(title="Maximum-likelihood fits (time unit: week)", title_justify="left")
    for column in ("model", "parameter", "estimate", "std. error", "log-lik.", "AIC"):
        table.add_column(column, justify="left" if column in ("model", "parameter") else "right")
    for name, model in fitfile.fits(document).items():
        _add_fit_rows(table, name, model)
    out_console.print(table)
    models = document["models"]
    best = document["best_count_model"]
    other = "paretonbd" if best == "bgnbd" else "bgnbd"
    out_console.print(
        f"Count model: {_LABELS[best]} fits better (AIC {models[best]['aic']:,.1f} vs {models[other]['aic']:,.1f}, "
        f"difference {models[other]['aic'] - models[best]['aic']:,.1f}). The scenario block uses BG/NBD, "
        "the simulator's dropout structure.",
        highlight=False,
    )
    for name, model in fitfile.fits(document).items():
        for note in model.notes:
            out_console.print(f"note: {_LABELS[name]}: {note}", highlight=False)
    pop = document["simulator"]["population"]
    pr, dr, ov = pop["purchase_rate"], pop["dropout_after_purchase"], pop["order_value"]
    out_console.print(
        f"Scenario block: purchase_rate shape {pr['shape']:.3f}, mean_per_year {pr['mean_per_year']:.3f}; "
        f"dropout_after_purchase mean {dr['mean']:.3f}, concentration {dr['concentration']:.3f}; "
        f"order_value mean_rmb {ov['mean_rmb']:.1f}, cv_across_members {ov['cv_across_members']:.3f}, "
        f"cv_within_member {ov['cv_within_member']:.3f}; {len(pop['entries'])} entry days",
        highlight=False,
    )


def _add_fit_rows(table: Table, name: str, model: Fit) -> None:
    for i, (param, value) in enumerate(model.params.items()):
        se = model.se[param]
        unit = f" {_UNITS[param]}" if _UNITS[param] else ""
        table.add_row(
            _LABELS[name] if i == 0 else "",
            param,
            f"{value:.4g}{unit}",
            "fixed" if math.isnan(se) and name == "gammagamma_for_simulator" and param == "q" else f"{se:.3g}",
            f"{model.loglik:,.1f}" if i == 0 else "",
            f"{model.aic:,.1f}" if i == 0 else "",
            end_section=i == len(model.params) - 1,
        )


def _print_forecast(result: Forecast, document: dict) -> None:
    periods = document["periods"]
    out_console.print(
        f"Forecast of {document['data']['cohort_customers']:,} customers' repeat transactions: "
        f"{result.weeks} weeks after the calibration end {periods['calibration_end']}",
        highlight=False,
    )
    if result.holdout_days <= 0:
        out_console.print("No holdout: the calibration period covers the whole log, so there is nothing to compare.")
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
            MODELS[err.model][1],
            f"{err.expected:,.0f}",
            f"{err.actual:,.0f}",
            f"{err.total_error_pct:+.1f}%",
            mape,
        )
    out_console.print(table)
