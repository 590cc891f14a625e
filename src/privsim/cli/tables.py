"""The comparison of a run's strategies, as ``privsim run`` and ``privsim show`` print it.

One renderer for both commands, in four formats:

- ``table`` (the default) fits the console (80 columns when output is piped):
  strategies as rows, metrics as columns, compact numbers, the 95 % CI only
  with ``--ci``. When that is wider than the console (long strategy names,
  intervals), one block per strategy with the metrics as rows. A strategy
  name is never cut.
- ``markdown``: the two tables (means, paired differences) as GitHub tables.
- ``csv`` and ``json``: the headline figures, unformatted (mean, CI bounds,
  n), one record per strategy or difference and metric; NaN is empty (CSV)
  or null (JSON).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast

import pandas as pd
import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from privsim.cli.output import compact_number, out_console
from privsim.core.errors import OptionError
from privsim.core.units import share_text
from privsim.metrics import HEADLINE, why_not_available
from privsim.results import Results, differences_table

if TYPE_CHECKING:  # the runner loads the simulator: not for privsim show
    from privsim.runner import Run

FORMATS = ("table", "csv", "json", "markdown")
_MEAN_CI = "mean ± half-width of the 95 % CI"
_MEAN = "mean over the replications (--ci: with the 95 % CI)"

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="table (fits the terminal), csv, json or markdown; csv, json and markdown print only the table on stdout.",
    ),
]
CiOption = Annotated[bool, typer.Option("--ci", help="Show the 95 % confidence intervals in the table.")]
_FIGURES = ["mean", "ci_low", "ci_high", "n"]


@dataclass(frozen=True)
class Comparison:
    """What the comparison shows: the run's description, its summary and paired differences (headline metrics)."""

    scenario: str
    horizon_days: int | None
    replications: int | None
    seed: int | None
    strategies: list[str]
    baseline: str
    summary: pd.DataFrame  # strategy, metric, mean, ci_low, ci_high, n
    differences: pd.DataFrame  # strategy, baseline, metric, mean, ci_low, ci_high, n

    @property
    def others(self) -> list[str]:
        """The strategies compared with the baseline, in run order."""
        return [s for s in self.strategies if s != self.baseline]

    @property
    def heading(self) -> str:
        days = f"{self.horizon_days} days, " if self.horizon_days is not None else ""
        plural = "" if self.replications == 1 else "s"
        strategies = f"{len(self.strategies)} strateg{'y' if len(self.strategies) == 1 else 'ies'}"
        reps = f"{self.replications} replication{plural} × {strategies}, " if self.replications is not None else ""
        return f"{self.scenario}: {days}{reps}seed {self.seed}"

    @property
    def notes(self) -> list[str]:
        """``n/a: why`` for each headline metric without a mean (e.g. a repurchase rate over a short horizon)."""
        both = pd.concat([self.summary, self.differences])
        missing = set(both.loc[both["mean"].isna(), "metric"])
        return [f"n/a: {why_not_available(m, self.horizon_days)}" for m in HEADLINE if m in missing]


def check_format(table_format: str) -> None:
    if table_format not in FORMATS:
        raise OptionError("--format", table_format, f"must be one of {', '.join(FORMATS)}")


def of_run(run: Run) -> Comparison:
    """The comparison of a finished run (the baseline is its first strategy)."""
    return Comparison(
        scenario=run.scenario.name,
        horizon_days=run.scenario.horizon_days,
        replications=run.replications,
        seed=run.seed,
        strategies=run.strategies,
        baseline=run.strategies[0],
        summary=_headline(run.tables.summary),
        differences=_headline(run.tables.differences),
    )


def of_results(results: Results, baseline: str | None = None) -> Comparison:
    """The comparison of a results folder, with paired differences against ``baseline`` (default: the run's)."""
    strategies = results.strategies
    baseline = results.baseline if baseline is None else baseline
    if baseline not in strategies:
        raise OptionError("--baseline", baseline, f"no such strategy; {results.path} has {', '.join(strategies)}")
    if baseline == results.baseline:
        differences = results.differences
    else:  # paired differences from the replications, the baseline first
        differences = differences_table(results.replications, [baseline, *(s for s in strategies if s != baseline)])
    manifest = results.manifest
    return Comparison(
        scenario=results.scenario_name,
        horizon_days=manifest.get("horizon_days"),
        replications=manifest.get("replications"),
        seed=results.seed,
        strategies=strategies,
        baseline=baseline,
        summary=_headline(results.summary),
        differences=_headline(differences),
    )


def _headline(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["metric"].isin(list(HEADLINE))]


def print_comparison(comparison: Comparison, table_format: str, ci: bool) -> None:
    """The comparison on stdout, in ``table_format`` (one code path for ``privsim run`` and ``privsim show``)."""
    if table_format == "table":
        out_console.print(render_table(comparison, out_console, ci), highlight=False)
    else:
        typer.echo(render_text(comparison, table_format), nl=False)


# -- text formats ----------------------------------------------------------------------------------


def render_text(comparison: Comparison, table_format: str) -> str:
    """The comparison as CSV, JSON or markdown text (ending with a newline)."""
    if table_format == "csv":
        return _csv(comparison)
    if table_format == "json":
        return _json(comparison)
    return _markdown(comparison)


def _records(comparison: Comparison) -> Iterator[dict[str, object]]:
    """One record per (table, strategy, metric): the summary, then the differences, in run and HEADLINE order."""
    tables = (
        ("summary", comparison.summary, comparison.strategies),
        ("difference", comparison.differences, comparison.others),
    )
    for name, table, strategies in tables:
        indexed = table.set_index(["strategy", "metric"])
        for strategy in strategies:
            for metric in HEADLINE:
                row = cast(pd.Series, indexed.loc[(strategy, metric)])
                yield {
                    "table": name,
                    "strategy": strategy,
                    "baseline": comparison.baseline if name == "difference" else None,
                    "metric": metric,
                    **{k: _number(row[k]) for k in _FIGURES},
                }


def _number(value: object) -> float | int | None:
    number = float(cast(float, value))
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    pd.DataFrame(list(_records(comparison))).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _json(comparison: Comparison) -> str:
    records = list(_records(comparison))
    document = {
        "scenario": comparison.scenario,
        "horizon_days": comparison.horizon_days,
        "replications": comparison.replications,
        "seed": comparison.seed,
        "strategies": comparison.strategies,
        "baseline": comparison.baseline,
        "summary": [_without(r, "table", "baseline") for r in records if r["table"] == "summary"],
        "differences": [_without(r, "table") for r in records if r["table"] == "difference"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _without(record: dict[str, object], *keys: str) -> dict[str, object]:
    return {k: v for k, v in record.items() if k not in keys}


def _markdown(comparison: Comparison) -> str:
    lines = [comparison.heading, ""]
    for title, header, rows in _tables(comparison, ci=True):
        lines += [f"**{title}**", "", _md_row(header), _md_row(["---", *("---:" for _ in header[1:])])]
        lines += [_md_row(row) for row in rows]
        lines.append("")
    lines += [*comparison.notes, ""] if comparison.notes else []
    return "\n".join(lines)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


# -- the console table -------------------------------------------------------------------------------


def render_table(comparison: Comparison, console: Console, ci: bool = False) -> RenderableType:
    """The comparison for ``console``: the wide layout if it fits its width, else one block per strategy."""
    heading = Text(comparison.heading)
    parts = _tables(comparison, ci)
    wide = [_wide_table(header, rows) for _, header, rows in parts]
    if max(_natural_width(console, t) for t in wide) <= console.width:
        blocks = [(Text(), title, table) for (title, _, _), table in zip(parts, wide, strict=True)]
        return Group(heading, *[item for block in blocks for item in block][1:], *map(Text, comparison.notes))
    title = f"Per strategy: {_MEAN_CI if ci else _MEAN}"
    if comparison.others:
        title += f"; paired difference against {comparison.baseline} (same random numbers per replication)"
    return Group(heading, title, _long_table(comparison, ci), *map(Text, comparison.notes))


def _natural_width(console: Console, table: Table) -> int:
    """The width ``table`` takes when nothing wraps (however wide the console)."""
    return Measurement.get(console, console.options.update(max_width=10**6), table).maximum


def _tables(comparison: Comparison, ci: bool) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the means table and, with two strategies or more, the differences table."""
    summary = comparison.summary.set_index(["strategy", "metric"])
    header = ["strategy", *HEADLINE.values()]
    title = f"Per strategy: {_MEAN_CI if ci else _MEAN}"
    tables = [(title, header, [[s, *(_cell(summary, s, m, ci) for m in HEADLINE)] for s in comparison.strategies])]
    if comparison.others:
        diffs = comparison.differences.set_index(["strategy", "metric"])
        tables.append(
            (
                f"Paired difference against {comparison.baseline} (same random numbers per replication)"
                + (f" — {_MEAN_CI}" if ci else ""),
                ["strategy", *(f"Δ {label}" for label in HEADLINE.values())],
                [[s, *(_cell(diffs, s, m, ci, signed=True) for m in HEADLINE)] for s in comparison.others],
            )
        )
    return tables


def _wide_table(header: list[str], rows: list[list[str]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(header[0], no_wrap=True)
    for label in header[1:]:
        table.add_column(_two_lines(label), justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _two_lines(label: str) -> str:
    """``churned members`` → ``churned\\nmembers``: a header on two lines, split at its last space."""
    head, _, tail = label.rpartition(" ")
    return f"{head}\n{tail}" if head else label


def _long_table(comparison: Comparison, ci: bool) -> Table:
    """One block per strategy: its name on a line, then a metric per row (mean, and Δ against the baseline)."""
    summary = comparison.summary.set_index(["strategy", "metric"])
    diffs = comparison.differences.set_index(["strategy", "metric"])
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("strategy / metric", overflow="fold")
    table.add_column("mean", justify="right", no_wrap=True)
    if comparison.others:
        table.add_column(f"Δ against {comparison.baseline}", justify="right", overflow="fold")
    for strategy in comparison.strategies:
        label = f"{strategy} (baseline)" if strategy == comparison.baseline and comparison.others else strategy
        table.add_row(Text(label, style="bold", overflow="fold"), end_section=False)
        for i, (metric, name) in enumerate(HEADLINE.items()):
            cells = [f"  {name}", _cell(summary, strategy, metric, ci)]
            if comparison.others:
                cells.append("" if strategy == comparison.baseline else _cell(diffs, strategy, metric, ci, True))
            table.add_row(*cells, end_section=i == len(HEADLINE) - 1)
    return table


def _cell(table: pd.DataFrame, strategy: str, metric: str, ci: bool, signed: bool = False) -> str:
    """``mean`` or ``mean ± half-width`` of one metric, ``n/a`` without a mean (:attr:`Comparison.notes` says why).

    A share (the repurchase rate) is a level in % and a difference in percentage points (pt); a half-width is
    a difference, so in pt: ``54.6% ± 1.2 pt``.
    """
    row = cast(pd.Series, table.loc[(strategy, metric)])  # the index is unique: one row
    if math.isnan(row["mean"]):
        return "n/a"
    half = (row["ci_high"] - row["ci_low"]) / 2
    if metric == "repurchase_rate":
        mean = share_text(row["mean"], signed)
        return mean if not ci or math.isnan(half) else f"{mean} ± {share_text(half, True).lstrip('+')}"
    mean = compact_number(row["mean"], signed)
    return mean if not ci or math.isnan(half) else f"{mean} ± {compact_number(half)}"
