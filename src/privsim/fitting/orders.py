"""Order logs: read an export, clean it into daily transactions, summarise customers.

An order log is a CSV file with a header and one row per order; three of
its columns matter (names set by the user): the customer id (any text), the
order date, and the order amount (RMB, a plain number, >= 0).

Cleaning, in this order (each step's count is kept in :class:`OrderLog` and
reported, never fatal):

1. *duplicate rows*: rows equal in customer, date (with time, if given) and
   amount to an earlier row are dropped (an export that repeats a row);
2. *zero amounts*: rows with amount 0 are dropped (a gift, a cancelled or
   fully refunded order: not a purchase);
3. *same-day orders*: the remaining orders of one customer on one calendar
   day are merged into one transaction (amounts summed), because the models
   count transactions in continuous time and a day is the log's resolution.

Anything that makes the log unusable raises :class:`OrderLogError` (one
line: file, column or option, value, what is allowed): a missing file or
column, an empty file, a date that does not parse, an amount that is not a
number or negative, an empty customer id, a calibration end outside the log.

Quantities (units as in :mod:`privsim.fitting`): days are counted from the
log's first order date (day 0); ``x``, ``t_x`` (weeks), ``T`` (weeks) and
``m`` (RMB) are defined there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from privsim.core.errors import ScenarioError
from privsim.fitting import DAYS_PER_WEEK


class OrderLogError(ScenarioError):
    """An order log or ``fit`` option that cannot be used: ``<file>: <column or option> = <value> — <allowed>``."""


@dataclass(frozen=True)
class Columns:
    """Names of the order log's columns, and the date format (strftime, or ``ISO8601``)."""

    customer: str = "customer_id"
    date: str = "order_date"
    amount: str = "amount"
    date_format: str = "ISO8601"


@dataclass(frozen=True)
class OrderLog:
    """A cleaned order log: one row per transaction, sorted by customer then day.

    ``customer`` is a code 0..customers-1 (in order of first appearance in
    the file), ``day`` the day since ``start`` (the first order date in the
    file), ``amount`` the transaction's RMB. ``end`` is the last order date.
    """

    source: str
    sha256: str
    start: dt.date
    end: dt.date
    customer: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    rows: int
    duplicate_rows: int
    zero_amount_rows: int
    merged_orders: int

    @property
    def customers(self) -> int:
        return int(self.customer.max()) + 1 if len(self.customer) else 0

    @property
    def last_day(self) -> int:
        return (self.end - self.start).days

    def day_of(self, date: dt.date) -> int:
        """Day index of a calendar date."""
        return (date - self.start).days

    def date_of(self, day: int) -> dt.date:
        """Calendar date of a day index."""
        return self.start + dt.timedelta(days=int(day))


@dataclass(frozen=True)
class CountData:
    """Customers' ``(x, t_x, T)`` (weeks) as distinct rows with ``weight`` = customers per row."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray

    @property
    def n_customers(self) -> int:
        return int(self.weight.sum())

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> CountData:
        """Group equal customers (exactly equal ``x``, ``t_x``, ``T``)."""
        rows, weight = np.unique(np.column_stack([x, t_x, T]).astype(float), axis=0, return_counts=True)
        return cls(rows[:, 0], rows[:, 1], rows[:, 2], weight.astype(float))


@dataclass(frozen=True)
class Summary:
    """The calibration cohort, one entry per customer, and the cohort's repeat transactions per day.

    ``first_day`` is each cohort customer's first-purchase day (<= the
    calibration end ``calibration_end_day``); ``x``, ``t_x``, ``T``, ``m``
    as in :mod:`privsim.fitting` (``m`` NaN where ``x = 0``);
    ``repeat_per_day[d]`` counts the cohort's repeat transactions on day
    ``d`` for d = 0 .. ``last_day`` (calibration and holdout).
    ``new_in_holdout`` counts customers whose first purchase falls in the
    holdout (not in the cohort).
    """

    first_day: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray
    calibration_end_day: int
    last_day: int
    repeat_per_day: np.ndarray
    new_in_holdout: int

    def counts(self) -> CountData:
        return CountData.of(self.x, self.t_x, self.T)

    def repeaters(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, m)`` of the customers with at least one repeat transaction (Gamma-Gamma's data)."""
        keep = self.x > 0
        return self.x[keep], self.m[keep]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_orders(path: str | Path, columns: Columns = Columns()) -> OrderLog:
    """Read and clean an order-log CSV file; raise :class:`OrderLogError` on unusable input."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise OrderLogError(source, (), None, "no such file")
    if path.is_dir():
        raise OrderLogError(source, (), None, "is a directory, expected an order log .csv file")
    if path.stat().st_size == 0:
        raise OrderLogError(source, (), None, "the file is empty; expected a CSV header and one row per order")
    wanted = {"--customer-col": columns.customer, "--date-col": columns.date, "--amount-col": columns.amount}
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        for option, name in wanted.items():
            if name not in header:
                shown = ", ".join(map(str, header[:12])) + (", ..." if len(header) > 12 else "")
                raise OrderLogError(source, (option,), name, f"no such column; the file has: {shown}")
        frame = pd.read_csv(
            path,
            usecols=list(dict.fromkeys(wanted.values())),
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as err:
        raise OrderLogError(
            source, (), None, f"not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8 CSV"
        ) from None
    except pd.errors.EmptyDataError:
        raise OrderLogError(
            source, (), None, "the file is empty; expected a CSV header and one row per order"
        ) from None
    except pd.errors.ParserError as err:
        raise OrderLogError(
            source, (), None, f"not a readable CSV file ({str(err).strip().splitlines()[-1]})"
        ) from None
    return clean_orders(frame, columns, source, file_sha256(path))


def clean_orders(frame: pd.DataFrame, columns: Columns, source: str, sha256: str = "") -> OrderLog:
    """Validate and clean a frame of orders (text or typed columns) into an :class:`OrderLog`."""
    if len(frame) == 0:
        raise OrderLogError(source, (), None, "no orders: the file has a header but no rows")
    customer = frame[columns.customer].astype(str).str.strip()
    _reject_first(source, columns.customer, customer, customer == "", "empty customer id")
    dates = _parse_dates(frame[columns.date], columns, source)
    amount = _parse_amounts(frame[columns.amount], columns, source)

    codes, _ = pd.factorize(customer)
    stamp = dates.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    duplicate = pd.DataFrame({"c": codes, "t": stamp, "a": amount}).duplicated().to_numpy()
    start = dates.min().date()
    end = dates.max().date()
    keep = ~duplicate & (amount > 0)
    if not keep.any():
        raise OrderLogError(source, (f"column {columns.amount}",), "0", "no order has a positive amount")
    day = (dates.dt.normalize().to_numpy(dtype="datetime64[D]") - np.datetime64(start, "D")).astype(np.int64)
    span = int(day.max()) + 1
    key = codes[keep].astype(np.int64) * span + day[keep]
    unique_key, inverse = np.unique(key, return_inverse=True)
    return OrderLog(
        source=source,
        sha256=sha256,
        start=start,
        end=end,
        customer=_recode(unique_key // span),
        day=unique_key % span,
        amount=np.bincount(inverse, weights=amount[keep]),
        rows=len(frame),
        duplicate_rows=int(duplicate.sum()),
        zero_amount_rows=int((~duplicate & (amount == 0)).sum()),
        merged_orders=int(keep.sum() - len(unique_key)),
    )


def _recode(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered 0..k-1 (customers whose rows were all dropped leave gaps otherwise)."""
    _, dense = np.unique(codes, return_inverse=True)
    return dense.reshape(-1).astype(np.int64)


def _reject_first(source: str, column: str, values: pd.Series, bad: np.ndarray | pd.Series, allowed: str) -> None:
    """Raise for the first row where ``bad`` holds: ``row N, <column> = <value> — <allowed>``."""
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise OrderLogError(source, (f"row {i + 1}, column {column}",), values.iloc[i], allowed)


def _parse_dates(raw: pd.Series, columns: Columns, source: str) -> pd.Series:
    text = raw.astype(str).str.strip()
    fmt = columns.date_format
    _reject_first(source, columns.date, text, text == "", "empty date")
    try:
        dates = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError as err:  # a format pandas cannot use at all
        raise OrderLogError(source, ("--date-format",), fmt, f"not a usable date format ({err})") from None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    shown = "ISO 8601 (2025-03-01 or 2025-03-01 14:30:00)" if fmt == "ISO8601" else fmt
    _reject_first(source, columns.date, text, dates.isna(), f"not a date in the format {shown} (set --date-format)")
    return dates


def _parse_amounts(raw: pd.Series, columns: Columns, source: str) -> np.ndarray:
    text = raw.astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    _reject_first(
        source,
        columns.amount,
        text,
        ~np.isfinite(values),
        "not a number (write amounts in RMB like 129.5, without currency signs or thousands separators)",
    )
    _reject_first(
        source,
        columns.amount,
        text,
        values < 0,
        "must be zero or more, RMB (a refund is not an order: net it into its order or leave it out)",
    )
    return values


def parse_calibration_end(text: str | None, log: OrderLog) -> int:
    """Day index of ``--calibration-end`` (ISO date; default: the last order date), inside the log."""
    if text is None:
        return log.last_day
    try:
        date = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise OrderLogError(log.source, ("--calibration-end",), text, "not a date; write it as YYYY-MM-DD") from None
    if not log.start <= date <= log.end:
        raise OrderLogError(
            log.source,
            ("--calibration-end",),
            text,
            f"outside the log; must be between its first order date {log.start} and its last {log.end}",
        )
    return log.day_of(date)


def summarise(log: OrderLog, calibration_end_day: int) -> Summary:
    """The calibration cohort's ``(x, t_x, T, m)`` and its repeat transactions per day."""
    customer, day, amount = log.customer, log.day, log.amount
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    first_day = day[starts]
    per_customer_first = np.repeat(first_day, np.diff(np.r_[starts, len(day)]))
    is_repeat = day > per_customer_first
    in_cohort = per_customer_first <= calibration_end_day
    cohort = first_day <= calibration_end_day

    calibration = in_cohort & (day <= calibration_end_day)
    n_customers = len(starts)
    n_cal = np.bincount(customer[calibration], minlength=n_customers)
    last_cal = np.zeros(n_customers, dtype=np.int64)
    np.maximum.at(last_cal, customer[calibration], day[calibration])
    spend = np.bincount(
        customer[calibration & is_repeat], weights=amount[calibration & is_repeat], minlength=n_customers
    )

    x = (n_cal - 1)[cohort]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, spend[cohort] / x, np.nan)
    repeat_per_day = np.bincount(day[in_cohort & is_repeat], minlength=log.last_day + 1)
    return Summary(
        first_day=first_day[cohort],
        x=x.astype(float),
        t_x=np.where(x > 0, last_cal[cohort] - first_day[cohort] - 0.5, 0.0) / DAYS_PER_WEEK,
        T=(calibration_end_day - first_day[cohort]) / DAYS_PER_WEEK,
        m=m,
        calibration_end_day=int(calibration_end_day),
        last_day=log.last_day,
        repeat_per_day=repeat_per_day,
        new_in_holdout=int((~cohort).sum()),
    )
