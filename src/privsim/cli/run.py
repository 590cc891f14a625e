"""``privsim run`` and ``privsim check``: a scenario file, simulated or checked."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from privsim.cli import tables
from privsim.cli.examples import scenario_path
from privsim.cli.output import ProgressBar, err_console, exits_on_error, out_console
from privsim.cli.results import write_figures
from privsim.cli.tables import CiOption, FormatOption
from privsim.core.errors import OptionError
from privsim.results import TABLE_FORMATS, check_table_format
from privsim.runner import default_out_dir, run_scenario
from privsim.scenario import load_scenario

app = typer.Typer()

ScenarioArg = Annotated[
    Path,
    typer.Argument(
        help="Scenario YAML file, or the name of a shipped example (privsim examples), e.g. quickstart.",
        show_default=False,
        metavar="SCENARIO",
    ),
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
    table_format: FormatOption = "table",
    ci: CiOption = False,
    table_files: Annotated[
        str, typer.Option("--tables", help="Table files: csv, or parquet (needs pip install 'privsim\\[parquet]').")
    ] = "csv",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Finish the run Ctrl-C or a crash interrupted in --out: simulate only what is missing."
        ),
    ] = False,
) -> None:
    """Run every strategy of SCENARIO and print the comparison table.

    Example: privsim run scenarios/quickstart.yaml --replications 5 --strategy none --strategy nurture
    """
    tables.check_format(table_format)
    if table_files not in TABLE_FORMATS:
        raise OptionError("--tables", table_files, f"must be one of {', '.join(TABLE_FORMATS)}")
    check_table_format(table_files)
    path = scenario_path(scenario)
    loaded, text = load_scenario(path)
    started = dt.datetime.now(dt.UTC)
    if out is None and not resume:
        out = default_out_dir(Path("results"), loaded.name, started.isoformat())
    with ProgressBar("simulating", "runs") as bar:
        result = run_scenario(
            loaded,
            text,
            replications=replications,
            seed=seed,
            strategies=strategy,
            jobs=jobs,
            progress=bar.update,
            source=str(path),
            command=["privsim", *sys.argv[1:]],
            out=out,
            resume=resume,
            started=started,
        )
    folder = result.write(out, table_format=table_files)
    tables.print_comparison(tables.of_run(result), table_format, ci)
    messages = out_console if table_format == "table" else err_console
    messages.print(f"Results written to {folder}", highlight=False, soft_wrap=True)
    if plot:
        write_figures(folder, "png", None, messages)


@app.command()
@exits_on_error
def check(scenario: ScenarioArg) -> None:
    """Validate SCENARIO without running it.

    Example: privsim check scenarios/quickstart.yaml
    """
    path = scenario_path(scenario)
    loaded, _ = load_scenario(path)
    base = sum(g.count for g in loaded.population.initial)
    names = ", ".join(s.name for s in loaded.strategies)
    out_console.print(
        f"{path}: OK — {loaded.name}: {loaded.horizon_days} days from {loaded.start_date}, "
        f"{base:,} initial members, {len(loaded.channels)} channels, {len(loaded.accounts)} account pools, "
        f"{len(loaded.tiers)} tiers, strategies: {names}; {loaded.replications} replications, seed {loaded.seed}",
        highlight=False,
    )
