"""``privsim report``: one self-contained HTML file (figures embedded, nothing external, text escaped).

The results come from the same small run as ``test_plots`` (made once for this module).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_plots import BREAKS, PIXELS, assert_bad_folder_refused, invoke, make_results, png_size

from privsim.core.errors import PrivsimError
from privsim.metrics import HEADLINE, LOWER_IS_BETTER
from privsim.reporting import plots, style
from privsim.reporting.report import build_report, parameter_sources, verdicts, write_report
from privsim.results import Results

VOID = {"meta", "img", "br", "hr", "link", "input", "source"}


class Page(HTMLParser):
    """Collects the tags, their attributes, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.text: list[str] = []
        self.pre: list[str] = []
        self._in_pre = False
        #: (h1/h2/h3, text) in order; (heading before it, rows of cell texts) per table.
        self.headings: list[tuple[str, str]] = []
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._in_heading = self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        self._in_pre = tag == "pre"
        if self._in_pre:
            self.pre.append("")
        if tag in ("h1", "h2", "h3"):
            self.headings.append((tag, ""))
            self._in_heading = True
        elif tag == "table":
            self.tables.append((self.headings[-1][1] if self.headings else "", []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][1][-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()
        self._in_pre = False
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False
        elif tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_pre:
            self.pre[-1] += data
        if self._in_heading:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)
        if self._in_cell:
            self.tables[-1][1][-1][-1] += data

    def table_after(self, heading: str) -> list[list[str]]:
        """The rows (cell texts) of the first table under ``heading``."""
        return next(rows for before, rows in self.tables if before == heading)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert page.open == [], f"unclosed: {page.open}"
    return page


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return make_results(tmp_path_factory.mktemp("report") / "tiny")


@pytest.fixture(scope="module")
def report_path(results: Results) -> Path:
    proc = invoke("report", results.path)
    assert proc.exit_code == 0, proc.output
    path = results.path / "report.html"
    assert f"Report written to {path}" in proc.output
    return path


@pytest.fixture(scope="module")
def page(report_path: Path) -> Page:
    return parse(report_path.read_text(encoding="utf-8"))


def test_report_embeds_every_figure_as_png(page: Page) -> None:
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(plots.FIGURES)
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        data = base64.b64decode(attrs["src"][len(prefix) :], validate=True)
        assert png_size(data) == PIXELS and len(data) > 20_000
        assert attrs["alt"]
    assert [attrs["id"] for tag, attrs in page.tags if tag == "figure"] == list(plots.FIGURES)


def test_report_has_no_external_references(report_path: Path, page: Page) -> None:
    text = report_path.read_text(encoding="utf-8")
    assert not {tag for tag, _ in page.tags} & {"link", "script", "iframe", "object", "embed"}
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "action", "data"):
            if name in attrs:
                assert attrs[name].startswith("data:") or attrs[name].startswith("#"), (tag, name)
    assert "url(" not in text and "@import" not in text
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)


def test_report_shows_summary_comparison_and_manifest(page: Page, results: Results) -> None:
    text = " ".join(page.text)
    for heading in ("Scenario", "Comparison", "Figures", "Manifest"):
        assert heading in text
    for strategy in results.strategies:
        assert strategy in text
    summary = results.summary.set_index(["strategy", "metric"])
    for strategy in results.strategies:
        assert style.compact(summary.loc[(strategy, "gmv_rmb"), "mean"]) in text
    differences = results.differences.set_index(["strategy", "metric"])
    for strategy in results.strategies[1:]:
        assert f"{strategy} − {results.baseline}" in text
        assert style.compact(differences.loc[(strategy, "profit_rmb"), "mean"], signed=True) in text
    manifests = [json.loads(block) for block in page.pre if block.lstrip().startswith("{")]
    assert manifests == [results.manifest]
    assert any("horizon_days:" in block for block in page.pre)  # the scenario file as run


def test_report_escapes_text(results: Results, tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>&'
    folder = tmp_path / "evil"
    shutil.copytree(results.path, folder)
    (folder / "scenario.yaml").write_text(f"name: q\ndescription: '{evil}'\n", encoding="utf-8")
    manifest = {**results.manifest, "scenario": {"name": evil, "file": evil}}
    tricky = dataclasses.replace(results, path=folder, manifest=manifest)
    text = build_report(tricky, images={})
    assert "<script>" not in text and 'alert("x")' not in text
    assert html.escape(evil) in text
    parse(text)


def test_write_report_to_a_chosen_file(results: Results, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "colleague.html"
    proc = invoke("report", results.path, "--out", out)
    assert proc.exit_code == 0, proc.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["colleague.html"]  # no temporary file left


def test_write_report_refuses_a_folder(results: Results, tmp_path: Path) -> None:
    with pytest.raises(PrivsimError, match="is a folder"):
        write_report(results, tmp_path)


@pytest.mark.parametrize("kind", BREAKS)
def test_cli_report_bad_folder_exits_2_and_writes_nothing(results: Results, tmp_path: Path, kind: str) -> None:
    assert_bad_folder_refused("report", results, tmp_path, kind)


def test_cli_report_not_a_results_folder(tmp_path: Path) -> None:
    proc = invoke("report", tmp_path)
    assert proc.exit_code == 2
    assert proc.stderr.strip() == f"error: {tmp_path}: not a results folder (no manifest.json)"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# What a colleague reads: summary, caveat, definitions, assumptions, inputs, manifest last


def headings(page: Page) -> list[str]:
    return [text for tag, text in page.headings if tag == "h2"]


def test_sections_in_reading_order_and_the_manifest_last(page: Page) -> None:
    assert headings(page) == [
        "Executive summary",
        "Scenario",
        "Comparison",
        "Figures",
        "Metric definitions",
        "Assumptions actually used",
        "Scenario inputs",
        "Scenario file",
        "Manifest",
    ]


def test_executive_summary_names_each_winner_its_lead_and_how_sure(results: Results, page: Page) -> None:
    found = {v.metric: v for v in verdicts(results)}
    reps = results.replications
    finite = [m for m in HEADLINE if reps.loc[reps["metric"] == m, "value"].notna().any()]
    assert list(found) == finite and "gmv_rmb" in finite  # the 180-day run has no repurchase window
    for metric, v in found.items():
        means = reps[reps["metric"] == metric].groupby("strategy")["value"].mean()
        best = means.min() if metric in LOWER_IS_BETTER else means.max()
        assert means[v.winner] == best and v.winner_mean == best
        assert v.runner_up != v.winner and v.runner_up is not None
        others = means.drop(v.winner)
        assert v.runner_up_mean == (others.min() if metric in LOWER_IS_BETTER else others.max())
        paired = reps[reps["metric"] == metric].pivot_table(index="replication", columns="strategy", values="value")
        diff = paired[v.winner] - paired[v.runner_up]
        assert v.difference == pytest.approx(diff.mean()) and v.n == len(diff)
        assert v.ci_low <= v.difference <= v.ci_high
        assert v.wins == int(((-diff if metric in LOWER_IS_BETTER else diff) > 0).sum())
    gmv = found["gmv_rmb"]
    text = " ".join(page.text)
    assert f"{style.compact(gmv.difference, signed=True)} ({gmv.relative * 100:+.1f} %) over {gmv.runner_up}" in text
    assert f"better in {gmv.wins} of {gmv.n} replications" in text
    assert ("clear;" in text) == any(v.clear for v in found.values())
    for metric in found:  # every row says which way wins, ties and single strategies too
        direction = "lowest" if metric in LOWER_IS_BETTER else "highest"
        assert f"{HEADLINE[metric]} ({direction} wins)" in text


def test_an_uncalibrated_scenario_gets_a_caveat_and_a_calibrated_one_not(results: Results, tmp_path: Path) -> None:
    text = build_report(results, images={})
    assert "Uncalibrated scenario." in text
    folder = tmp_path / "calibrated"
    shutil.copytree(results.path, folder)
    scenario = folder / "scenario.yaml"
    scenario.write_text("# calibrated by privsim calibrate X on 2026-01-01\n" + scenario.read_text(encoding="utf-8"))
    calibrated = dataclasses.replace(results, path=folder)
    assert "Uncalibrated scenario." not in build_report(calibrated, images={})


def test_assumptions_list_every_behaviour_value_and_whether_the_file_set_it(results: Results, page: Page) -> None:
    rows = page.table_after("Assumptions actually used")
    by_path = {row[0]: row for row in rows[1:]}
    recorded = [p for p in results.manifest["parameters"] if p["path"].startswith(("population", "behaviour"))]
    assert recorded and all(p["path"] in by_path for p in recorded)
    for p in recorded:
        source = by_path[p["path"]][2]
        assert source == ("set in the file" if p["set_in_file"] else "privsim default (not in the file)"), p
    # the referral behaviour the quickstart never writes is shown as privsim's default
    referral = [row for path, row in by_path.items() if path.startswith("behaviour.referral.")]
    assert referral and all(row[2].startswith("privsim default") for row in referral)
    assert by_path["population.initial[0].count"][2] == "set in the file"


def test_inputs_show_channels_and_every_strategy_with_its_policies(results: Results, page: Page) -> None:
    text = " ".join(page.text)
    channels = results.manifest["resolved_scenario"]["channels"]
    rows = page.table_after("channels")
    assert [row[0] for row in rows[1:]] == [c["name"] for c in channels]
    strategies = page.table_after("strategies")
    resolved = results.manifest["resolved_scenario"]["strategies"]
    assert len(strategies) == len(resolved) + 1
    for row, strategy in zip(strategies[1:], resolved, strict=True):
        assert row[0] == strategy["name"] + strategy["description"]
        for policy in strategy["policies"]:  # every parameter, defaults included
            settings = [
                f"{k} = {v}" for k, v in policy.items() if k != "kind" and not isinstance(v, (float, list, dict))
            ]
            assert policy["kind"] in row[1] and all(s in row[1] for s in settings), (policy, row[1])
    assert "clearance" in text


def test_definitions_cover_every_headline_metric(page: Page) -> None:
    rows = page.table_after("Metric definitions")
    assert [row[0] for row in rows[1:]] == [f"{label}{metric}" for metric, label in HEADLINE.items()]
    assert all(len(row[1]) > 20 for row in rows[1:])


def test_a_folder_without_recorded_parameters_reads_them_from_its_scenario(results: Results) -> None:
    manifest = {k: v for k, v in results.manifest.items() if k != "parameters"}
    old = dataclasses.replace(results, manifest=manifest)
    assert parameter_sources(old) == parameter_sources(results)


def test_inputs_show_each_phase_of_a_strategy_with_its_policies(results: Results) -> None:
    """A strategy in phases lists each phase's start (and end) above its policies; one without phases is unchanged."""
    parameters = [
        {"path": "strategies[0].name", "value": "flat"},
        {"path": "strategies[0].policies[0].kind", "value": "nurture"},
        {"path": "strategies[0].phases", "value": []},
        {"path": "strategies[1].name", "value": "switch"},
        {"path": "strategies[1].policies", "value": []},
        {"path": "strategies[1].phases[0].name", "value": "clearance era"},
        {"path": "strategies[1].phases[0].start_day", "value": 0},
        {"path": "strategies[1].phases[0].start_date", "value": None},
        {"path": "strategies[1].phases[0].end_date", "value": "2026-01-01"},
        {"path": "strategies[1].phases[0].policies[0].kind", "value": "clearance"},
        {"path": "strategies[1].phases[0].policies[0].every_days", "value": 7},
        {"path": "strategies[1].phases[1].start_date", "value": "2026-03-01"},
        {"path": "strategies[1].phases[1].policies", "value": []},
    ]
    manifest = {**results.manifest, "parameters": [{**p, "set_in_file": True, "description": ""} for p in parameters]}
    page = Page()
    page.feed(build_report(dataclasses.replace(results, manifest=manifest)))
    rows = page.table_after("strategies")
    assert rows[1] == ["flat", "nurture"]
    assert rows[2] == [
        "switch",
        "phase 0 'clearance era': start_day 0, end_date 2026-01-01clearance: every_days = 7"
        "phase 1: start_date 2026-03-01",
    ]
