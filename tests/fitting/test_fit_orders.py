"""Order-log cleaning and the per-customer summary, on tiny hand-made logs with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from privsim.fitting import orders

ROWS = [
    # customer, date, amount
    ("A", "2024-01-01", "100"),
    ("A", "2024-01-01", "50"),  # same day: merged into one 150 transaction
    ("A", "2024-01-08", "80"),  # repeat 1, day 7
    ("A", "2024-01-22", "120"),  # repeat 2, day 21
    ("A", "2024-02-05", "60"),  # holdout repeat (calibration ends 2024-01-29 = day 28)
    ("B", "2024-01-15", "200"),  # first purchase day 14, never again
    ("B", "2024-01-15", "200"),  # duplicate row: dropped
    ("C", "2024-01-03", "0"),  # zero amount: dropped
    ("C", "2024-01-10", "90"),  # so C's first purchase is day 9
    ("C", "2024-01-29", "30"),  # repeat on the calibration end day
    ("D", "2024-02-02", "70"),  # first purchase in the holdout: not in the cohort
    ("D", "2024-02-03", "70"),
]


def _log() -> orders.OrderLog:
    frame = pd.DataFrame(ROWS, columns=["customer_id", "order_date", "amount"])
    return orders.clean_orders(frame, orders.Columns(), "<tiny>")


def test_cleaning_counts_odd_rows_and_merges_same_day_orders():
    log = _log()
    assert (log.rows, log.duplicate_rows, log.zero_amount_rows, log.merged_orders) == (12, 1, 1, 1)
    assert log.start == dt.date(2024, 1, 1) and log.end == dt.date(2024, 2, 5)
    assert log.customers == 4
    assert len(log.day) == 12 - 1 - 1 - 1
    a = log.customer == 0
    np.testing.assert_array_equal(log.day[a], [0, 7, 21, 35])
    np.testing.assert_allclose(log.amount[a], [150, 80, 120, 60])


def test_summary_of_the_calibration_cohort():
    log = _log()
    cal = orders.parse_calibration_end("2024-01-29", log)
    assert cal == 28
    s = orders.summarise(log, cal)
    # cohort: A (first day 0), B (14), C (9) in the order of the log's customer codes
    np.testing.assert_array_equal(s.first_day, [0, 14, 9])
    np.testing.assert_array_equal(s.x, [2, 0, 1])
    np.testing.assert_allclose(s.t_x, [20.5 / 7, 0, 18.5 / 7])  # last repeat mid-day, from the end of day 1
    np.testing.assert_allclose(s.T, [28 / 7, 14 / 7, 19 / 7])
    np.testing.assert_allclose(s.m, [100, np.nan, 30])
    assert s.new_in_holdout == 1
    expected = np.zeros(36)
    expected[[7, 21, 28, 35]] = 1  # the cohort's repeats only: D's second order is not counted
    np.testing.assert_array_equal(s.repeat_per_day, expected)
    x, _ = s.repeaters()
    np.testing.assert_array_equal(x, [2, 1])
    counts = s.counts()
    assert counts.n_customers == 3


def test_calibration_end_defaults_to_the_last_order_date():
    log = _log()
    assert orders.parse_calibration_end(None, log) == log.last_day == 35


@pytest.mark.parametrize("text", ["2023-12-31", "2024-02-06", "yesterday"])
def test_calibration_end_outside_the_log_or_not_a_date(text):
    with pytest.raises(orders.OrderLogError) as err:
        orders.parse_calibration_end(text, _log())
    assert err.value.field == "--calibration-end" and err.value.value == text


def test_date_format_and_datetimes():
    frame = pd.DataFrame(
        {"who": ["x", "x", "y"], "when": ["01/03/2024 09:10", "01/03/2024 18:00", "02/03/2024 10:00"], "rmb": [1, 2, 3]}
    )
    log = orders.clean_orders(frame, orders.Columns("who", "when", "rmb", "%d/%m/%Y %H:%M"), "<fmt>")
    assert log.start == dt.date(2024, 3, 1) and log.merged_orders == 1 and log.duplicate_rows == 0
    np.testing.assert_allclose(log.amount, [3, 3])
