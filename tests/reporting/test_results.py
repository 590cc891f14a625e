"""The results folder: tidy breakdown and unit columns, month_start as a date, Parquet tables, hashes checked
on load, format 1 still read, the manifest's versions and resolved scenario, Chinese names and the folder slug.

The results come from the same small run as ``test_plots`` (made once for this module).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_plots import invoke, make_run, rehash, tiny_quickstart_text

import privsim
from privsim import metrics
from privsim.core.errors import PrivsimError
from privsim.results import COLUMNS, DESCRIPTION_COLUMNS, TABLES, Results, load_results
from privsim.runner import Run, default_out_dir, dependency_versions, slug


@pytest.fixture(scope="module")
def run() -> Run:
    return make_run(replications=2)


@pytest.fixture(scope="module")
def results(run: Run, tmp_path_factory: pytest.TempPathFactory) -> Results:
    return load_results(run.write(tmp_path_factory.mktemp("results") / "tiny"))


def test_breakdowns_are_columns_not_strings_to_parse(results: Results) -> None:
    summary = results.summary
    pool = summary[(summary["measure"] == "added") & (summary["pool"] != "")]
    assert set(pool["pool"]) == {"personal", "wecom"}
    assert set(pool["metric"]) == {"by_pool.added.personal", "by_pool.added.wecom"}
    assert (pool[["tier", "channel"]] == "").all().all()
    tier_gmv = summary[(summary["measure"] == "gmv_list_rmb") & (summary["tier"] != "")]
    assert set(tier_gmv["metric"]) == {f"by_tier.gmv_list_rmb.{t}" for t in tier_gmv["tier"]}
    assert (tier_gmv["unit"] == "RMB").all()
    # a breakdown adds up to its total, found by columns alone
    for strategy in results.strategies:
        reps = results.replications[results.replications["strategy"] == strategy]
        total = reps[(reps["measure"] == "gmv_list_rmb") & (reps["tier"] == "") & (reps["pool"] == "")]
        by_tier = reps[(reps["measure"] == "gmv_list_rmb") & (reps["tier"] != "")].groupby("replication")["value"].sum()
        pd.testing.assert_series_equal(by_tier, total.set_index("replication")["value"], check_names=False, rtol=1e-9)
    channels = summary[summary["channel"] != ""]
    assert {"leads", "added", "first_orders", "repeat_orders"} <= set(channels["measure"])


def test_every_metric_has_a_unit_and_a_plain_metric_keeps_its_name(results: Results) -> None:
    for name in TABLES[:4]:
        table = getattr(results, name)
        assert list(table.columns) == list(COLUMNS[name]), name
        assert (table["unit"] != "").all(), name
    summary = results.summary.set_index(["strategy", "metric"])
    row = summary.loc[(results.baseline, "profit_rmb")]
    assert (row["measure"], row["pool"], row["tier"], row["channel"], row["unit"]) == ("profit_rmb", "", "", "", "RMB")
    assert summary.loc[(results.baseline, "repurchase_rate"), "unit"] == "share"
    assert summary.loc[(results.baseline, "repurchase_rate_retained"), "unit"] == "share"
    assert summary.loc[(results.baseline, "active_members"), "unit"] == "members"
    assert summary.loc[(results.baseline, "orders"), "unit"] == "orders"
    assert metrics.split("tier.vip") == ("members_reachable", {"tier": "vip"})
    assert metrics.split("coverage.a.b") == ("coverage", {"channel": "a.b"})


def test_month_start_is_a_date(results: Results, run: Run) -> None:
    month_start = results.timeseries["month_start"]
    assert pd.api.types.is_datetime64_any_dtype(month_start)
    assert month_start.min() == pd.Timestamp(run.scenario.start_date.replace(day=1))
    assert (month_start.dt.day == 1).all()
    assert (results.path / "timeseries.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[3] == "2025-01-01"


def test_rows_in_the_run_strategy_order(results: Results) -> None:
    for name in TABLES:
        order = list(dict.fromkeys(getattr(results, name)["strategy"]))
        assert order == (results.strategies[1:] if name == "differences" else results.strategies), name


def test_parquet_tables_round_trip(run: Run, results: Results, tmp_path: Path) -> None:
    folder = run.write(tmp_path / "pq", table_format="parquet")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json", "scenario.yaml", *(f"{name}.parquet" for name in TABLES)]
    )
    loaded = load_results(folder)
    assert loaded.manifest["table_format"] == "parquet"
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(loaded, name), getattr(results, name), check_dtype=False, check_exact=True, obj=name
        )


def test_unknown_table_format_is_refused(run: Run, tmp_path: Path) -> None:
    with pytest.raises(PrivsimError, match="table format 'xlsx' — must be one of csv, parquet"):
        run.write(tmp_path / "x", table_format="xlsx")  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_load_results_checks_every_hash(results: Results, tmp_path: Path) -> None:
    folder = tmp_path / "changed"
    shutil.copytree(results.path, folder)
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(PrivsimError, match=r"scenario.yaml: SHA-256 .* does not match the manifest's"):
        load_results(folder)
    rehash(folder)
    assert load_results(folder).strategies == results.strategies


def test_format_1_folders_are_still_read(results: Results, tmp_path: Path) -> None:
    """A folder as privsim wrote it before format 2: no measure/breakdown/unit columns, month_start YYYY-MM."""
    folder = tmp_path / "v1"
    shutil.copytree(results.path, folder)
    for name in TABLES:
        table = getattr(results, name).drop(columns=[c for c in DESCRIPTION_COLUMNS if c in COLUMNS[name]])
        if name == "timeseries":
            table = table.assign(month_start=table["month_start"].dt.strftime("%Y-%m"))
        table.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    del manifest["table_format"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rehash(folder)
    old = load_results(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(old, name), getattr(results, name), check_dtype=False, obj=name)


def test_manifest_records_versions_and_the_resolved_scenario(results: Results, run: Run) -> None:
    manifest = results.manifest
    versions = manifest["dependencies"]
    for name in ("numpy", "scipy", "pandas", "simpy", "pydantic", "matplotlib", "typer", "rich", "pyyaml"):
        assert versions[name.lower()] != "not installed", name
    assert versions == dependency_versions()
    resolved = manifest["resolved_scenario"]
    assert resolved == run.scenario.model_dump(mode="json")
    assert privsim.parse_scenario(resolved) == run.scenario  # every default written out: the run as it was
    parameters = {p["path"]: p for p in manifest["parameters"]}
    file = yaml.safe_load(tiny_quickstart_text())
    assert parameters["horizon_days"]["set_in_file"] and parameters["horizon_days"]["value"] == 180
    assert "referral" not in file.get("behaviour", {})
    referral = [p for path, p in parameters.items() if path.startswith("behaviour.referral.")]
    assert referral and not any(p["set_in_file"] for p in referral)
    assert all(p["description"] for p in referral)


def test_a_chinese_scenario_name_is_accepted_and_slugged_for_the_folder(tmp_path: Path) -> None:
    data = yaml.safe_load(tiny_quickstart_text())
    data["name"] = "母婴连锁 私域/2025"
    scenario = privsim.parse_scenario(data)
    assert scenario.name == "母婴连锁 私域/2025"
    out = default_out_dir(tmp_path, scenario.name, "2025-11-25T10:00:00+00:00")
    assert out == tmp_path / "母婴连锁-私域-2025-20251125-100000"
    out.mkdir()
    assert default_out_dir(tmp_path, scenario.name, "2025-11-25T10:00:00+00:00").name.endswith("-2")
    assert slug("../..") == "scenario" and slug("a b\tc") == "a-b-c" and slug("精细化运营") == "精细化运营"


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "tab\there", "\x07bell"])
def test_a_blank_or_control_character_name_is_refused(name: str) -> None:
    data = {**yaml.safe_load(tiny_quickstart_text()), "name": name}
    with pytest.raises(PrivsimError) as err:
        privsim.parse_scenario(data, "s.yaml")
    message = str(err.value)
    assert message.startswith("s.yaml: name = ") and "\n" not in message.replace(repr(name), "")
    assert "must be" in message and "pattern" not in message


def test_cli_run_writes_parquet_tables_and_refuses_an_unknown_format(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    data = yaml.safe_load(tiny_quickstart_text())
    data["horizon_days"] = 60
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = invoke("run", scenario, "-n", "1", "-s", "none", "--tables", "xlsx", "--out", tmp_path / "bad")
    assert proc.exit_code == 2 and proc.stderr.strip() == "error: --tables = 'xlsx' — must be one of csv, parquet"
    assert not (tmp_path / "bad").exists()
    proc = invoke("run", scenario, "-n", "1", "-s", "none", "--tables", "parquet", "--out", tmp_path / "pq")
    assert proc.exit_code == 0, proc.output
    assert load_results(tmp_path / "pq").manifest["table_format"] == "parquet"
    assert (tmp_path / "pq" / "summary.parquet").is_file() and not (tmp_path / "pq" / "summary.csv").exists()


def test_the_manifest_hashes_the_bytes_that_were_run(tmp_path: Path) -> None:
    """A CRLF file is run and kept as it is: scenario.yaml holds its bytes and the manifest their SHA-256."""
    data = yaml.safe_load(tiny_quickstart_text())
    data["horizon_days"] = 30
    raw = yaml.safe_dump(data, allow_unicode=True).replace("\n", "\r\n").encode("utf-8")
    scenario = tmp_path / "crlf.yaml"
    scenario.write_bytes(raw)
    proc = invoke("run", scenario, "-n", "1", "-j", "1", "-s", "none", "--out", tmp_path / "out")
    assert proc.exit_code == 0, proc.output
    results = load_results(tmp_path / "out")
    assert results.manifest["scenario"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert (tmp_path / "out" / "scenario.yaml").read_bytes() == raw
