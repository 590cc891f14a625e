"""Reading a results folder back (``privsim.load_results``) and the figures of ``privsim.reporting.plots``.

The results are made once per module by a small run: ``scenarios/quickstart.yaml``
shrunk to 180 days and 1/20 of its members and leads, 3 replications. The
figures are checked against the tables they come from (lines per strategy,
plotted values equal to the timeseries, summary and differences tables), and
as images (PNG of the expected size, not blank). The funnel's two paths
(per-channel flows, or totals only) are checked on small synthetic tables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import json
import logging
import math
import shutil
import struct
import warnings
from pathlib import Path

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib import ft2font
from typer.testing import CliRunner

import privsim
from helpers import ROOT
from privsim.cli import app
from privsim.core.errors import PrivsimError
from privsim.reporting import figure_data, plots, style
from privsim.results import FORMAT_VERSION, TABLES, Results, load_results
from privsim.runner import Run, run_scenario

QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
PIXELS = (round(plots.FIGSIZE[0] * plots.DPI), round(plots.FIGSIZE[1] * plots.DPI))


def tiny_quickstart_text() -> str:
    """quickstart.yaml shrunk: 180 days, initial counts and leads per day / 20."""
    data = yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))
    data["horizon_days"] = 180
    for group in data["population"]["initial"]:
        group["count"] //= 20
    for channel in data["channels"]:
        channel["leads_per_day"] /= 20
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def make_run(replications: int = 3) -> Run:
    text = tiny_quickstart_text()
    return run_scenario(privsim.parse_scenario(yaml.safe_load(text)), text, replications=replications, jobs=1)


def make_results(folder: Path) -> Results:
    """A small run written to ``folder`` and read back."""
    make_run().write(folder)
    return load_results(folder)


@pytest.fixture(scope="module")
def run_and_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Results]:
    run = make_run()
    folder = run.write(tmp_path_factory.mktemp("plots") / "tiny")
    return run, load_results(folder)


@pytest.fixture(scope="module")
def results(run_and_results: tuple[Run, Results]) -> Results:
    return run_and_results[1]


@pytest.fixture(scope="module")
def figure_files(results: Results, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return plots.write_figures(results, tmp_path_factory.mktemp("figures"), "png")


# ---------------------------------------------------------------------------
# load_results


def test_load_results_round_trips_what_run_wrote(run_and_results: tuple[Run, Results]) -> None:
    run, loaded = run_and_results
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(run.tables, name), check_exact=True, obj=name)
    manifest = dict(loaded.manifest)
    assert manifest.pop("format_version") == FORMAT_VERSION
    assert manifest.pop("table_format") == "csv"
    assert set(manifest.pop("files")) == {"scenario.yaml", *(f"{name}.csv" for name in TABLES)}
    assert manifest == json.loads(json.dumps(run.manifest()))
    assert loaded.strategies == run.strategies and loaded.baseline == run.strategies[0]
    assert loaded.scenario_name == "quickstart" and loaded.seed == run.seed
    assert dataclasses.is_dataclass(loaded) and loaded.__dataclass_params__.frozen


def test_load_results_is_exported() -> None:
    assert privsim.load_results is load_results
    assert "load_results" in privsim.__all__


def _break_no_manifest(folder: Path) -> None:
    (folder / "manifest.json").unlink()


def _break_manifest_json(folder: Path) -> None:
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")


def _break_format_version(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _break_missing_table(folder: Path) -> None:
    (folder / "cohorts.csv").unlink()


def _break_missing_column(folder: Path) -> None:
    table = pd.read_csv(folder / "summary.csv")
    table.drop(columns="ci_low").to_csv(folder / "summary.csv", index=False)
    rehash(folder)


def _break_changed_file(folder: Path) -> None:
    path = folder / "replications.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ",1", 1), encoding="utf-8")


def rehash(folder: Path) -> None:
    """Record the folder's files' current SHA-256 in its manifest (after a test changed one on purpose)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in manifest["files"]}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


BREAKS = {
    "no manifest": (_break_no_manifest, "manifest.json"),
    "manifest not json": (_break_manifest_json, "manifest.json"),
    "format version": (_break_format_version, f"format_version = {FORMAT_VERSION + 1}"),
    "missing table": (_break_missing_table, "cohorts.csv"),
    "missing column": (_break_missing_column, "ci_low"),
    "changed file": (_break_changed_file, "replications.csv: SHA-256"),
}


def broken_copy(results: Results, tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(results.path, folder)
    BREAKS[kind][0](folder)
    return folder


@pytest.mark.parametrize("kind", BREAKS)
def test_load_results_refuses_bad_folder(results: Results, tmp_path: Path, kind: str) -> None:
    folder = broken_copy(results, tmp_path, kind)
    with pytest.raises(PrivsimError) as err:
        load_results(folder)
    message = str(err.value)
    assert "\n" not in message
    assert str(folder) in message and BREAKS[kind][1] in message


def test_load_results_refuses_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(PrivsimError, match="no such folder"):
        load_results(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    with pytest.raises(PrivsimError, match="is not a folder"):
        load_results(tmp_path / "file.txt")


# ---------------------------------------------------------------------------
# Images


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_every_figure_as_png_of_the_expected_size(figure_files: list[Path]) -> None:
    assert [p.name for p in figure_files] == [f"{name}.png" for name in plots.FIGURES]
    for path in figure_files:
        data = path.read_bytes()
        assert png_size(data) == PIXELS, path.name
        assert len(data) > 20_000, path.name
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[:2] == PIXELS[::-1]
        colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
        assert len(colours) > 50, f"{path.name} looks blank"


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_other_formats(results: Results, fmt: str, magic: bytes) -> None:
    data = plots.render(plots.gmv_profit(results), fmt)
    assert data.startswith(magic) and len(data) > 10_000
    assert plots.render(plots.gmv_profit(results), fmt) == data  # no timestamps


def test_unknown_format_is_refused(results: Results) -> None:
    with pytest.raises(PrivsimError, match="'gif'"):
        plots.render_all(results, "gif")


# ---------------------------------------------------------------------------
# Every figure: title, labels with units, legend, footer, colours


@pytest.fixture(scope="module")
def figures(results: Results) -> dict:
    return {name: draw(results) for name, draw in plots.FIGURES.items()}


def test_every_figure_has_title_labels_legend_and_footer(figures: dict, results: Results) -> None:
    for name, fig in figures.items():
        assert fig.get_suptitle(), name
        footer = fig.get_supxlabel()
        assert f"scenario {results.scenario_name}" in footer and f"seed {results.seed}" in footer, name
        assert fig.legends and fig.legends[0].get_texts(), name
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert all(ax.get_xlabel() for ax in axes), name
        assert any(ax.get_ylabel() for ax in axes), name


UNITS = {
    "gmv_profit": ["(RMB per month)"],
    "members_by_state": ["members"],
    "tier_mix": ["share"],
    "cohort_retention": ["share"],
    "differences": ["(RMB)", "(members)"],
    "funnel": ["(members)", "(orders)"],
}


def test_axis_labels_carry_units(figures: dict) -> None:
    for name, units in UNITS.items():
        fig = figures[name]
        labels = " ".join(
            [ax.get_xlabel() + " " + ax.get_ylabel() for ax in fig.axes]
            + [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
        )
        for unit in units:
            assert unit in labels, (name, unit)


def test_a_strategy_has_one_colour_in_every_figure(figures: dict, results: Results) -> None:
    colours = {k: mcolors.to_hex(v) for k, v in style.strategy_colours(results.strategies).items()}
    assert len(set(colours.values())) == len(colours)
    for name in ("gmv_profit", "cohort_retention", "differences", "funnel"):
        legend = figures[name].legends[0]
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
            colour = handle.get_color() if hasattr(handle, "get_color") else handle.get_facecolor()
            assert mcolors.to_hex(colour) == colours[text.get_text()], (name, text.get_text())
    for name in ("members_by_state", "tier_mix"):
        for ax, strategy in zip(figures[name].axes, results.strategies, strict=True):
            assert ax.get_title() == strategy
            assert mcolors.to_hex(ax.title.get_color()) == colours[strategy]


def test_figures_leave_matplotlib_settings_alone(results: Results) -> None:
    before = dict(matplotlib.rcParams)
    plots.tier_mix(results)
    assert dict(matplotlib.rcParams) == before


# ---------------------------------------------------------------------------
# Plotted data equals the tables


def strategy_lines(ax) -> list:
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_gmv_profit_lines_equal_the_tables(figures: dict, results: Results) -> None:
    fig = figures["gmv_profit"]
    ts = results.timeseries
    summary = results.summary.set_index(["strategy", "metric"])
    for ax, metric in zip(fig.axes, ("gmv_rmb", "profit_rmb"), strict=True):
        lines = strategy_lines(ax)
        assert [line.get_label() for line in lines] == results.strategies
        for line in lines:
            rows = ts[(ts["metric"] == metric) & (ts["strategy"] == line.get_label())]
            expected = rows.groupby("month")["value"].mean().to_numpy()
            np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
            # the months add up to the summary table's total over the horizon
            total = summary.loc[(line.get_label(), metric), "mean"]
            assert math.isclose(np.sum(line.get_ydata()), total, rel_tol=1e-9, abs_tol=1e-6)


def stack_tops(ax) -> np.ndarray:
    """Upper edge of each stacked layer at the last month: cumulative sums, bottom layer first."""
    tops = []
    for layer in ax.collections:
        vertices = layer.get_paths()[0].vertices
        last_x = vertices[:, 0].max()
        tops.append(vertices[np.isclose(vertices[:, 0], last_x), 1].max())
    return np.array(tops)


def test_members_by_state_stack_equals_the_summary(figures: dict, results: Results) -> None:
    fig = figures["members_by_state"]
    summary = results.summary.set_index(["strategy", "metric"])["mean"]
    assert len(fig.axes) == len(results.strategies)
    for ax, strategy in zip(fig.axes, results.strategies, strict=True):
        assert [c.get_label() for c in ax.collections] == list(plots.STATE_COLOURS)
        expected = [summary[(strategy, f"members_{state}")] for state in plots.STATE_COLOURS]
        np.testing.assert_allclose(np.diff(stack_tops(ax), prepend=0.0), expected, rtol=1e-9)


def test_tier_mix_shares_add_up_to_one(figures: dict, results: Results) -> None:
    tiers = [m.removeprefix("tier.") for m in results.timeseries["metric"].unique() if m.startswith("tier.")]
    summary = results.summary.set_index(["strategy", "metric"])["mean"]
    for ax, strategy in zip(figures["tier_mix"].axes, results.strategies, strict=True):
        assert [c.get_label() for c in ax.collections] == tiers
        tops = stack_tops(ax)
        assert math.isclose(tops[-1], 1.0)
        # shares at the end ≈ the summary's last-month tier counts over their sum (replications differ a little)
        counts = np.array([summary[(strategy, f"tier.{t}")] for t in tiers])
        np.testing.assert_allclose(np.diff(tops, prepend=0.0), counts / counts.sum(), atol=0.02)


def test_cohort_retention_pooled_lines_equal_the_cohorts_table(figures: dict, results: Results) -> None:
    pooled_ax = figures["cohort_retention"].axes[0]
    lines = strategy_lines(pooled_ax)
    assert [line.get_label() for line in lines] == results.strategies
    cohorts = results.cohorts
    for line in lines:
        rows = cohorts[cohorts["strategy"] == line.get_label()]
        sums = rows.groupby(["replication", "months_since_join"])[["active", "cohort_size"]].sum()
        expected = (sums["active"] / sums["cohort_size"]).groupby(level="months_since_join").mean()
        np.testing.assert_array_equal(line.get_xdata(), expected.index.to_numpy())
        np.testing.assert_allclose(line.get_ydata(), expected.to_numpy(), rtol=1e-12)
        assert np.all((line.get_ydata() >= 0) & (line.get_ydata() <= 1))


def test_differences_points_equal_the_differences_table(figures: dict, results: Results) -> None:
    fig = figures["differences"]
    table = results.differences.set_index(["strategy", "metric"])
    others = results.strategies[1:]
    assert len(fig.axes) == len(plots.DIFFERENCE_METRICS)
    for ax, metric in zip(fig.axes, plots.DIFFERENCE_METRICS, strict=True):
        points = ax.containers  # one errorbar per strategy: its data line is the point
        assert [c.get_label() for c in points] == others
        for container in points:
            row = table.loc[(container.get_label(), metric)]
            assert container.lines[0].get_xdata()[0] == pytest.approx(row["mean"])
        # the error bars span the CI
        segments = [seg for coll in ax.collections for seg in coll.get_segments()]
        spans = sorted((round(s[:, 0].min(), 6), round(s[:, 0].max(), 6)) for s in segments)
        expected = sorted(tuple(round(table.loc[(s, metric), c], 6) for c in ("ci_low", "ci_high")) for s in others)
        assert spans == expected


def test_differences_with_one_strategy_says_so(results: Results) -> None:
    one = dataclasses.replace(results, manifest={**results.manifest, "strategies": results.strategies[:1]})
    fig = plots.differences(one)
    assert any("nothing to compare" in t.get_text() for ax in fig.axes for t in ax.texts)
    assert plots.render(fig).startswith(b"\x89PNG")


# ---------------------------------------------------------------------------
# Funnel: per channel, or totals only (synthetic tables)


def synthetic(values: dict[str, list[float]], strategies=("a", "b")) -> Results:
    """Results whose replications table holds ``values[metric]`` for replications 0, 1 (strategy b: doubled)."""
    rows = [
        (strategy, rep, metric, value * (1 + k))
        for k, strategy in enumerate(strategies)
        for metric, per_rep in values.items()
        for rep, value in enumerate(per_rep)
    ]
    empty = pd.DataFrame()
    return Results(
        path=Path("synthetic"),
        manifest={"strategies": list(strategies), "seed": 7, "replications": 2, "scenario": {"name": "syn"}},
        timeseries=empty,
        replications=pd.DataFrame(rows, columns=["strategy", "replication", "metric", "value"]),
        summary=empty,
        differences=empty,
        cohorts=empty,
    )


TOTALS = {"leads": [1000, 1100], "added": [200, 220], "first_orders": [100, 90], "orders": [400, 410]}
PER_CHANNEL = {
    **TOTALS,
    "leads.card": [600, 700],
    "added.card": [150, 160],
    "first_orders.card": [80, 70],
    "repeat_orders.card": [120, 110],
    "leads.sms": [400, 400],
    "added.sms": [50, 60],
    "first_orders.sms": [20, 20],
    "repeat_orders.sms": [30, 50],
}


def bar_widths(ax) -> dict[str, list[float]]:
    return {c.get_label(): [bar.get_width() for bar in c] for c in ax.containers if hasattr(c, "patches")}


def test_funnel_per_channel() -> None:
    results = synthetic(PER_CHANNEL)
    fig = plots.funnel(results)
    assert [ax.get_title() for ax in fig.axes] == ["channel card", "channel sms"]
    for ax, channel in zip(fig.axes, ("card", "sms"), strict=True):
        widths = bar_widths(ax)
        assert list(widths) == ["a", "b"]
        for k, strategy in enumerate(("a", "b")):
            expected = [np.mean(PER_CHANNEL[f"{step}.{channel}"]) * (1 + k) for step in figure_data.FUNNEL_STEPS]
            np.testing.assert_allclose(widths[strategy], expected)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "155 (23.8%)" in labels  # added ÷ leads of channel card, strategy a: 155 / 650
    assert "115 (1.53 per buyer)" in labels  # repeat orders per first buyer: 115 / 75


@pytest.mark.parametrize(
    "values", [TOTALS, {**TOTALS, "leads.card": [1, 1]}], ids=["no channels", "incomplete channel"]
)
def test_funnel_falls_back_to_totals(values: dict) -> None:
    fig = plots.funnel(synthetic(values))
    assert len(fig.axes) == 1 and fig.axes[0].get_title().startswith("all channels")
    assert "all channels" in fig.get_suptitle()
    widths = bar_widths(fig.axes[0])
    for k, strategy in enumerate(("a", "b")):
        expected = [1050, 210, 95, 310]  # leads, added, first_orders, orders - first_orders (means)
        np.testing.assert_allclose(widths[strategy], np.array(expected) * (1 + k))
    # no conversion rates: the totals include the day-0 members, so the steps are not nested
    assert [t.get_text() for t in fig.axes[0].texts][:4] == ["1.05k", "210", "95", "310"]


def test_funnel_of_the_run_is_per_channel_and_equals_the_summary(figures: dict, results: Results) -> None:
    fig = figures["funnel"]
    channels = [m.removeprefix("leads.") for m in results.replications["metric"].unique() if m.startswith("leads.")]
    if not channels:
        pytest.skip("this engine does not count flows per channel")
    summary = results.summary.set_index(["strategy", "metric"])["mean"]
    assert [ax.get_title() for ax in fig.axes] == [f"channel {c}" for c in channels]
    for ax, channel in zip(fig.axes, channels, strict=True):
        widths = bar_widths(ax)
        for strategy in results.strategies:
            expected = [summary[(strategy, f"{step}.{channel}")] for step in figure_data.FUNNEL_STEPS]
            np.testing.assert_allclose(widths[strategy], expected, rtol=1e-9)


def test_compact_numbers() -> None:
    assert style.compact(1_234_567) == "1.23M"
    assert style.compact(-26_140_000, signed=True) == "-26.1M"
    assert style.compact(2010, signed=True) == "+2.01k"
    assert style.compact(999_950) == "1000k"
    assert style.compact(0) == "0" and style.compact(float("nan")) == "n/a"


# ---------------------------------------------------------------------------
# CLI: privsim plot, privsim run --plot


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_cli_plot_writes_the_figures(results: Results, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    proc = invoke("plot", results.path, "--format", "svg", "--out", out)
    assert proc.exit_code == 0, proc.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.svg" for name in plots.FIGURES)
    assert "Figures written to" in proc.output


def assert_bad_folder_refused(command: str, results: Results, tmp_path: Path, kind: str) -> None:
    """``privsim COMMAND`` on a broken copy of the results: exit 2, one ``error:`` line naming it, nothing written."""
    folder = broken_copy(results, tmp_path, kind)
    before = sorted(p.name for p in folder.iterdir())
    proc = invoke(command, folder)
    assert proc.exit_code == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(folder) in lines[0]
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("kind", BREAKS)
def test_cli_plot_bad_folder_exits_2_and_writes_nothing(results: Results, tmp_path: Path, kind: str) -> None:
    assert_bad_folder_refused("plot", results, tmp_path, kind)


def test_cli_plot_bad_format_exits_2(results: Results, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    proc = invoke("plot", results.path, "--format", "gif", "--out", out)
    assert proc.exit_code == 2
    assert proc.stderr.strip() == "error: --format = 'gif' — must be one of png, svg, pdf"
    assert not out.exists()


def test_cli_run_plot(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(tiny_quickstart_text(), encoding="utf-8")
    out = tmp_path / "out"
    proc = invoke("run", scenario, "-n", 2, "-s", "none", "-s", "nurture", "-j", 1, "--out", out, "--plot")
    assert proc.exit_code == 0, proc.output
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(f"{name}.png" for name in plots.FIGURES)
    assert load_results(out).strategies == ["none", "nurture"]


@pytest.mark.parametrize("command", ["plot", "report"])
def test_help_has_example(command: str) -> None:
    proc = invoke(command, "--help")
    assert proc.exit_code == 0
    assert f"Example: privsim {command} " in proc.output


# ---------------------------------------------------------------------------
# Chinese names, notebooks, colours

CHINESE = {"none": "不运营", "clearance": "清仓", "nurture": "精细化运营"}


def renamed(results: Results, names: dict[str, str]) -> Results:
    """``results`` with its strategies (and its scenario) renamed."""

    def rename(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in ("strategy", "baseline"):
            if column in table.columns:
                table[column] = table[column].map(lambda s: names.get(s, s))
        return table

    manifest = {
        **results.manifest,
        "strategies": [names.get(s, s) for s in results.strategies],
        "scenario": {**results.manifest["scenario"], "name": "母婴连锁：私域"},
    }
    return dataclasses.replace(results, manifest=manifest, **{name: rename(getattr(results, name)) for name in TABLES})


def test_chinese_strategy_names_render_with_no_missing_glyph(
    results: Results, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    chinese = renamed(results, CHINESE)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, logger="matplotlib"):
        warnings.simplefilter("always")
        for fmt in ("png", "svg", "pdf"):
            plots.render(plots.differences(chinese), fmt)
        plots.render(plots.members_by_state(chinese))  # bold panel titles in Chinese
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any("findfont" in r.getMessage() for r in caplog.records)
    assert capfd.readouterr().err == ""
    # the shipped font has every character of the names, in both weights
    for font in style.SHIPPED_CJK_FONTS:
        with importlib.resources.as_file(font) as path:
            cmap = ft2font.FT2Font(str(path)).get_charmap()
        assert all(ord(c) in cmap for name in CHINESE.values() for c in name + "：私域母婴连锁"), font.name
    assert style.STYLE["font.family"][:2] == ["DejaVu Sans", style.SHIPPED_CJK_FAMILY]


def test_a_glyph_outside_every_font_is_caught_by_the_same_check(results: Results) -> None:
    """The check above can fail: a character no font has (a private-use one) warns 'Glyph ... missing'."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plots.render(plots.differences(renamed(results, {"clearance": "\ue000"})))
    assert any("missing from font" in str(w.message) for w in caught)


def test_figures_show_as_png_in_a_notebook(results: Results) -> None:
    fig = plots.cohort_retention(results)
    assert isinstance(fig, plots.PrivsimFigure)
    data = fig._repr_png_()
    assert png_size(data) == PIXELS and data == plots.render(fig, "png")


def test_colours_are_the_figures_colours_in_run_order(results: Results, figures: dict) -> None:
    colours = plots.colours(results)
    assert list(colours) == results.strategies
    lines = {line.get_label(): mcolors.to_hex(line.get_color()) for line in figures["gmv_profit"].axes[0].get_lines()}
    assert {name: lines[name] for name in results.strategies} == colours
    assert colours[results.baseline] == "#1f77b4"  # tab10's first colour
