"""``privsim report``: one self-contained HTML file (figures embedded, nothing external, text escaped).

The results come from the same small run as ``test_plots`` (made once for this module).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
import re
import shutil
import unicodedata
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from test_plots import (
    BREAKS,
    PIXELS,
    assert_bad_folder_refused,
    invoke,
    make_results,
    png_size,
    tiny_quickstart_text,
)

import privsim
from privsim.core.errors import PrivsimError
from privsim.metrics import HEADLINE, LOWER_IS_BETTER
from privsim.policies import LEVER_SECTIONS
from privsim.reporting import plots, style, webfont
from privsim.reporting.report import assumptions, build_report, parameter_sources, verdicts, write_report
from privsim.results import Results, load_results
from privsim.runner import run_scenario

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
    assert text.count("url(") == text.count('url("data:font/woff;base64,') and "@import" not in text  # fonts inline
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
        assert v.runner_up_mean == pytest.approx(others.min() if metric in LOWER_IS_BETTER else others.max())
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
    rows = page.table_after("Assumptions actually used")[1:] + page.table_after("Values of levers no strategy uses")[1:]
    by_path = {row[0]: row for row in rows}  # the values read, then those of unused levers: every value once
    assert len(by_path) == len(rows)
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


def test_a_missing_repurchase_rate_says_why_and_shares_read_as_levels_in_percent_differences_in_points(
    results: Results, page: Page
) -> None:
    text = " ".join("".join(page.text).split())
    assert (  # the run has 180 days: no repurchase rate, and the report says why
        "n/a: the repurchase rate needs a horizon of 366 days or more (the buyers by one day, then the 365 days "
        "after it); this run has 180 days." in text
    )
    rate = {"mean": 0.546, "ci_low": 0.534, "ci_high": 0.558}
    summary = results.summary.copy()
    differences = results.differences.copy()
    summary.loc[summary["metric"] == "repurchase_rate", list(rate)] = list(rate.values())
    differences.loc[differences["metric"] == "repurchase_rate", list(rate)] = [0.068, 0.063, 0.073]
    shares = parse(build_report(dataclasses.replace(results, summary=summary, differences=differences), images={}))
    means = shares.table_after("Comparison")
    column = means[0].index("repurchase rate")
    assert {row[column] for row in means[1:]} == {"54.6%[53.4%, 55.8%]"}
    diffs = shares.table_after(f"Paired difference against {results.baseline}")
    assert {row[column] for row in diffs[1:]} == {"+6.8 pt[+6.3 pt, +7.3 pt]"}
    assert "n/a: the repurchase" not in "".join(shares.text)


def churn_more(results: Results, winner: str, runner_up: str) -> float:
    reps = results.replications
    wide = reps[reps["metric"] == "members_churned"].pivot_table(
        index="replication", columns="strategy", values="value"
    )
    return float((wide[winner] - wide[runner_up]).mean())


def test_a_winner_that_loses_more_members_is_flagged_with_a_link_to_the_definition(
    results: Results, page: Page
) -> None:
    rows = {row[0]: row for row in page.table_after("Executive summary")[1:]}
    flagged = 0
    for v in verdicts(results):
        if v.runner_up is None or v.metric == "members_churned":
            continue
        row = next(cells for label, cells in rows.items() if label.startswith(HEADLINE[v.metric]))
        more = churn_more(results, v.winner, v.runner_up)
        flag = f"⚠ {v.winner} also loses {style.compact(more)} more members than {v.runner_up} (churned members)"
        assert (flag in row[-1]) == (more > 0), row
        flagged += more > 0
    assert flagged, "the tiny run has a winner (clearance's GMV) that churns more: the flag must show"
    links = {a["href"] for tag, a in page.tags if tag == "a"}
    ids = {a["id"] for _, a in page.tags if "id" in a}
    assert {f"#metric-{m}" for m in HEADLINE} >= {h for h in links if h.startswith("#metric-")} != set()
    assert {f"metric-{m}" for m in HEADLINE} <= ids  # each definition is a link target


def test_the_first_screen_has_one_sentence_from_the_profit_verdict_and_the_caveat(results: Results, page: Page) -> None:
    v = next(v for v in verdicts(results) if v.metric == "profit_rmb")
    text = " ".join("".join(page.text).split())
    sentence = text.split("In one sentence: ", 1)[1].split("before acting on it.", 1)[0] + "before acting on it."
    assert text.index("In one sentence") < text.index("best strategy (mean)")  # on the first screen, above the table
    verdict = "clear in" if v.clear else "not clear: better in only"
    assert sentence.startswith(
        f"{v.winner} earns the most profit ({style.compact(v.difference, signed=True)} over {v.runner_up}, "
        f"{verdict} {v.wins} of {v.n} replications"
    ), sentence
    more = churn_more(results, v.winner, v.runner_up)
    assert (f"but loses {style.compact(more)} more members than {v.runner_up}" in sentence) == (more > 0)
    read, _ = assumptions(parameter_sources(results))
    defaults = sum(not s["set_in_file"] for s in read)
    assert f"uncalibrated scenario in which {defaults} of the {len(read)} values its strategies read" in sentence
    # the sentence is part of the executive summary, before any other section
    assert [h for _, h in page.headings].index("Executive summary") + 1 == [h for _, h in page.headings].index(
        "Scenario"
    )


def test_every_table_scrolls_in_its_own_box_so_the_page_fits_1280_pixels(report_path: Path) -> None:
    """Without a browser: every table sits in a box that scrolls sideways, the page is narrower than 1280 px
    (checked once in headless Chromium at 1280 px: no horizontal scroll of the page, see the README's screenshot)."""
    text = report_path.read_text(encoding="utf-8")
    tables = re.findall(r"(.{0,20})<table", text)
    assert len(tables) >= 8  # summary, scenario, comparison x2, definitions, assumptions, inputs (facts, channels...)
    assert all(before.endswith('<div class="box">') for before in tables), tables
    assert text.count("</table></div>") == len(tables)
    style_text = text.split("<style>", 1)[1].split("</style>", 1)[0]
    box = re.search(r"\.box \{([^}]*)\}", style_text)
    assert box and "overflow-x: auto" in box.group(1) and "max-width: 100%" in box.group(1)
    width = re.search(r"body \{[^}]*max-width: (\d+)px", style_text)
    assert width and int(width.group(1)) <= 1280 - 2 * 16 - 20  # padding 1rem each side and a scroll bar


def test_defaults_are_counted_only_for_values_the_strategies_read_and_unused_levers_are_listed_apart(
    results: Results, page: Page
) -> None:
    sources = parameter_sources(results)
    read, unused = assumptions(sources)
    kinds = {s["value"] for s in sources if re.fullmatch(r"strategies\[\d+\]\.policies\[\d+\]\.kind", s["path"])}
    assert kinds == {"none", "clearance", "nurture"}  # the quickstart's: no lever with its own behaviour section
    assert {s["path"].split(".")[1] for s in unused} == set(LEVER_SECTIONS)
    assert all(s["path"].split(".")[1] not in LEVER_SECTIONS for s in read if s["path"].startswith("behaviour."))
    defaults = sum(not s["set_in_file"] for s in read)
    text = " ".join("".join(page.text).split())
    assert (
        f"{defaults} of the {len(read)} population and behaviour values its strategies' mechanisms read are "
        f"privsim's defaults ({len(unused)} more belong to levers no strategy uses)." in text
    )
    assert [len(rows) - 1 for rows in (page.table_after("Assumptions actually used"),)] == [len(read)]
    assert len(page.table_after("Values of levers no strategy uses")) - 1 == len(unused)
    # a strategy with the referral lever reads the referral section: it moves to the counted values
    with_referral = [*sources, {"path": "strategies[3].policies[0].kind", "value": "referral", "set_in_file": True}]
    read_now, unused_now = assumptions(with_referral)
    moved = {s["path"] for s in read_now} - {s["path"] for s in read}
    assert moved and {p.split(".")[1] for p in moved} == {"referral"}
    assert len(read_now) + len(unused_now) == len(read) + len(unused)


def embedded_fonts(document: str) -> dict[int, set[str]]:
    """CSS weight → the characters of the font embedded for it by an ``@font-face`` rule of ``document``."""
    style_text = document.split("<style>", 1)[1].split("</style>", 1)[0]
    out = {}
    for weight, data in re.findall(
        r'@font-face \{ font-family: "privsim Noto Sans SC"; font-weight: (\d+);[^}]*'
        r'src: url\("data:font/woff;base64,([A-Za-z0-9+/=]+)"\) format\("woff"\); \}',
        style_text,
    ):
        face = TTFont(io.BytesIO(base64.b64decode(data)))
        out[int(weight)] = {chr(code) for code in face.getBestCmap()}
    return out


@pytest.fixture(scope="module")
def chinese_results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The small run with a Chinese scenario name, description and strategy names."""
    data = yaml.safe_load(tiny_quickstart_text())
    data["name"] = "精细化运营 试点"
    data["description"] = "清仓还是培育信任：两年内哪种做法利润更高？"
    for strategy, name in zip(data["strategies"], ["不做运营", "清仓促销", "精细化培育"], strict=True):
        strategy["name"] = name
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    run = run_scenario(privsim.parse_scenario(data), text, replications=2, jobs=1)
    return load_results(run.write(tmp_path_factory.mktemp("chinese") / "run"))


def test_a_report_with_chinese_names_embeds_every_glyph_its_text_uses(chinese_results: Results) -> None:
    document = build_report(chinese_results, images={})
    fonts = embedded_fonts(document)
    assert sorted(fonts) == [400, 700]  # regular and bold (headings, names in bold)
    assert 'body { font-family: "privsim Noto Sans SC", system-ui,' in document  # first, for its unicode-range
    head, body = document.split("</style>", 1)  # the style sheet holds the fonts: the text is the rest
    text = html.unescape(re.sub(r"<[^>]*>", " ", head.split("<style>", 1)[0] + body))
    text += "".join(a.get("alt", "") for _, a in parse(document).tags)
    chinese = {c for c in text if unicodedata.name(c, "").startswith("CJK")}
    assert {"精", "运", "营", "清", "仓", "培", "育"} <= chinese
    with resources.as_file(style.SHIPPED_CJK_FONTS[0]) as path:
        shipped = {chr(code) for code in TTFont(path).getBestCmap()}
    for weight, characters in fonts.items():
        assert chinese <= characters, f"weight {weight} misses {sorted(chinese - characters)}"
        # every CJK character of the text (hanzi, CJK and full-width punctuation) is embedded, and nothing else
        wanted = {c for c in text if ord(c) >= webfont.FIRST_CJK}
        assert wanted <= shipped and characters - {"\x00"} == wanted
    ranges = re.findall(r"unicode-range: ([^;]+);", document)
    assert ranges == [", ".join(f"U+{ord(c):04X}" for c in sorted(wanted))] * 2  # Latin text keeps the page's font
    font_bytes = sum(len(m) for m in re.findall(r"base64,([A-Za-z0-9+/=]+)\"\) format", document))
    assert font_bytes < 200_000, font_bytes  # a few hundred glyphs, not the 3 MB of a shipped weight
    assert build_report(chinese_results, images={}) == document  # the same text, the same bytes


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
