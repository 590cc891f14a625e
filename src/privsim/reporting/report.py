"""One self-contained HTML report of a results folder, to send to a colleague.

The report holds the scenario summary, the comparison tables (mean and 95 %
CI per strategy, paired differences against the baseline), every figure of
:mod:`privsim.reporting.plots` as an embedded PNG (``data:`` URI), the manifest and
the scenario file. It loads nothing from the network or the disk: one file
is the whole report. Every piece of text from the results is escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import yaml

from privsim.core.errors import PrivsimError
from privsim.core.io import write_file
from privsim.metrics import HEADLINE
from privsim.reporting import plots, style
from privsim.results import Results

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
body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2rem auto; max-width: 1150px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 0.35rem 0.7rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td .ci { display: block; color: #666; font-size: 0.85em; }
table.facts td { text-align: left; }
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
    name = results.scenario_name
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(f'privsim report: {name}')}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(name)}</h1>",
        f'<p class="lead">{_e(str(scenario.get("description") or "").strip() or "privsim results")}</p>',
        *_summary_section(results, scenario),
        *_comparison_section(results),
        "<h2>Figures</h2>",
        *(_figure(name, data) for name, data in images.items()),
        "<h2>Manifest</h2>",
        f"<pre>{_e(json.dumps(results.manifest, indent=2, ensure_ascii=False))}</pre>",
        *_scenario_text_section(results),
        f"<footer>Made by privsim {_e(results.manifest.get('privsim_version', '?'))} from the results folder "
        f"{_e(results.path.name)}; numbers are means over replications with 95 % Student-t confidence intervals."
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


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
        f'<span class="swatch" style="background:{_hex(colours[s])}"></span><b>{_e(s)}</b>'
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
    return out


def _scenario_text_section(results: Results) -> list[str]:
    path = results.path / "scenario.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
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
    if metric == "repurchase_rate" and math.isfinite(value):
        return f"{value * 100:+.1f} pt" if signed else f"{value * 100:.1f} %"
    return style.compact(value, signed=signed)


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
        data = yaml.safe_load((results.path / "scenario.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _hex(colour: tuple) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in colour[:3])


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
