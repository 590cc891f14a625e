"""``privsim fit`` and ``privsim forecast`` end to end, and their bad input.

Good input: a synthetic log (scripts/make_orders.py's generator) with a few
duplicate and zero-amount rows; the commands run in process (typer's
CliRunner) and once as a real process. Bad input: one line ``error: ...``
on stderr naming the file, the column or option and the value; exit code
2; nothing written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import privsim
from helpers import scenario_dict
from privsim.cli import app
from privsim.fitting.synthetic import simulate_orders, write_orders

PRIVSIM = Path(sys.executable).parent / "privsim"
CALIBRATION_END = "2024-12-29"


def invoke(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("orders") / "orders.csv"
    write_orders(simulate_orders(3000, 78, 11, duplicate_rows=7, zero_amount_rows=5), str(path))
    return path


@pytest.fixture(scope="module")
def fitted(log_csv, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("fit") / "myfit"
    result = invoke("fit", log_csv, "--calibration-end", CALIBRATION_END, "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    return out, result


def test_fit_prints_the_table_and_writes_fit_json_and_the_block(fitted, log_csv):
    out, result = fitted
    text = " ".join(result.stdout.split())  # the text lines wrap at 80 columns
    for label in ("BG/NBD", "Pareto/NBD", "Gamma-Gamma", "AIC", "std. error", "alpha", "beta", "gamma"):
        assert label in text
    assert "7 duplicate rows and 5 zero-amount rows dropped" in text
    assert "Count model: BG/NBD fits better" in text
    document = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert document["format"] == "privsim-fit"
    assert document["input"]["sha256"] == __import__("hashlib").sha256(log_csv.read_bytes()).hexdigest()
    assert document["periods"]["calibration_end"] == CALIBRATION_END
    assert document["periods"]["start"] == "2024-01-01"
    assert document["data"]["duplicate_rows_dropped"] == 7
    assert document["data"]["zero_amount_rows_dropped"] == 5
    assert document["data"]["cohort_customers"] == 3000
    for name in ("bgnbd", "paretonbd", "gammagamma"):
        fit = document["models"][name]
        assert fit["converged"] and set(fit["params"]) == set(fit["se"])
        assert all(se is not None and se > 0 for se in fit["se"].values())
    assert not list(out.glob(".*tmp*"))


def test_population_block_pastes_into_a_scenario(fitted):
    out, _ = fitted
    block = yaml.safe_load((out / "population.yaml").read_text(encoding="utf-8"))
    assert set(block) == {"start_date", "population"}
    data = scenario_dict(start_date=block["start_date"], population=block["population"])
    data["accounts"][0]["members_per_account"] = 10_000  # room for the base and the 3,000 entries
    scenario = privsim.parse_scenario(data, "<pasted>")
    assert sum(e.count for e in scenario.population.entries) == 3000
    assert scenario.population.initial  # the scenario's own base is kept (the block has none)


def test_forecast_prints_holdout_errors_and_writes_csv_and_plot(fitted):
    out, _ = fitted
    result = invoke("forecast", out / "fit.json", "--weeks", 30)
    assert result.exit_code == 0, result.output + result.stderr
    assert "weekly-cumulative MAPE" in result.stdout and "over 26 weeks" in result.stdout
    table = pd.read_csv(out / "forecast.csv")
    assert list(table.columns) == [
        "week", "start", "end", "period", "expected_bgnbd", "cumulative_bgnbd",
        "expected_paretonbd", "cumulative_paretonbd", "actual", "actual_cumulative",
    ]  # fmt: skip
    assert table["week"].max() == 30
    assert (table["period"] == "holdout").sum() == 26 and (table["period"] == "forecast").sum() == 4
    assert table.loc[table.period == "forecast", "actual"].isna().all()
    document = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    repeats = sum(document["actual"]["repeat_transactions_per_day"])
    assert table["actual"].sum() == repeats  # 78 weeks end on the calibration end + 26 weeks exactly
    assert (out / "forecast.png").stat().st_size > 10_000


def test_forecast_default_weeks_is_the_holdout_and_out_folder(fitted, tmp_path):
    out, _ = fitted
    result = invoke("forecast", out / "fit.json", "--out", tmp_path / "fc")
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(tmp_path / "fc" / "forecast.csv")["week"].max() == 26


@pytest.mark.parametrize("command", ["fit", "forecast"])
def test_help_shows_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"Example: privsim {command}" in result.stdout


def test_console_script_runs_fit(log_csv, tmp_path):
    proc = subprocess.run(
        [str(PRIVSIM), "fit", str(log_csv), "--out", str(tmp_path / "f")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "f" / "fit.json").exists() and "holdout to 2025-06-29 (0.0 weeks)" in " ".join(
        proc.stdout.split()
    )


# ---------------------------------------------------------------------------
# Bad input

HEADER = "customer_id,order_date,amount\n"
GOOD = HEADER + "A,2024-01-01,10\nA,2024-02-01,12\nB,2024-01-05,30\nB,2024-03-01,20\nC,2024-01-09,5\n"

BAD_LOGS = {
    # name: (file text, extra options, words the message must contain)
    "missing column": (GOOD, ["--amount-col", "paid"], ["--amount-col", "'paid'", "no such column", "amount"]),
    "unparseable date": (
        GOOD.replace("2024-02-01", "2024-13-01"),
        [],
        ["row 2, column order_date", "'2024-13-01'", "not a date", "--date-format"],
    ),
    "date in another format": (GOOD, ["--date-format", "%d/%m/%Y"], ["row 1, column order_date", "%d/%m/%Y"]),
    "negative amount": (GOOD.replace(",30\n", ",-30\n"), [], ["row 3, column amount", "'-30'", "zero or more"]),
    "non-numeric amount": (GOOD.replace(",12\n", ",¥12\n"), [], ["row 2, column amount", "'¥12'", "not a number"]),
    "empty customer": (GOOD.replace("C,2024", ",2024"), [], ["row 5, column customer_id", "empty customer id"]),
    "calibration end before the log": (
        GOOD,
        ["--calibration-end", "2023-06-01"],
        ["--calibration-end", "'2023-06-01'", "between", "2024-01-01", "2024-03-01"],
    ),
    "calibration end after the log": (GOOD, ["--calibration-end", "2025-01-01"], ["--calibration-end", "outside"]),
    "calibration end not a date": (GOOD, ["--calibration-end", "2024-02-30"], ["--calibration-end", "YYYY-MM-DD"]),
    "only zero amounts": (
        HEADER + "A,2024-01-01,0\nB,2024-01-02,0.00\n",
        [],
        ["column amount", "no order has a positive amount"],
    ),
    "empty file": ("", [], ["the file is empty"]),
    "header only": (HEADER, [], ["no orders"]),
    "no repeat customers": (HEADER + "A,2024-01-01,10\nB,2024-01-02,5\n", [], ["--calibration-end", "bought again"]),
}


@pytest.mark.parametrize("case", BAD_LOGS, ids=list(BAD_LOGS))
def test_bad_order_log_gives_one_line_exit_2_and_writes_nothing(case, tmp_path):
    text, options, words = BAD_LOGS[case]
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("fit", path, "--out", out, *options)
    assert result.exit_code == 2, result.output + result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"error: {path}: "), line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_missing_order_file(tmp_path):
    result = invoke("fit", tmp_path / "nope.csv", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"error: {tmp_path / 'nope.csv'}: no such file"
    assert not (tmp_path / "out").exists()


def test_odd_rows_are_reported_not_fatal(tmp_path):
    path = tmp_path / "odd.csv"
    write_orders(simulate_orders(300, 40, 2), str(path))
    with open(
        path, "a", encoding="utf-8"
    ) as handle:  # a zero amount, an exact repeat of the last row, a same-day order
        last = path.read_text(encoding="utf-8").splitlines()[-1]
        customer, date, _ = last.split(",")
        handle.write(f"{customer},{date},0\n{last}\n{customer},{date},5.00\n")
    result = invoke("fit", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "1 duplicate rows and 1 zero-amount rows dropped" in " ".join(result.stdout.split())  # wrapped at 80
    merged = json.loads((tmp_path / "out" / "fit.json").read_text(encoding="utf-8"))["data"]["same_day_orders_merged"]
    assert merged >= 1


@pytest.mark.parametrize(
    "content, words",
    [
        (None, ["no such file"]),
        ("{not json", ["not a JSON file"]),
        ('{"format": "something else"}', ["not a fit.json written by `privsim fit`"]),
    ],
)
def test_bad_fit_json(tmp_path, content, words):
    path = tmp_path / "fit.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = invoke("forecast", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert line.startswith(f"error: {path}: ")
    assert all(word in line for word in words), line
    assert not (tmp_path / "out").exists()
