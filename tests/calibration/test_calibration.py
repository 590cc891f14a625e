"""Calibration and validation (issue 6): the registry, free parameters, measures, ``privsim validate``
and ``privsim calibrate`` on small synthetic cases written under tmp_path.

Parameter recovery: a synthetic case whose "reported" figures are simulated
with known values of ``population.purchase_rate.mean_per_year`` (3.0) and
``population.order_value.mean_rmb`` (300), on another seed than the case's
(so they carry sampling noise like a real figure), from a case scenario that
starts far off (5.0 and 450). Calibration must bring both back within 10 %:
the figures' own noise (6 replications: GMV +-1.2 %, repurchase rate
+-0.0025, i.e. +-1.7 % of the rate) and the calibration's (2 replications
per evaluation: about 2 % and 2.8 %) give a standard error of about 3.5 %
on each parameter, so 10 % is about three of them. The dropout mean is not
used: numpy draws the Beta by rejection, so every new value redraws the
members and common random numbers do not hold for it (see
privsim.calibration.calibrate).
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import privsim
from helpers import PRIVSIM, ROOT, privsim_subprocess, scenario_dict, strategy
from privsim.calibration.calibrate import calibrate_case
from privsim.calibration.cases import band, relative_error
from privsim.calibration.loss import PULL, target_loss
from privsim.calibration.measures import MEASURES, RunView, Window, measure
from privsim.calibration.registry import Benchmark, FreeParameter, load_registry
from privsim.calibration.report import report_markdown
from privsim.calibration.scenario_params import (
    calibrated_text,
    check_parameters,
    get_path,
    parameter_value,
    set_path,
    with_parameters,
)
from privsim.calibration.validate import markdown, validate
from privsim.cli import app
from privsim.core.errors import Interrupted, ScenarioError
from privsim.runner import run_scenario

RATE = "population.purchase_rate.mean_per_year"
VALUE = "population.order_value.mean_rmb"
TRUE = {RATE: 3.0, VALUE: 300.0}
START = {RATE: 5.0, VALUE: 450.0}
BOUNDS = {RATE: (1.0, 8.0), VALUE: (100.0, 800.0)}
TOLERANCE = {"gmv_per_month_rmb": 0.05, "repurchase_rate": 0.02}


#: A progress line of the CLI when stderr is not a terminal.
PROGRESS = re.compile(r"validating: \d+/\d+ runs, .* elapsed, ETA ")


def invoke(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def error_line(*args) -> str:
    """Run the command, which must fail on bad input: exit code 2, one line ``error: ...`` on stderr (after the
    progress lines, one per replication, of an error found once the case has run)."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not PROGRESS.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def world(values: dict[str, float], **overrides) -> dict:
    """The small test scenario over 366 days (so the repurchase rate is defined) with ``values`` set."""
    data = scenario_dict(horizon_days=366, **overrides)
    for path, value in values.items():
        data = set_path(data, path, value)
    return data


def case_entry(**overrides) -> dict:
    entry = {
        "id": "SYNTH",
        "source": "synthetic",
        "scenario": "synth.yaml",
        "calibrated": "synth.calibrated.yaml",
        "replications": 3,
        "calibration_replications": 2,
        "free_parameters": [
            {"path": path, "low": low, "high": high, "reason": "test"} for path, (low, high) in BOUNDS.items()
        ],
    }
    return {**entry, **overrides}


def benchmark(name: str, use: str, low: float, high: float | None = None, **fields) -> dict:
    return {
        "id": f"SYNTH-{name}",
        "case": "SYNTH",
        "use": use,
        "reported": f"{low:.4g}" if high is None else f"{low:.4g}-{high:.4g}",
        "low": low,
        "high": low if high is None else high,
        "measure": fields.pop("measure", "gmv_per_month_rmb"),
        "strategy": fields.pop("strategy", "none"),
        "months": fields.pop("months", [0, 11]),
        **fields,
    }


def write_case(folder: Path, scenario: dict, benchmarks: list[dict], **case) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synth.yaml").write_text(
        "# a synthetic case\n" + yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8"
    )
    path = folder / "benchmarks.yaml"
    path.write_text(
        yaml.safe_dump({"cases": [case_entry(**case)], "benchmarks": benchmarks}, sort_keys=False), encoding="utf-8"
    )
    return path


def measured(data: dict, names: list[str], replications: int) -> dict[str, float]:
    view = RunView(run_scenario(privsim.parse_scenario(data), replications=replications, command=[]).tables)
    return {name: float(np.mean(measure(view, name, "none", Window(0, 11)))) for name in names}


# ---------------------------------------------------------------------------
# The registry


def test_repository_registry_loads_with_unique_ids_and_defined_measures():
    path = ROOT / "scenarios" / "cases" / "benchmarks.yaml"
    if not path.exists():
        pytest.skip("scenarios/cases/benchmarks.yaml is not written yet")
    registry = load_registry(path)
    ids = [b.id for b in registry.benchmarks]
    assert len(ids) == len(set(ids))
    assert all(b.measure in MEASURES for b in registry.benchmarks)
    assert {b.case for b in registry.benchmarks} <= {c.id for c in registry.cases}
    for case in registry.cases:
        _, text = privsim.load_scenario(path.parent / case.scenario)
        check_parameters(yaml.safe_load(text), case.free_parameters, case.scenario)


def registry_text(tmp_path: Path, benchmarks: list[dict]) -> Path:
    path = tmp_path / "benchmarks.yaml"
    path.write_text(yaml.safe_dump({"cases": [case_entry()], "benchmarks": benchmarks}), encoding="utf-8")
    return path


def test_a_repeated_benchmark_id_is_rejected(tmp_path):
    path = registry_text(tmp_path, [benchmark("GMV", "target", 1.0), benchmark("GMV", "holdout", 2.0)])
    with pytest.raises(ScenarioError, match=r"benchmark IDs must be unique; repeated: \['SYNTH-GMV'\]") as err:
        load_registry(path)
    assert str(err.value).startswith(str(path))


def test_an_unknown_measure_is_rejected(tmp_path):
    path = registry_text(tmp_path, [benchmark("GMV", "target", 1.0, measure="gmv_per_fortnight")])
    with pytest.raises(ScenarioError, match="SYNTH-GMV: measure 'gmv_per_fortnight' is not one of"):
        load_registry(path)


def test_a_missing_registry_is_one_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_registry(tmp_path / "nope.yaml")


# ---------------------------------------------------------------------------
# Free parameters: dotted paths and bounds


def test_dotted_paths_get_set_and_read_defaults():
    data = scenario_dict()
    assert get_path(data, RATE) == 3.0
    changed = set_path(data, "behaviour.trust.dropout_sensitivity", 4.5)
    assert get_path(changed, "behaviour.trust.dropout_sensitivity") == 4.5
    assert "trust" not in data["behaviour"], "set_path must not change its input"
    with pytest.raises(KeyError):
        get_path(data, "behaviour.trust.dropout_sensitivity")  # not written: the model's default applies
    scenario = privsim.parse_scenario(data)
    assert parameter_value(scenario, "behaviour.trust.dropout_sensitivity") == 3.0
    assert parameter_value(privsim.parse_scenario(changed), "behaviour.trust.dropout_sensitivity") == 4.5
    assert parameter_value(scenario, "population.initial_last_purchase_within_days", raw=True) == 180


@pytest.mark.parametrize(
    "path, words",
    [("behaviour.trust.no_such_thing", "no such numeric field"), ("behaviour.trust", "is not a number")],
)
def test_a_path_that_is_not_a_number_is_rejected(path, words):
    with pytest.raises(ScenarioError, match=words) as err:
        parameter_value(privsim.parse_scenario(scenario_dict()), path, "case.yaml")
    assert err.value.field == path and str(err.value).startswith("case.yaml: ")


def test_values_are_set_and_revalidated():
    parameters = tuple(FreeParameter(path=p, low=lo, high=hi, reason="t") for p, (lo, hi) in BOUNDS.items())
    data, scenario = with_parameters(scenario_dict(), parameters, [4.25, 350.0])
    assert scenario.population.purchase_rate.mean_per_year == 4.25
    assert scenario.population.order_value.mean_rmb == 350.0
    assert get_path(data, VALUE) == 350.0


def test_a_value_outside_its_bounds_is_rejected_with_path_value_and_bounds():
    parameter = FreeParameter(path=RATE, low=1.0, high=8.0, reason="t")
    with pytest.raises(ScenarioError) as err:
        with_parameters(scenario_dict(), (parameter,), [9.5], "case.yaml")
    assert str(err.value) == (
        "case.yaml: population.purchase_rate.mean_per_year = 9.5 — outside the free parameter's bounds [1, 8]"
    )


def test_bounds_the_scenario_does_not_accept_are_rejected():
    parameter = FreeParameter(path="population.dropout_after_purchase.mean", low=0.1, high=1.5, reason="t")
    with pytest.raises(
        ScenarioError, match=r"a bound of the free parameter is not a valid value \(must be between 0.0 and 1.0"
    ) as err:
        check_parameters(scenario_dict(), (parameter,), "case.yaml")
    assert err.value.field == "population.dropout_after_purchase.mean" and err.value.value == 1.5


def test_a_free_parameter_with_low_above_high_is_rejected():
    with pytest.raises(ValueError, match=r"low \(2.0\) must be below high \(1.0\)"):
        FreeParameter(path=RATE, low=2.0, high=1.0, reason="t")


def test_calibrated_text_keeps_comments_when_the_values_are_written_in_the_file():
    original = (
        "# case header\nname: x   # CASE-NAME\npopulation:\n"
        "  purchase_rate: {mean_per_year: 3.0, shape: 1.0}   # FREE\n  order_value:\n    mean_rmb: 300  # FREE\n"
    )
    text = calibrated_text(original, {RATE: 2.5, VALUE: 1.0e-05}, ["calibrated by test"])
    assert text.startswith("# calibrated by test\n#\n# case header\n")
    assert "# CASE-NAME" in text and "{mean_per_year: 2.5, shape: 1.0}   # FREE" in text
    assert "mean_rmb: 1.0e-05  # FREE" in text
    assert yaml.safe_load(text)["population"]["order_value"]["mean_rmb"] == 1.0e-05


def test_calibrated_text_dumps_the_document_when_a_value_is_not_in_the_file():
    original = "# comment\nname: x\nbehaviour: {}\n"
    text = calibrated_text(original, {"behaviour.trust.dropout_sensitivity": 4.0}, ["calibrated by test"])
    assert text.startswith("# calibrated by test\n")
    assert yaml.safe_load(text) == {"name": "x", "behaviour": {"trust": {"dropout_sensitivity": 4.0}}}


# ---------------------------------------------------------------------------
# Measures and the comparison


def test_every_measure_gives_one_value_per_replication():
    data = scenario_dict(
        horizon_days=366,
        strategies=[
            strategy("none", {"kind": "none"}),
            strategy("clearance", {"kind": "clearance", "discount_depth": 0.3, "every_days": 14}),
        ],
    )
    data["channels"][0]["addressable_customers"] = 3000
    view = RunView(run_scenario(privsim.parse_scenario(data), replications=3, command=[]).tables)
    arguments = {
        "churn_rate_per_year_by_pool": "wecom",
        "first_order_conversion_by_pool": "personal",
        "add_rate": "card",
        "tier_gmv_share": "first_order",
        "channel_coverage_share": "card",
    }
    for name in MEASURES:
        values = measure(view, name, "clearance", Window(1, 11), arguments.get(name), "none")
        assert values.shape == (3,), name
    gmv = measure(view, "gmv_per_month_rmb", "none", Window(0, 11))
    assert np.all(gmv > 0) and np.all(np.isfinite(measure(view, "repurchase_rate", "none", Window(0, 11))))


def test_band_relative_error_and_loss():
    b = Benchmark.model_validate(benchmark("G", "target", 100.0, 200.0, tolerance=0.1))
    assert band(b) == (90.0, 220.0)
    assert relative_error(b, 150.0) == 0.0
    assert relative_error(b, 250.0) == pytest.approx(0.25)
    assert relative_error(b, 80.0) == pytest.approx(-0.2)
    assert target_loss(b, 150.0) == 0.0
    assert 0 < target_loss(b, 219.0) <= PULL  # inside the band: the pull only
    assert target_loss(b, 240.0) > 1.0  # 20 beyond a slack of 20: at least 1
    assert target_loss(b, math.nan) >= 1000


# ---------------------------------------------------------------------------
# Validation


@pytest.fixture(scope="module")
def validation_case(tmp_path_factory) -> tuple[Path, dict[str, float]]:
    """A case whose targets are what its own scenario gives, and a holdout far off."""
    folder = tmp_path_factory.mktemp("validate")
    data = world(TRUE)
    figures = measured(data, ["gmv_per_month_rmb", "repurchase_rate"], 3)
    benchmarks = [
        benchmark(
            "GMV", "target", figures["gmv_per_month_rmb"] * 0.95, figures["gmv_per_month_rmb"] * 1.05, tolerance=0.1
        ),
        benchmark("HOLD-REPURCHASE", "holdout", 0.9, 1.0, measure="repurchase_rate", tolerance=0.05),
        benchmark("REPURCHASE", "target", figures["repurchase_rate"], measure="repurchase_rate", tolerance=0.1),
    ]
    return write_case(folder, data, benchmarks), figures


def test_validate_gives_a_row_per_benchmark_targets_first(validation_case):
    registry, figures = validation_case
    result = validate(registry)
    table = result.table
    assert list(table["id"]) == ["SYNTH-GMV", "SYNTH-REPURCHASE", "SYNTH-HOLD-REPURCHASE"]
    assert list(table["use"]) == ["target", "target", "holdout"]
    assert list(table["passes"]) == [True, True, False]
    assert result.targets_pass
    assert table.loc[0, "relative_error"] == 0.0 and table.loc[0, "n"] == 3
    assert table.loc[1, "mean"] == pytest.approx(figures["repurchase_rate"])
    assert table.loc[1, "ci_low"] < table.loc[1, "mean"] < table.loc[1, "ci_high"]
    hold = table.loc[2]
    assert hold["relative_error"] == pytest.approx((hold["mean"] - 0.9) / 0.9)
    assert not result.runs[0].calibrated and result.runs[0].path.name == "synth.yaml"


def test_validate_of_some_cases_leaves_validation_md_alone(validation_case, tmp_path, monkeypatch):
    registry, _ = validation_case
    data = yaml.safe_load(registry.read_text(encoding="utf-8"))
    data["cases"].append({**data["cases"][0], "id": "OTHER"})  # a second case, so SYNTH alone is "some cases"
    data["benchmarks"].append({**data["benchmarks"][0], "id": "OTHER-GMV", "case": "OTHER"})
    two = registry.parent / "two-cases.yaml"
    two.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "VALIDATION.md").write_text("the full table\n", encoding="utf-8")
    result = invoke("validate", "SYNTH", "--registry", two, "--replications", 2, "--jobs", 1)
    assert result.exit_code == 0, result.output + result.stderr
    assert (tmp_path / "VALIDATION.md").read_text(encoding="utf-8") == "the full table\n"
    assert result.stdout.rstrip().endswith("Written: validation-synth.md")
    written = (tmp_path / "validation-synth.md").read_text(encoding="utf-8")
    assert "SYNTH-GMV" in written and "OTHER-GMV" not in written


def test_validate_command_prints_writes_validation_md_and_exits_0_when_targets_pass(validation_case, tmp_path):
    registry, _ = validation_case
    out = tmp_path / "VALIDATION.md"
    result = invoke("validate", "--registry", registry, "--out", out, "--replications", 3, "--jobs", 1)
    assert result.exit_code == 0, result.output + result.stderr
    for words in ("SYNTH-GMV", "FAIL", "targets: 2 of 2 pass; holdouts: 0 of 1 pass"):
        assert words in result.stdout
    assert "NOT calibrated" in " ".join(result.stdout.split())  # the line wraps at 80 columns
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Validation against the reported cases\n")
    assert f"privsim {privsim.__version__}" in text and "seed 12345, 3 replications" in text
    assert "command: `privsim validate --registry" in text
    rows = [line for line in text.splitlines() if line.startswith("| SYNTH-")]
    assert len(rows) == 6  # the table and the measures
    assert rows[0].startswith("| SYNTH-GMV | target |") and "| pass |" in rows[0]
    assert rows[2].startswith("| SYNTH-HOLD-REPURCHASE | holdout |") and rows[2].endswith("| FAIL |")


def test_validate_exits_1_when_a_target_fails(tmp_path):
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "target", 1.0, 2.0)])
    result = invoke("validate", "SYNTH", "--registry", registry, "--out", tmp_path / "V.md", "-n", 2, "-j", 1)
    assert result.exit_code == 1, result.output + result.stderr
    assert "targets: 0 of 1 pass" in result.stdout
    assert (tmp_path / "V.md").exists()


def write_calibrated(registry: Path, values: dict[str, float], text: str | None = None) -> Path:
    """The case's calibrated file as privsim calibrate writes it: the case scenario with ``values``, after its
    header."""
    calibrated = registry.parent / "synth.calibrated.yaml"
    original = text if text is not None else (registry.parent / "synth.yaml").read_text(encoding="utf-8")
    listed = ", ".join(f"{path} = {value}" for path, value in values.items())
    header = [f"calibrated by privsim calibrate SYNTH on 2026-01-01, seed 0, loss 0; values: {listed}"]
    calibrated.write_text(calibrated_text(original, values, header), encoding="utf-8")
    return calibrated


def test_validate_runs_the_calibrated_file_when_there_is_one(validation_case, tmp_path):
    registry, _ = validation_case
    calibrated = write_calibrated(registry, {RATE: 3.5, VALUE: 300.0})
    try:
        result = validate(registry, ["SYNTH"], replications=2)
        assert result.runs[0].calibrated and result.runs[0].path == calibrated
        assert "calibrated; seed 12345, 2 replications" in markdown(result, ["privsim", "validate"])
        write_calibrated(registry, {RATE: 9.0, VALUE: 300.0})
        with pytest.raises(ScenarioError, match=r"mean_per_year = 9.0 — outside the free parameter's bounds \[1, 8\]"):
            validate(registry, ["SYNTH"], replications=2)
    finally:
        calibrated.unlink()


def test_validate_refuses_a_calibrated_file_the_case_or_registry_has_moved_past(tmp_path):
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "target", 1.0, 2.0)])
    values = {RATE: 3.5, VALUE: 300.0}
    # the case scenario changed an input after the calibration
    old_case = yaml.safe_dump({**world(TRUE), "horizon_days": 400}, sort_keys=False)
    write_calibrated(registry, values, text=old_case)
    with pytest.raises(ScenarioError) as err:
        validate(registry, ["SYNTH"], replications=2)
    assert (err.value.field, err.value.value) == ("horizon_days", 400)
    assert "synth.yaml now has 366 (it changed outside the free parameters" in err.value.allowed
    assert "run privsim calibrate SYNTH again" in err.value.allowed
    # the registry frees a parameter the calibration did not fit
    write_calibrated(registry, {RATE: 3.5})
    with pytest.raises(
        ScenarioError, match=r"fitted parameters = 1 — now free in the registry: population.order_value.mean_rmb; "
    ):
        validate(registry, ["SYNTH"], replications=2)
    # a file not written by privsim calibrate
    (tmp_path / "synth.calibrated.yaml").write_text(yaml.safe_dump(world(values)), encoding="utf-8")
    with pytest.raises(
        ScenarioError, match="fitted parameters = 'none' — no privsim calibrate header on its first line"
    ):
        validate(registry, ["SYNTH"], replications=2)


def test_reapply_writes_the_fitted_values_into_the_edited_case_scenario(tmp_path):
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "target", 1.0, 2.0)])
    values = {RATE: 3.5, VALUE: 300.0}
    old_case = yaml.safe_dump({**world(TRUE), "horizon_days": 400}, sort_keys=False)
    calibrated = write_calibrated(registry, values, text=old_case)
    fitted_line = calibrated.read_text(encoding="utf-8").splitlines()[0]
    # the case scenario (366 days) moved past the calibrated file (400 days): validate refuses it ...
    with pytest.raises(ScenarioError, match="changed outside the free parameters"):
        validate(registry, ["SYNTH"], replications=2)
    result = invoke("calibrate", "SYNTH", "--registry", registry, "--reapply")
    assert result.exit_code == 0, result.output
    assert "re-applied to synth.yaml as it is now; not refitted" in " ".join(result.output.split())  # wrapped
    # ... and accepts it once the values are re-applied: same fit line, one line saying what was done, the
    # case scenario's inputs with the fitted values
    lines = calibrated.read_text(encoding="utf-8").splitlines()
    assert lines[0] == fitted_line
    assert lines[1].startswith("# values re-applied by privsim calibrate SYNTH --reapply on ")
    data = yaml.safe_load(calibrated.read_text(encoding="utf-8"))
    assert data["horizon_days"] == 366 and get_path(data, RATE) == 3.5 and get_path(data, VALUE) == 300.0
    assert validate(registry, ["SYNTH"], replications=2).runs[0].calibrated
    # again: still one such line
    assert invoke("calibrate", "SYNTH", "--registry", registry, "--reapply").exit_code == 0
    assert calibrated.read_text(encoding="utf-8").count("values re-applied by") == 1
    # nothing to re-apply: one error line
    calibrated.unlink()
    assert "synth.calibrated.yaml: no such file; run privsim calibrate SYNTH first" in error_line(
        "calibrate", "SYNTH", "--registry", registry, "--reapply"
    )
    write_calibrated(registry, {RATE: 3.5})
    assert "re-applying needs values fitted for the registry's free parameters" in error_line(
        "calibrate", "SYNTH", "--registry", registry, "--reapply"
    )


BAD_INPUT = {
    "unknown case": (["NOPE"], None, ["cases = 'NOPE'", "no such case; the registry has SYNTH"]),
    "missing registry": ([], "missing.yaml", ["missing.yaml: no such file"]),
    "malformed registry": ([], "cases: [\n", ["malformed YAML"]),
    "benchmark on a strategy the case lacks": (
        [],
        {"strategy": "clearance"},
        ["benchmarks[SYNTH-GMV].strategy = 'clearance'", "no such strategy in the case scenario; it has none"],
    ),
    "benchmark past the horizon": ([], {"months": [0, 20]}, ["benchmarks[SYNTH-GMV].months", "months 0 .. 12 only"]),
    "benchmark on a pool the case lacks": (
        [],
        {"measure": "churn_rate_per_year_by_pool", "argument": "nope"},
        ["benchmarks[SYNTH-GMV].measure", "cannot be measured", "by_pool.churned.nope"],
    ),
}


@pytest.mark.parametrize("command", ["validate", "calibrate"])
@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_one_error_line_and_exit_2(command, case, tmp_path):
    cases, registry_change, words = BAD_INPUT[case]
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "target", 1.0)])
    if isinstance(registry_change, dict):
        data = yaml.safe_load(registry.read_text(encoding="utf-8"))
        data["benchmarks"][0].update(registry_change)
        registry.write_text(yaml.safe_dump(data), encoding="utf-8")
    elif registry_change == "missing.yaml":
        registry = tmp_path / "missing.yaml"
    elif registry_change is not None:
        registry.write_text(registry_change, encoding="utf-8")
    if command == "calibrate":
        args = ["calibrate", *(cases or ["SYNTH"]), "--registry", registry, "--budget", 10, "-j", 2]
    else:
        args = ["validate", *cases, "--registry", registry, "--out", tmp_path / "V.md", "-j", 1]
    before = sorted(p.name for p in tmp_path.iterdir())
    line = error_line(*args)
    assert line.startswith(f"error: {registry}"), line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    "args, words",
    [
        (["--budget", 3], "--budget = 3 — must be at least 10 evaluations"),
        (["--seed", -1], "--seed = -1 — must be a non-negative integer"),
        (["--jobs", -2], "--jobs = -2 — must be 0 (one per CPU)"),
    ],
)
def test_bad_calibrate_options(args, words, tmp_path):
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "target", 1.0)])
    assert words in error_line("calibrate", "SYNTH", "--registry", registry, *args)


def test_calibrate_needs_targets(tmp_path):
    registry = write_case(tmp_path, world(TRUE), [benchmark("GMV", "holdout", 1.0)])
    assert "the case has no target benchmarks to fit to" in error_line("calibrate", "SYNTH", "--registry", registry)


@pytest.mark.parametrize("command", ["calibrate", "validate"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"Example: privsim {command}" in result.stdout


# ---------------------------------------------------------------------------
# Calibration


@pytest.fixture(scope="module")
def synthetic_case(tmp_path_factory) -> Path:
    """Targets simulated with TRUE on seed 1 (6 replications); the case scenario starts at START on seed 12345."""
    figures = measured(world(TRUE, seed=1), list(TOLERANCE), 6)
    benchmarks = [
        benchmark(name.upper().replace("_", "-"), "target", figures[name], measure=name, tolerance=tol)
        for name, tol in TOLERANCE.items()
    ]
    benchmarks.append(benchmark("HOLDOUT", "holdout", 1.0, 2.0, measure="lost_or_silent_share"))
    return write_case(tmp_path_factory.mktemp("calibrate"), world(START), benchmarks)


@pytest.mark.slow
def test_calibration_recovers_known_parameters(synthetic_case):
    result = calibrate_case(synthetic_case, "SYNTH", budget=40, seed=0, jobs=1)
    for path, true in TRUE.items():
        assert result.values[path] == pytest.approx(true, rel=0.10), (path, result.values)
    assert all(t.passes for t in result.targets) and result.loss < 0.2
    assert [t.benchmark.id for t in result.targets] == ["SYNTH-GMV-PER-MONTH-RMB", "SYNTH-REPURCHASE-RATE"]
    assert result.evaluations <= 40 and result.written
    calibrated = yaml.safe_load(result.files.calibrated.read_text(encoding="utf-8"))
    assert {path: get_path(calibrated, path) for path in TRUE} == result.values
    assert result.files.calibrated.read_text(encoding="utf-8").startswith("# calibrated by privsim calibrate SYNTH on ")
    report = result.files.report.read_text(encoding="utf-8")
    assert f"{result.evaluations} evaluations of a budget of 40" in report and "seed 12345" in report
    assert "SYNTH-HOLDOUT" not in report  # holdouts are never fitted
    assert "(at a bound)" not in report
    strained = report_markdown(replace(result, values={**result.values, RATE: 7.95}))  # within 1 % of [1, 8] of 8
    assert f"| `{RATE}` | 5 | 7.95 (at a bound) | 1 | 8 |" in strained
    assert (
        "At a bound (within 1% of the range)" in strained
        and "(at a bound)" not in strained.split(VALUE)[1].split("\n")[0]
    )
    checked = validate(synthetic_case, replications=2)
    assert checked.runs[0].calibrated and checked.targets_pass


@pytest.mark.slow
def test_calibration_is_the_same_for_the_same_seed_whatever_the_jobs(synthetic_case, tmp_path):
    first = calibrate_case(synthetic_case, "SYNTH", budget=10, seed=7, jobs=1, write=False)
    result = invoke("calibrate", "SYNTH", "--registry", synthetic_case, "--budget", 10, "--seed", 7, "--jobs", 2)
    assert result.exit_code == 0, result.output + result.stderr
    second = yaml.safe_load((synthetic_case.parent / "synth.calibrated.yaml").read_text(encoding="utf-8"))
    assert {path: get_path(second, path) for path in TRUE} == first.values
    assert "10 evaluations of 10" in result.stdout and "synth.calibration.md" in result.stdout


# ---------------------------------------------------------------------------
# Interrupted calibrations (issue 26 point 7): every evaluation is kept as it finishes; --resume answers the points
# evaluated before from the kept file and, the optimiser being deterministic for a seed, follows the same path.

#: Budget and seed of the resumed calibrations: a population of 5 and a few Gauss-Newton steps, a few seconds.
RESUME_BUDGET, RESUME_SEED = 10, 3


def resume_case(folder: Path) -> Path:
    """A target away from the case scenario's values (any figure does: only the path is compared), over 61 days
    so that an evaluation takes a fraction of a second."""
    data = scenario_dict(horizon_days=61)
    for path, value in START.items():
        data = set_path(data, path, value)
    gmv = benchmark("GMV", "target", 40_000.0, measure="gmv_per_month_rmb", months=[0, 1], tolerance=0.05)
    return write_case(folder, data, [gmv])


def stop_after(evaluations: int):
    """A progress callback that stops the calibration (as Ctrl-C does) once ``evaluations`` have finished."""

    def progress(done: int, total: int) -> None:
        if done == evaluations:
            raise KeyboardInterrupt

    return progress


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[object, str]:
    """The calibration of the resume case at RESUME_SEED, uninterrupted, and its calibrated file."""
    registry = resume_case(tmp_path_factory.mktemp("uninterrupted"))
    result = calibrate_case(registry, "SYNTH", budget=RESUME_BUDGET, seed=RESUME_SEED, jobs=1)
    assert not result.files.evaluations.exists()  # removed once the files are written
    return result, result.files.calibrated.read_text(encoding="utf-8")


def test_an_interrupted_calibration_resumes_to_the_uninterrupted_result(uninterrupted, tmp_path, monkeypatch):
    expected, calibrated = uninterrupted
    registry = resume_case(tmp_path)
    with pytest.raises(Interrupted) as err:
        calibrate_case(registry, "SYNTH", budget=RESUME_BUDGET, seed=RESUME_SEED, progress=stop_after(4))
    kept = tmp_path / "synth.calibration-evaluations.json"
    assert str(err.value) == (
        f"{kept}: 4 of {RESUME_BUDGET} evaluations finished and are kept there; finish the calibration with "
        f"privsim calibrate SYNTH --registry {registry} --budget {RESUME_BUDGET} --seed {RESUME_SEED} --resume"
    )
    assert len(json.loads(kept.read_text(encoding="utf-8"))["evaluations"]) == 4
    assert not (tmp_path / "synth.calibrated.yaml").exists()
    seen: list[tuple[int, int]] = []
    simulations = []

    def counted(*args, **kwargs):
        simulations.append(1)
        return run_scenario(*args, **kwargs)

    monkeypatch.setattr("privsim.calibration.calibrate.run_scenario", counted)
    result = calibrate_case(
        registry, "SYNTH", budget=RESUME_BUDGET, seed=RESUME_SEED, progress=lambda *p: seen.append(p), resume=True
    )
    assert seen[0] == (1, RESUME_BUDGET) and seen[3] == (4, RESUME_BUDGET)  # the kept four first
    assert seen[-1] == (expected.evaluations, RESUME_BUDGET) and len(simulations) == expected.evaluations - 4
    assert result.values == expected.values and result.loss == expected.loss
    assert result.start_loss == expected.start_loss and result.evaluations == expected.evaluations
    assert [t.simulated for t in result.targets] == [t.simulated for t in expected.targets]
    assert result.files.calibrated.read_text(encoding="utf-8") == calibrated
    assert not kept.exists()


def test_a_calibration_interrupted_before_an_evaluation_finished_keeps_nothing(tmp_path, monkeypatch):
    registry = resume_case(tmp_path)

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("privsim.calibration.calibrate.run_scenario", ctrl_c)  # during the first evaluation
    with pytest.raises(Interrupted, match=r"^stopped before an evaluation finished; nothing was kept$"):
        calibrate_case(registry, "SYNTH", budget=RESUME_BUDGET, seed=RESUME_SEED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmarks.yaml", "synth.yaml"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("--seed", "different seed"),
        ("--budget", "different budget"),
        ("scenario", "different scenario_sha256"),
        ("target", "different targets"),
    ],
)
def test_resume_refuses_another_calibration_and_a_new_one_refuses_the_kept_file(change, words, tmp_path):
    registry = resume_case(tmp_path)
    with pytest.raises(Interrupted):
        calibrate_case(registry, "SYNTH", budget=RESUME_BUDGET, seed=RESUME_SEED, progress=stop_after(2))
    options = ["--budget", RESUME_BUDGET, "--seed", RESUME_SEED]
    if change == "--seed":
        options[3] = RESUME_SEED + 1
    elif change == "--budget":
        options[1] = RESUME_BUDGET + 1
    elif change == "scenario":
        scenario = tmp_path / "synth.yaml"
        scenario.write_text(scenario.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    else:
        text = registry.read_text(encoding="utf-8").replace("tolerance: 0.05", "tolerance: 0.06")
        registry.write_text(text, encoding="utf-8")
    line = error_line("calibrate", "SYNTH", "--registry", registry, *options, "--resume")
    assert "kept evaluations of another calibration" in line and words in line, line
    line = error_line("calibrate", "SYNTH", "--registry", registry, "--budget", RESUME_BUDGET, "--seed", RESUME_SEED)
    assert line == (
        f"error: {tmp_path / 'synth.calibration-evaluations.json'}: kept evaluations of an interrupted calibration; "
        f"finish it with privsim calibrate SYNTH --registry {registry} --budget {RESUME_BUDGET} --seed {RESUME_SEED} "
        "--resume, or remove the file to start again"
    )
    assert len(json.loads((tmp_path / "synth.calibration-evaluations.json").read_text("utf-8"))["evaluations"]) == 2


def test_resume_without_a_kept_file_is_one_error_line(tmp_path):
    registry = resume_case(tmp_path)
    line = error_line("calibrate", "SYNTH", "--registry", registry, "--budget", RESUME_BUDGET, "--resume")
    assert line == (
        "error: --resume = True — no interrupted calibration to resume: "
        f"{tmp_path / 'synth.calibration-evaluations.json'} does not exist"
    )


@pytest.mark.slow
def test_sigterm_stops_a_calibration_and_resume_finishes_it(uninterrupted, tmp_path):
    expected, calibrated = uninterrupted
    registry = resume_case(tmp_path)
    options = ["calibrate", "SYNTH", "--registry", registry, "--budget", RESUME_BUDGET, "--seed", RESUME_SEED]
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    with subprocess.Popen(
        [str(PRIVSIM), *map(str, [*options, "--jobs", 1])], stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:  # one progress line per evaluation (stderr is not a terminal)
            if line.startswith(f"calibrating: 3/{RESUME_BUDGET} evaluations"):
                proc.send_signal(signal.SIGTERM)
                break
        assert proc.wait(timeout=60) == 130
        last = proc.stderr.read().strip().splitlines()[-1]
    assert re.fullmatch(
        rf"interrupted: .*synth\.calibration-evaluations\.json: [34] of {RESUME_BUDGET} evaluations finished and are "
        rf"kept there; finish the calibration with privsim calibrate SYNTH --registry .* --resume",
        last,
    ), last
    result = privsim_subprocess(*options, "--resume", cwd=tmp_path, columns=200, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{expected.evaluations} evaluations of {RESUME_BUDGET}" in result.stdout
    assert (tmp_path / "synth.calibrated.yaml").read_text(encoding="utf-8") == calibrated
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or "evaluations" in p.name) == []
