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
from privsim.reporting import plots, style
from privsim.reporting.report import build_report, write_report
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

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        self._in_pre = tag == "pre"
        if self._in_pre:
            self.pre.append("")

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()
        self._in_pre = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_pre:
            self.pre[-1] += data


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
