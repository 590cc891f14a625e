"""``privsim show``, ``privsim plot`` and ``privsim report``: tables, figures and an HTML report from a results
folder alone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from privsim.cli import tables
from privsim.cli.output import exits_on_error, out_console
from privsim.cli.tables import CiOption, FormatOption
from privsim.core.errors import OptionError
from privsim.results import load_results

app = typer.Typer()

ResultsArg = Annotated[
    Path, typer.Argument(help="Results folder written by privsim run.", show_default=False, metavar="RESULTS_DIR")
]


@app.command()
@exits_on_error
def show(
    results_dir: ResultsArg,
    baseline: Annotated[
        str | None,
        typer.Option(help="Strategy the others are compared with (default: the run's first).", show_default=False),
    ] = None,
    table_format: FormatOption = "table",
    ci: CiOption = False,
) -> None:
    """Print the comparison of a results folder again, without re-running it.

    The same tables as privsim run; --baseline NAME gives the paired
    differences against any strategy of the run (from its replications).

    Example: privsim show results/quickstart --baseline nurture --format markdown
    """
    tables.check_format(table_format)
    tables.print_comparison(tables.of_results(load_results(results_dir), baseline), table_format, ci)


@app.command()
@exits_on_error
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
    write_figures(results_dir, image_format, out)


@app.command()
@exits_on_error
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

    results = load_results(results_dir)
    path = write_report(results, out or results.path / "report.html")
    out_console.print(f"Report written to {path}", highlight=False, soft_wrap=True)


def write_figures(results_dir: Path, image_format: str, out: Path | None, console: Console = out_console) -> None:
    """Load, check, draw every figure, then write them (nothing is written on bad input); ``privsim run --plot`` too."""
    from privsim.reporting import plots  # imports matplotlib: only when needed

    if image_format not in plots.FORMATS:
        raise OptionError("--format", image_format, f"must be one of {', '.join(plots.FORMATS)}")
    results = load_results(results_dir)
    paths = plots.write_figures(results, out or results.path / "figures", image_format)
    names = ", ".join(path.name for path in paths)
    console.print(f"Figures written to {paths[0].parent}: {names}", highlight=False)
