"""One self-contained HTML report of a results folder, to send to a colleague who does not run privsim.

In order: a caveat when the scenario is not calibrated; the executive
summary (per headline metric, which strategy wins, by how much in absolute
and in %, and how sure: the paired difference against the runner-up with its
95 % CI and the replications it wins); the scenario in brief; the comparison
tables (mean and 95 % CI per strategy, paired differences against the
baseline); every figure of :mod:`privsim.reporting.plots` as an embedded PNG
(``data:`` URI); the metric definitions; the assumptions actually used (every
population and behaviour value, and whether the file set it or privsim's
default was used); the scenario's inputs as tables (run, channels, accounts,
staff, tiers, costs, strategies); the scenario file as run; the raw manifest
last. It loads nothing from the network or the disk: one file is the whole
report. Every piece of text from the results is escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from privsim import metrics
from privsim.config.provenance import field_sources
from privsim.core.errors import PrivsimError
from privsim.core.io import write_file
from privsim.core.units import share_text
from privsim.metrics import HEADLINE
from privsim.policies import LEVER_SECTIONS, behaviour_sections_read
from privsim.reporting import plots, style, webfont
from privsim.results import Results, t_interval
from privsim.scenario import parse_scenario

#: The first line of a scenario written by ``privsim calibrate`` (privsim.calibration.report.calibrated_header).
CALIBRATED_MARK = "# calibrated by privsim calibrate"
#: Sections of the assumptions table: how members are and how they respond.
ASSUMPTION_SECTIONS = ("population", "behaviour", "lifecycle")

#: What each figure shows, under it in the report.
CAPTIONS = {
    "gmv_profit": "Monthly GMV and profit per strategy: mean over replications, shaded 95 % confidence band.",
    "members_by_state": "Members at each month end by state (added, customer, silent, churned), stacked.",
    "tier_mix": "Share of reachable (not churned) members in each tier at each month end.",
    "cohort_retention": (
        "Share of each monthly acquisition cohort that is active (bought in the last 90 days) n months after "
        "joining: all cohorts pooled (top) and one line per cohort (below)."
    ),
    "differences": (
        "Paired difference of each strategy against the baseline (same random numbers in each replication): "
        "mean and 95 % confidence interval. An interval that excludes 0 is a clear difference."
    ),
    "funnel": (
        "Acquisition funnel per channel over the whole horizon: leads reached, members added, members who made "
        "a first purchase, and their repeat orders (with conversion from the step before)."
    ),
}

_STYLE = """
body { font-family: "privsim Noto Sans SC", system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei",
       sans-serif;
       margin: 2rem auto; max-width: 1150px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.lead { color: #555; margin-top: 0; }
.box { max-width: 100%; overflow-x: auto; margin: 0.8rem 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 0.35rem 0.7rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td .ci { display: block; color: #666; font-size: 0.85em; }
table.facts td { text-align: left; }
.caveat { background: #fff4e0; border-left: 4px solid #e09b2d; padding: 0.6rem 1rem; margin: 1rem 0; }
.recommendation { font-size: 1.08em; background: #eef5ff; border-left: 4px solid #3b73b9; padding: 0.6rem 1rem; }
.flag { display: block; color: #a03a00; margin-top: 0.3rem; }
.default { color: #a05a00; font-weight: 600; } .set { color: #2d6a3e; }
.muted { color: #777; } code { font-size: 0.92em; }
table.summary td, table.summary th { text-align: left; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; }
figure { margin: 1.5rem 0; } figure img { width: 100%; max-width: 1100px; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.85em; }
footer { margin-top: 2.5rem; color: #777; font-size: 0.85em; }
"""


def build_report(results: Results, images: dict[str, bytes] | None = None) -> str:
    """The report as one HTML document; ``images`` (figure name → PNG bytes) default to every figure."""
    if images is None:
        images = plots.render_all(results, "png")
    scenario = _scenario_file(results)
    sources = parameter_sources(results)
    name = results.scenario_name
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',  # Chinese text: the reader's CJK fonts, else the embedded one (webfont)
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(f'privsim report: {name}')}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(name)}</h1>",
        f'<p class="lead">{_e(str(scenario.get("description") or "").strip() or "privsim results")}</p>',
        *_caveat(results, sources),
        *_executive_summary(results, sources),
        *_summary_section(results, scenario),
        *_comparison_section(results),
        "<h2>Figures</h2>",
        *(_figure(name, data) for name, data in images.items()),
        *_definitions_section(),
        *_assumptions_section(sources),
        *_inputs_section(sources),
        *_scenario_text_section(results),
        "<h2>Manifest</h2>",
        "<p>What the run was, as privsim recorded it: versions, seed, command, times, the resolved scenario and "
        "each file's SHA-256.</p>",
        f"<details><summary>manifest.json</summary><pre>{_e(_json(results.manifest))}</pre></details>",
        f"<footer>Made by privsim {_e(results.manifest.get('privsim_version', '?'))} from the results folder "
        f"{_e(results.path.name)}; numbers are means over replications with 95 % Student-t confidence intervals."
        "</footer>",
        "</body>",
        "</html>",
    ]
    document = _boxed_tables("\n".join(parts) + "\n")
    return document.replace("<style>", f"<style>\n{webfont.font_face_css(document)}", 1)


def _boxed_tables(document: str) -> str:
    """Every table inside its own ``div.box``, which scrolls sideways when the table is wider than the page, so
    the page itself fits a 1280-pixel screen. (Text from the results is escaped: every ``<table`` is ours.)"""
    return document.replace("<table", '<div class="box"><table').replace("</table>", "</table></div>")


def write_report(results: Results, out: str | Path) -> Path:
    """Write the report to ``out`` (a file; replaced atomically if it exists) and return its path."""
    out = Path(out)
    if out.is_dir():
        raise PrivsimError(f"{out}: is a folder; give the report's file name, e.g. {out / 'report.html'}")
    write_file(out, build_report(results))
    return out


# ---------------------------------------------------------------------------
# Sections


def _summary_section(results: Results, scenario: dict) -> list[str]:
    m = results.manifest
    colours = style.strategy_colours(results.strategies)
    described = {
        s.get("name"): s.get("description", "") for s in scenario.get("strategies", []) or [] if isinstance(s, dict)
    }
    strategies = "<br>".join(
        f'<span class="swatch" style="background:{style.hex_colour(colours[s])}"></span><b>{_e(s)}</b>'
        + (" (baseline)" if s == results.baseline else "")
        + (f": {_e(described[s])}" if described.get(s) else "")
        for s in results.strategies
    )
    source = m.get("scenario", {})
    facts = [
        ("scenario", f"{_e(results.scenario_name)} ({_e(source.get('file', '?'))})"),
        ("horizon", _e(f"{m.get('horizon_days', '?')} days from {m.get('start_date', '?')}")),
        ("replications", _e(f"{m.get('replications', '?')} per strategy, seed {m.get('seed', '?')}")),
        ("strategies", strategies),
    ]
    initial = scenario.get("population", {}).get("initial") if isinstance(scenario.get("population"), dict) else None
    if isinstance(initial, list):
        total = sum(g.get("count", 0) for g in initial if isinstance(g, dict) and isinstance(g.get("count"), int))
        facts.append(("members on day 0", _e(f"{total:,}")))
    channels = scenario.get("channels")
    if isinstance(channels, list) and channels:
        facts.append(("channels", _e(", ".join(str(c.get("name", "?")) for c in channels if isinstance(c, dict)))))
    run = f"{m.get('started_at', '?')} to {m.get('finished_at', '?')}, privsim {m.get('privsim_version', '?')}"
    facts.append(("run", _e(run)))
    rows = "".join(f"<tr><th>{_e(label)}</th><td>{value}</td></tr>" for label, value in facts)
    return ["<h2>Scenario</h2>", f'<table class="facts">{rows}</table>']


def _comparison_section(results: Results) -> list[str]:
    out = [
        "<h2>Comparison</h2>",
        "<p>Over the whole horizon: totals of flows (GMV, profit), stocks at the end (active and churned "
        "members), and the repurchase rate. Each cell is the mean over replications with its 95 % CI below.</p>",
        _table(results.summary, results.strategies, HEADLINE, signed=False, row_label=lambda s: s),
    ]
    others = results.strategies[1:]
    if others:
        baseline = results.baseline
        out += [
            f"<h3>Paired difference against {_e(baseline)}</h3>",
            "<p>Strategy minus baseline within each replication (same random numbers), mean and 95 % CI.</p>",
            _table(
                results.differences,
                others,
                {metric: f"Δ {label}" for metric, label in HEADLINE.items()},
                signed=True,
                row_label=lambda s: f"{s} − {baseline}",
            ),
        ]
    return out + _not_available_notes(results)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Which strategy wins a headline metric, over which runner-up, by how much and how surely."""

    metric: str
    winner: str
    runner_up: str | None
    winner_mean: float
    runner_up_mean: float
    #: Paired difference winner − runner-up over replications: mean, 95 % CI, replications compared.
    difference: float
    ci_low: float
    ci_high: float
    n: int
    #: Replications in which the winner did better than the runner-up.
    wins: int

    @property
    def relative(self) -> float:
        """The difference as a share of the runner-up's mean (NaN when that is 0)."""
        return self.difference / abs(self.runner_up_mean) if self.runner_up_mean else math.nan

    @property
    def clear(self) -> bool:
        """The 95 % CI of the paired difference excludes 0."""
        return math.isfinite(self.ci_low) and (self.ci_low > 0 or self.ci_high < 0)


def verdicts(results: Results) -> list[Verdict]:
    """One verdict per headline metric with a finite mean: the best strategy (lowest churn, highest otherwise)
    against the second best, paired replication by replication (common random numbers)."""
    reps = results.replications
    out = []
    for metric in HEADLINE:
        wide = reps[reps["metric"] == metric].pivot_table(
            index="replication", columns="strategy", values="value", dropna=False
        )
        means = wide.mean().dropna()
        if means.empty:
            continue
        ranked = means.sort_values(ascending=metric in metrics.LOWER_IS_BETTER, kind="stable")
        ranked = ranked.reindex([s for s in results.strategies if s in ranked.index]).sort_values(
            ascending=metric in metrics.LOWER_IS_BETTER, kind="stable"
        )
        winner = str(ranked.index[0])
        if len(ranked) < 2:
            out.append(Verdict(metric, winner, None, ranked.iloc[0], math.nan, math.nan, math.nan, math.nan, 0, 0))
            continue
        runner_up = str(ranked.index[1])
        diff = (wide[winner] - wide[runner_up]).to_numpy(dtype=float)
        mean, low, high, _, n = t_interval(diff)
        better = -diff if metric in metrics.LOWER_IS_BETTER else diff
        wins = int(np.sum(better[np.isfinite(better)] > 0))
        out.append(Verdict(metric, winner, runner_up, ranked.iloc[0], ranked.iloc[1], mean, low, high, n, wins))
    return out


def _executive_summary(results: Results, sources: list[dict[str, Any]]) -> list[str]:
    rows = []
    found = verdicts(results)
    for v in found:
        direction = "lowest" if v.metric in metrics.LOWER_IS_BETTER else "highest"
        label = f"{HEADLINE[v.metric]} ({direction} wins)"
        if v.runner_up is None:
            rows.append(
                f"<tr><td>{_e(label)}</td><td><b>{_e(v.winner)}</b> ({_e(_number(v.metric, v.winner_mean, False))})"
                "</td><td>only one strategy</td><td>—</td></tr>"
            )
            continue
        if v.difference == 0 and v.ci_low == v.ci_high:
            rows.append(
                f"<tr><td>{_e(label)}</td><td><b>{_e(v.winner)}</b> and <b>{_e(v.runner_up)}</b> tie "
                f"({_e(_number(v.metric, v.winner_mean, False))})</td><td>0</td>"
                f"<td>{_e(f'equal in each of {v.n} replications')}</td></tr>"
            )
            continue
        by = _number(v.metric, v.difference, True)
        if v.metric != "repurchase_rate" and math.isfinite(v.relative):
            by += f" ({v.relative * 100:+.1f} %)"
        if v.n < 2:
            sure = "one replication: no confidence interval"
        else:
            ci = f"[{_number(v.metric, v.ci_low, True)}, {_number(v.metric, v.ci_high, True)}]"
            verdict = "clear" if v.clear else "not clear: the interval includes 0"
            sure = f"{verdict}; 95 % CI {ci}; better in {v.wins} of {v.n} replications"
        flag = _churn_flag(results, v)
        rows.append(
            f"<tr><td>{_e(label)}</td><td><b>{_e(v.winner)}</b> "
            f"({_e(_number(v.metric, v.winner_mean, False))})</td>"
            f"<td>{_e(by)} over {_e(v.runner_up)} ({_e(_number(v.metric, v.runner_up_mean, False))})</td>"
            f"<td>{_e(sure)}{flag}</td></tr>"
        )
    if not rows:
        return []
    return [
        "<h2>Executive summary</h2>",
        f'<p class="recommendation"><b>In one sentence:</b> {recommendation(results, found, sources)}</p>',
        '<table class="summary"><thead><tr><th>metric</th><th>best strategy (mean)</th>'
        "<th>ahead by</th><th>how sure</th></tr></thead>",
        f"<tbody>{''.join(rows)}</tbody></table>",
        '<p class="muted">For each headline metric, the strategy with the best mean over replications and its lead '
        "over the second best: the paired difference (same random numbers in each replication), in absolute terms "
        "and as a share of the second best's mean, with its 95 % confidence interval. <i>Clear</i> means the "
        "interval excludes 0.</p>",
    ]


def _churn_flag(results: Results, verdict: Verdict) -> str:
    """A warning (HTML) when ``verdict``'s winner churns more members than its runner-up, with a link to the
    metric's definition; empty otherwise (and for the churn metric itself)."""
    more = _more_churned(results, verdict)
    if more is None:
        return ""
    return (
        f'<span class="flag">⚠ {_e(verdict.winner)} also loses {_e(style.compact(more))} more members than '
        f"{_e(verdict.runner_up)} (churned members): read its lead with that in mind; "
        f'see <a href="#metric-{_e(verdict.metric)}">what {_e(HEADLINE[verdict.metric])} counts</a>.</span>'
    )


def _more_churned(results: Results, verdict: Verdict) -> float | None:
    """How many more members ``verdict``'s winner churns than its runner-up (mean of the paired difference), or
    None when it does not churn more, or the verdict is about churn or has no runner-up."""
    if verdict.runner_up is None or verdict.metric == "members_churned":
        return None
    reps = results.replications
    wide = reps[reps["metric"] == "members_churned"].pivot_table(
        index="replication", columns="strategy", values="value"
    )
    if verdict.winner not in wide or verdict.runner_up not in wide:
        return None
    more = float((wide[verdict.winner] - wide[verdict.runner_up]).mean())
    return more if more > 0 else None


#: The metric the one-sentence recommendation is about: what a manager acts on.
DECIDING_METRIC = "profit_rmb"


def recommendation(results: Results, found: list[Verdict], sources: list[dict[str, Any]]) -> str:
    """One sentence (HTML) a manager can act on: who earns the most profit, how surely, at what cost in members,
    and how far to trust the scenario (calibrated or not, how many behaviour values are defaults)."""
    v = next((v for v in found if v.metric == DECIDING_METRIC), None)
    if v is None:
        return "the run has no profit figure to compare the strategies on."
    if v.runner_up is None:
        sentence = f"only <b>{_e(v.winner)}</b> ran, so there is nothing to choose between"
    elif v.difference == 0 and v.ci_low == v.ci_high:
        sentence = f"<b>{_e(v.winner)}</b> and <b>{_e(v.runner_up)}</b> earn the same profit"
    else:
        lead = f"{_number(v.metric, v.difference, True)} over {v.runner_up}"
        if v.n < 2:
            sure = f"{lead}, from one replication: run more before choosing"
        elif v.clear:
            sure = f"{lead}, clear in {v.wins} of {v.n} replications"
        else:
            sure = f"{lead}, not clear: better in only {v.wins} of {v.n} replications; run more before choosing"
        sentence = f"<b>{_e(v.winner)}</b> earns the most profit ({_e(sure)})"
        more = _more_churned(results, v)
        if more is not None:
            sentence += f", but loses {_e(style.compact(more))} more members than {_e(v.runner_up)}"
    if _scenario_text(results).startswith(CALIBRATED_MARK):
        return f"{sentence}; the scenario is calibrated to a brand's figures (see its calibration report)."
    defaults, read = _defaults_count(sources), len(assumptions(sources)[0])
    assumed = (
        f" in which {defaults} of the {read} values its strategies read are privsim's defaults" if defaults else ""
    )
    return (
        f"{sentence}; this comes from an uncalibrated scenario{_e(assumed)}, so check how the result moves with "
        'those values (<a href="#assumptions">listed below</a>) before acting on it.'
    )


def _caveat(results: Results, sources: list[dict[str, Any]]) -> list[str]:
    if _scenario_text(results).startswith(CALIBRATED_MARK):
        return []
    read, unused = assumptions(sources)
    defaults = _defaults_count(sources)
    count = (
        f" {defaults} of the {len(read)} population and behaviour values its strategies' mechanisms read are "
        "privsim's defaults" + (f" ({len(unused)} more belong to levers no strategy uses)." if unused else ".")
        if read
        else ""
    )
    return [
        '<div class="caveat"><b>Uncalibrated scenario.</b> Its behaviour numbers were not fitted to a brand\'s '
        "data (it is not a file written by <code>privsim calibrate</code>): they are plausible guesses. Read the "
        "differences between strategies as what the model implies under these assumptions, not as a forecast."
        f'{_e(count)} See <a href="#assumptions">Assumptions actually used</a>.</div>'
    ]


def _defaults_count(sources: list[dict[str, Any]]) -> int:
    """How many population and behaviour values the run's mechanisms read are privsim's defaults (not in the file)."""
    return sum(not s["set_in_file"] for s in assumptions(sources)[0])


def assumptions(sources: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's population, behaviour and lifecycle values, split in two: those the strategies' mechanisms
    read, and those of levers no strategy uses (``behaviour.<section>`` for a lever section, see
    :attr:`privsim.policies.base.Policy.behaviour_sections`, of no policy kind in the run)."""
    kinds = {s["value"] for s in sources if re.fullmatch(r"strategies\[\d+\]\.policies\[\d+\]\.kind", s["path"])}
    read_sections = behaviour_sections_read(kinds)

    def unused(path: str) -> bool:
        parts = path.split(".")
        return parts[0] == "behaviour" and len(parts) > 2 and parts[1] in LEVER_SECTIONS - read_sections

    assumed = [s for s in sources if s["path"].split(".")[0] in ASSUMPTION_SECTIONS]
    return [s for s in assumed if not unused(s["path"])], [s for s in assumed if unused(s["path"])]


def _definitions_section() -> list[str]:
    defined = metrics.definitions()
    rows = []
    for metric, label in HEADLINE.items():
        over = (
            "at the end of the last month"
            if metric in ("active_members", "members_churned")
            else ("over the horizon's last 365 days" if metric == "repurchase_rate" else "summed over the horizon")
        )
        rows.append(
            f'<tr id="metric-{_e(metric)}"><td>{_e(label)}<br><code>{_e(metric)}</code></td>'
            f"<td>{_code(defined.get(metric, ''))} "
            f'<span class="muted">({_e(over)}; unit: {_e(metrics.unit(metric))})</span></td></tr>'
        )
    return [
        "<h2>Metric definitions</h2>",
        '<table class="facts"><thead><tr><th>metric</th><th>definition</th></tr></thead>',
        f"<tbody>{''.join(rows)}</tbody></table>",
        "<p>Every other metric of the results tables is defined in <code>privsim.metrics</code>. Each cell of the "
        "tables above is the mean over replications; the 95 % confidence interval is Student's t over "
        "replications, and a paired difference is taken within each replication (common random numbers).</p>",
    ]


def parameter_sources(results: Results) -> list[dict[str, Any]]:
    """Every value of the scenario as run (``path``, ``value``, ``set_in_file``, ``description``).

    From the manifest (``parameters``) when it has them; for an older results folder, from its
    ``scenario.yaml`` read with this privsim's defaults; empty when that cannot be read.
    """
    recorded = results.manifest.get("parameters")
    if isinstance(recorded, list) and all(isinstance(p, dict) and "path" in p for p in recorded):
        return [{"description": "", **p} for p in recorded]
    try:
        scenario = parse_scenario(yaml.safe_load(_scenario_text(results)), str(results.path / "scenario.yaml"))
    except (PrivsimError, yaml.YAMLError):
        return []
    return [dataclasses.asdict(source) for source in field_sources(scenario)]


def _assumptions_section(sources: list[dict[str, Any]]) -> list[str]:
    read, unused = assumptions(sources)
    if not read:
        return []
    defaults = _defaults_count(sources)
    out = [
        '<h2 id="assumptions">Assumptions actually used</h2>',
        f"<p>Every value of how members are (<code>population</code>) and how they respond (<code>behaviour</code>, "
        f"<code>lifecycle</code>) that the strategies' mechanisms read in this run: {len(read) - defaults} set in "
        f"the scenario file, <b>{defaults} left at privsim's defaults</b> (the user did not write them). Every "
        "strategy shares them; a default value drives a result as much as a written one.</p>",
        _assumptions_table(read),
    ]
    if unused:
        out += [
            "<h3>Values of levers no strategy uses</h3>",
            f"<p>{len(unused)} values of how members respond to levers that no strategy of this run uses: not "
            "read, so they do not change any figure above (they would for a strategy with the lever).</p>",
            _assumptions_table(unused),
        ]
    return out


def _assumptions_table(assumed: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(s['path'])}</code></td><td>{_e(_value(s['value']))}</td>"
        + (
            '<td class="set">set in the file</td>'
            if s["set_in_file"]
            else '<td class="default">privsim default (not in the file)</td>'
        )
        + f"<td>{_code(s.get('description', ''))}</td></tr>"
        for s in assumed
    )
    return (
        '<table class="facts"><thead><tr><th>parameter</th><th>value</th><th>source</th><th>meaning</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _inputs_section(sources: list[dict[str, Any]]) -> list[str]:
    inputs = [s for s in sources if s["path"].split(".")[0].split("[")[0] not in ASSUMPTION_SECTIONS]
    if not inputs:
        return []
    plain: list[dict[str, Any]] = []
    listed: dict[str, dict[int, dict[str, Any]]] = {}
    for s in inputs:
        match = re.match(r"(\w+)\[(\d+)\]\.(.+)", s["path"])
        if match and match.group(1) != "strategies":
            listed.setdefault(match.group(1), {}).setdefault(int(match.group(2)), {})[match.group(3)] = s["value"]
        elif not match:
            plain.append(s)
    out = ["<h2>Scenario inputs</h2>", "<p>What the operator has and does, as run (defaults filled in).</p>"]
    rows = "".join(
        f"<tr><th><code>{_e(s['path'])}</code></th><td>{_e(_value(s['value']))}"
        + ("" if s["set_in_file"] else ' <span class="muted">(default)</span>')
        + "</td></tr>"
        for s in plain
    )
    out.append(f'<table class="facts">{rows}</table>')
    for section, items in listed.items():
        columns = list(dict.fromkeys(k for item in items.values() for k in item))
        head = "".join(f"<th>{_e(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_e(_value(item.get(c, '')))}</td>" for c in columns) + "</tr>"
            for item in items.values()
        )
        out += [f"<h3>{_e(section)}</h3>", f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"]
    out += ["<h3>strategies</h3>", _strategies_table(inputs)]
    return out


def _strategies_table(inputs: list[dict[str, Any]]) -> str:
    """Each strategy with its policies (or, for a strategy in phases, each phase's start, end and policies)."""
    strategies: dict[int, dict[str, Any]] = {}
    for s in inputs:
        match = re.match(r"strategies\[(\d+)\]\.(.+)", s["path"])
        if not match:
            continue
        strategy = strategies.setdefault(int(match.group(1)), {"phases": {}})
        field = match.group(2)
        phase_match = re.match(r"phases\[(\d+)\]\.(.+)", field)
        phase = strategy["phases"].setdefault(int(phase_match.group(1)) if phase_match else -1, {"policies": {}})
        field = phase_match.group(2) if phase_match else field
        policy = re.match(r"policies\[(\d+)\]\.(.+)", field)
        if policy:
            phase["policies"].setdefault(int(policy.group(1)), {})[policy.group(2)] = s["value"]
        elif phase_match and field != "policies":  # an empty list of policies is a leaf too
            phase[field] = s["value"]
        elif field in ("name", "description"):
            strategy[field] = s["value"]
    rows = []
    for strategy in strategies.values():
        lines = []
        for index, phase in sorted(strategy["phases"].items()):
            if index >= 0:
                keys = ("start_day", "start_date", "end_day", "end_date")
                when = ", ".join(f"{k} {_value(phase[k])}" for k in keys if phase.get(k) is not None)
                named = f" {phase['name']!r}" if phase.get("name") else ""
                lines.append(f"<i>phase {index}{_e(named)}: {_e(when)}</i>")
            for fields in phase["policies"].values():
                kind = fields.pop("kind", "?")
                settings = ", ".join(f"{k} = {_value(v)}" for k, v in fields.items())
                lines.append(f"<b>{_e(kind)}</b>" + (f": {_e(settings)}" if settings else ""))
        rows.append(
            f"<tr><td><b>{_e(strategy.get('name', '?'))}</b><br>{_e(strategy.get('description', ''))}</td>"
            f"<td>{'<br>'.join(lines) or 'no policy'}</td></tr>"
        )
    return (
        '<table class="facts"><thead><tr><th>strategy</th><th>policies (every parameter, defaults included)</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "null" if value is None else str(value)


def _code(text: str) -> str:
    """Escaped text with its ``code`` spans as <code>."""
    return re.sub(r"``(.+?)``", r"<code>\1</code>", _e(text))


def _scenario_text(results: Results) -> str:
    try:
        return (results.path / "scenario.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _scenario_text_section(results: Results) -> list[str]:
    text = _scenario_text(results)
    if not text:
        return []
    return [
        "<h2>Scenario file</h2>",
        f"<details><summary>scenario.yaml as run</summary><pre>{_e(text)}</pre></details>",
    ]


def _table(table, strategies: list[str], columns: dict[str, str], signed: bool, row_label) -> str:
    stats = table.set_index(["strategy", "metric"])
    head = "".join(f"<th>{_e(label)}</th>" for label in ["strategy", *columns.values()])
    body = []
    for name in strategies:
        cells = "".join(f"<td>{_cell(stats, name, metric, signed)}</td>" for metric in columns)
        body.append(f"<tr><td>{_e(row_label(name))}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(stats, strategy: str, metric: str, signed: bool) -> str:
    if (strategy, metric) not in stats.index:
        return "n/a"
    row = stats.loc[(strategy, metric)]
    mean = _number(metric, row["mean"], signed)
    if not (math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"])):
        return _e(mean)
    ci = f"[{_number(metric, row['ci_low'], signed)}, {_number(metric, row['ci_high'], signed)}]"
    return f'{_e(mean)}<span class="ci">{_e(ci)}</span>'


def _number(metric: str, value: float, signed: bool) -> str:
    """A figure of ``metric`` in compact form; a share as a level in % or a difference in pt (``signed``)."""
    if metric == "repurchase_rate":
        return share_text(value, signed)
    return style.compact(value, signed=signed)


def _not_available_notes(results: Results) -> list[str]:
    """``n/a: why`` paragraphs for the headline metrics without a mean in the run."""
    tables = [results.summary, results.differences]
    missing = {m for t in tables for m in t.loc[t["mean"].isna(), "metric"]}
    horizon = results.manifest.get("horizon_days")
    return [f'<p class="muted">n/a: {_e(metrics.why_not_available(m, horizon))}.</p>' for m in HEADLINE if m in missing]


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = CAPTIONS.get(name, name)
    return (
        f'<figure id="{_e(name)}"><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _scenario_file(results: Results) -> dict:
    """The scenario file of the run as a plain dict (empty if it cannot be read: it only adds descriptions)."""
    try:
        data = yaml.safe_load(_scenario_text(results))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
