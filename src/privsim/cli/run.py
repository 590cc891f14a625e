"""``privsim run``, ``privsim check`` and ``privsim policies``: a scenario file, simulated or checked."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, cast

import pandas as pd
import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from rich.table import Table

from privsim.cli.output import ProgressBar, compact_number, exits_on_error, out_console
from privsim.cli.results import write_figures
from privsim.core.errors import OptionError
from privsim.metrics import HEADLINE
from privsim.policies import REGISTRY
from privsim.results import TABLE_FORMATS, check_out_dir, check_table_format
from privsim.runner import Run, run_scenario
from privsim.scenario import load_scenario

app = typer.Typer()

ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario YAML file (see scenarios/quickstart.yaml).", show_default=False, metavar="SCENARIO"),
]


@app.command()
@exits_on_error
def run(
    scenario: ScenarioArg,
    replications: Annotated[
        int | None, typer.Option("--replications", "-n", help="Replications per strategy (default: the file's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Root random seed (default: the file's).")] = None,
    strategy: Annotated[
        list[str] | None,
        typer.Option("--strategy", "-s", help="Run only this strategy (repeatable); the first run is the baseline."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: results/<scenario>-<timestamp>).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes; 0 = one per CPU.")] = 0,
    plot: Annotated[
        bool, typer.Option("--plot", help="Also draw the figures into <results>/figures (as privsim plot).")
    ] = False,
    tables: Annotated[
        str, typer.Option("--tables", help="Table files: csv, or parquet (needs pip install 'privsim[parquet]').")
    ] = "csv",
) -> None:
    """Run every strategy of SCENARIO and print the comparison table.

    Example: privsim run scenarios/quickstart.yaml --replications 5 --strategy none --strategy nurture
    """
    if tables not in TABLE_FORMATS:
        raise OptionError("--tables", tables, f"must be one of {', '.join(TABLE_FORMATS)}")
    check_table_format(tables)
    loaded, text = load_scenario(scenario)
    if out is not None:
        check_out_dir(out)
    with ProgressBar("simulating", "replications") as bar:
        result = run_scenario(
            loaded,
            text,
            replications=replications,
            seed=seed,
            strategies=strategy,
            jobs=jobs,
            progress=bar.update,
            source=str(scenario),
            command=["privsim", *sys.argv[1:]],
        )
    folder = result.write(out, table_format=tables)
    _print_comparison(result)
    out_console.print(f"Results written to {folder}", highlight=False, soft_wrap=True)
    if plot:
        write_figures(folder, "png", None)


@app.command()
@exits_on_error
def check(scenario: ScenarioArg) -> None:
    """Validate SCENARIO without running it.

    Example: privsim check scenarios/quickstart.yaml
    """
    loaded, _ = load_scenario(scenario)
    base = sum(g.count for g in loaded.population.initial)
    names = ", ".join(s.name for s in loaded.strategies)
    out_console.print(
        f"{scenario}: OK — {loaded.name}: {loaded.horizon_days} days from {loaded.start_date}, "
        f"{base:,} initial members, {len(loaded.channels)} channels, {len(loaded.accounts)} account pools, "
        f"{len(loaded.tiers)} tiers, strategies: {names}; {loaded.replications} replications, seed {loaded.seed}",
        highlight=False,
    )


@app.command()
@exits_on_error
def policies() -> None:
    """List the policy kinds a strategy can use, with their parameters.

    Example: privsim policies
    """
    for kind, cls in REGISTRY.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        out_console.print(f"[bold]{kind}[/bold] — {doc}", highlight=False)
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            out_console.print(f"    {name} = {_default(info)}: {info.description}", markup=False, highlight=False)
        out_console.print()


def _default(info: FieldInfo) -> str:
    """A field's default as a scenario file would write it, or '(required)'."""
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        value = [v.model_dump() for v in value]
    return repr(value)


def _print_comparison(result: Run) -> None:
    summary = result.tables.summary.set_index(["strategy", "metric"])
    diffs = result.tables.differences.set_index(["strategy", "metric"])
    title = (
        f"{result.scenario.name}: {result.scenario.horizon_days} days, {result.replications} replications, "
        f"seed {result.seed} — mean ± half-width of the 95 % CI"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("strategy")
    for label in HEADLINE.values():
        table.add_column(label, justify="right")
    for name in result.strategies:
        table.add_row(name, *(_cell(summary, name, metric) for metric in HEADLINE))
    out_console.print(table)
    if len(result.strategies) > 1:
        baseline = result.strategies[0]
        table = Table(
            title=f"Paired difference against {baseline} (same random numbers per replication) — mean ± 95 % CI",
            title_justify="left",
        )
        table.add_column("strategy")
        for label in HEADLINE.values():
            table.add_column(f"Δ {label}", justify="right")
        for name in result.strategies[1:]:
            table.add_row(f"{name} − {baseline}", *(_cell(diffs, name, metric, signed=True) for metric in HEADLINE))
        out_console.print(table)


def _cell(table: pd.DataFrame, strategy: str, metric: str, signed: bool = False) -> str:
    """``mean ± half-width`` of one metric (percent points for the repurchase rate), ``n/a`` without a mean."""
    row = cast(pd.Series, table.loc[(strategy, metric)])  # the index is unique: one row
    if math.isnan(row["mean"]):
        return "n/a"
    half = (row["ci_high"] - row["ci_low"]) / 2
    if metric == "repurchase_rate":
        unit = " pt" if signed else "%"
        mean = f"{row['mean'] * 100:{'+' if signed else ''}.1f}{unit}"
        return mean if math.isnan(half) else f"{mean} ± {half * 100:.1f}{unit}"
    mean = compact_number(row["mean"], signed)
    return mean if math.isnan(half) else f"{mean} ± {compact_number(half)}"
