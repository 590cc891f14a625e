"""The ``privsim`` command: a thin typer layer over :mod:`privsim.runner`.

Errors in the user's input print one line (file, field, value, what is
allowed) to stderr and exit with code 2; nothing is written.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from privsim.core.errors import PrivsimError
from privsim.metrics import HEADLINE
from privsim.policies import REGISTRY
from privsim.results import check_out_dir
from privsim.runner import Run, run_scenario
from privsim.scenario import load_scenario

app = typer.Typer(
    help="Simulate private-domain member operations and compare strategies on GMV, profit and retention.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario YAML file (see scenarios/quickstart.yaml).", show_default=False, metavar="SCENARIO"),
]


def _fail(err: PrivsimError) -> typer.Exit:
    err_console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@app.command()
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
) -> None:
    """Run every strategy of SCENARIO and print the comparison table.

    Example: privsim run scenarios/quickstart.yaml --replications 5 --strategy none --strategy nurture
    """
    try:
        loaded, text = load_scenario(scenario)
        if out is not None:
            check_out_dir(out)
        with _ProgressBar() as bar:
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
        folder = result.write(out)
    except PrivsimError as err:
        raise _fail(err) from None
    _print_comparison(result)
    out_console.print(f"Results written to {folder}", highlight=False)
    if plot:
        _write_figures(folder, "png", None)


@app.command()
def check(scenario: ScenarioArg) -> None:
    """Validate SCENARIO without running it.

    Example: privsim check scenarios/quickstart.yaml
    """
    try:
        loaded, _ = load_scenario(scenario)
    except PrivsimError as err:
        raise _fail(err) from None
    base = sum(g.count for g in loaded.population.initial)
    names = ", ".join(s.name for s in loaded.strategies)
    out_console.print(
        f"{scenario}: OK — {loaded.name}: {loaded.horizon_days} days from {loaded.start_date}, "
        f"{base:,} initial members, {len(loaded.channels)} channels, {len(loaded.accounts)} account pools, "
        f"{len(loaded.tiers)} tiers, strategies: {names}; {loaded.replications} replications, seed {loaded.seed}",
        highlight=False,
    )


@app.command()
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


ResultsArg = Annotated[
    Path, typer.Argument(help="Results folder written by privsim run.", show_default=False, metavar="RESULTS_DIR")
]


@app.command()
def plot(
    results_dir: ResultsArg,
    image_format: Annotated[str, typer.Option("--format", "-f", help="Image format: png, svg or pdf.")] = "png",
    out: Annotated[Path | None, typer.Option(help="Folder for the figures (default: RESULTS_DIR/figures).")] = None,
) -> None:
    """Draw the standard figures of a results folder, without re-running it.

    GMV and profit, members by state, tier mix, cohort retention, differences
    against the baseline, acquisition funnel.

    Example: privsim plot results/my-run --format svg
    """
    _write_figures(results_dir, image_format, out)


@app.command()
def report(
    results_dir: ResultsArg,
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: RESULTS_DIR/report.html).")] = None,
) -> None:
    """Write one self-contained HTML report of a results folder, to send to a colleague.

    The scenario summary, the comparison tables, the figures (embedded) and
    the manifest, in one file that needs no network.

    Example: privsim report results/my-run --out my-run.html
    """
    from privsim.reporting.report import write_report  # imports matplotlib: only when needed
    from privsim.results import load_results

    try:
        results = load_results(results_dir)
        path = write_report(results, out or results.path / "report.html")
    except PrivsimError as err:
        raise _fail(err) from None
    out_console.print(f"Report written to {path}", highlight=False)


def _write_figures(results_dir: Path, image_format: str, out: Path | None) -> None:
    """``privsim plot``: load, check, draw every figure, then write them (nothing is written on bad input)."""
    from privsim.reporting.plots import FORMATS, write_figures  # imports matplotlib: only when needed
    from privsim.results import load_results

    try:
        if image_format not in FORMATS:
            raise PrivsimError(f"--format = {image_format!r} — must be one of {', '.join(FORMATS)}")
        results = load_results(results_dir)
        paths = write_figures(results, out or results.path / "figures", image_format)
    except PrivsimError as err:
        raise _fail(err) from None
    names = ", ".join(path.name for path in paths)
    out_console.print(f"Figures written to {paths[0].parent}: {names}", highlight=False, soft_wrap=True)


def _default(info) -> str:
    """A field's default as a scenario file would write it, or '(required)'."""
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        value = [v.model_dump() for v in value]
    return repr(value)


class _ProgressBar:
    """A progress bar on stderr that appears only once a run has taken more than a second."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._progress: Progress | None = None
        self._task = None

    def __enter__(self) -> _ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        if self._progress is None:
            if time.perf_counter() - self._start < 1.0 or done == total:
                return
            self._progress = Progress(
                TextColumn("simulating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("replications"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("run", total=total)
        self._progress.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


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


def _cell(table, strategy: str, metric: str, signed: bool = False) -> str:
    row = table.loc[(strategy, metric)]
    if math.isnan(row["mean"]):
        return "n/a"
    half = (row["ci_high"] - row["ci_low"]) / 2
    if metric == "repurchase_rate":
        unit = " pt" if signed else "%"
        mean = f"{row['mean'] * 100:{'+' if signed else ''}.1f}{unit}"
        return mean if math.isnan(half) else f"{mean} ± {half * 100:.1f}{unit}"
    mean = _number(row["mean"], signed)
    return mean if math.isnan(half) else f"{mean} ± {_number(half)}"


def _number(value: float, signed: bool = False) -> str:
    sign = "+" if signed and value > 0 else ""
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= limit:
            return f"{sign}{value / unit:.2f}{suffix}"
    return f"{sign}{value:,.0f}"


from privsim.fitting.commands import fit_command, forecast_command  # noqa: E402

app.command("fit")(fit_command)
app.command("forecast")(forecast_command)

from privsim.calibration.commands import calibrate_command, validate_command  # noqa: E402

app.command("calibrate")(calibrate_command)
app.command("validate")(validate_command)
