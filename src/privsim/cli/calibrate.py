"""``privsim calibrate`` and ``privsim validate``: fit a case's free parameters, compare benchmarks.

``validate`` exits 0 when every target passes and 1 otherwise; holdouts
are reported, not counted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from privsim.calibration import validate as validation
from privsim.calibration.calibrate import calibrate_case
from privsim.calibration.cases import DEFAULT_REGISTRY, band, load_cases, number, reapplied_text, reported_range
from privsim.cli.output import ProgressBar, exits_on_error, out_console
from privsim.core.errors import PrivsimError
from privsim.core.examples import is_installed
from privsim.core.io import write_file

app = typer.Typer()

#: Where privsim validate writes the table of every case (the one committed in the repository).
FULL_TABLE = Path("VALIDATION.md")

RegistryOption = Annotated[
    Path,
    typer.Option(
        "--registry",
        help="Benchmark registry (case files are relative to it).",
        show_default="the one shipped with privsim, scenarios/cases/benchmarks.yaml",
    ),
]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes; 0 = one per CPU.")]


@app.command()
@exits_on_error
def calibrate(
    case: Annotated[
        str, typer.Argument(help="Case ID from the registry, e.g. APPAREL.", metavar="CASE", show_default=False)
    ],
    registry: RegistryOption = DEFAULT_REGISTRY,
    budget: Annotated[
        int, typer.Option("--budget", "-b", help="Most evaluations of the loss (each runs the target strategies).")
    ] = 60,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the optimiser (the simulations use the scenario's).")
    ] = 0,
    jobs: JobsOption = 0,
    reapply: Annotated[
        bool,
        typer.Option(
            "--reapply",
            help="Do not fit: write the calibrated file again from the case scenario as edited, with the fitted "
            "values it already holds (after a change outside the free parameters, e.g. pinning a behaviour).",
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Finish the calibration Ctrl-C or a crash interrupted (same --budget and --seed): the evaluations "
            "kept beside the calibrated file are not run again.",
        ),
    ] = False,
) -> None:
    """Fit CASE's free parameters to its target figures (never its holdouts).

    Simulated method of moments: the loss sums, over the targets, the squared
    miss outside each tolerance band in units of the tolerance, plus a small
    pull towards the reported figure; every evaluation uses the same random
    numbers. Differential evolution, then least squares (Gauss-Newton), within the budget.
    Writes the calibrated scenario (the case scenario with the fitted values
    and a comment header) and a report beside it. Each evaluation is kept
    beside them as it finishes, so that --resume finishes an interrupted
    calibration with the same result.

    Nothing is written inside an installed package: copy the cases first
    (privsim init DIR --cases) and pass --registry DIR/cases/benchmarks.yaml.

    Example: privsim calibrate APPAREL --budget 80 --seed 1
    """
    _, (files,) = load_cases(registry, [case])
    if is_installed(files.calibrated):
        raise PrivsimError(
            f"{files.calibrated}: inside the installed package, where calibrate does not write; copy the cases "
            f"with privsim init DIR --cases, then privsim calibrate {case} --registry DIR/cases/benchmarks.yaml"
        )
    if reapply:
        text = reapplied_text(files, dt.date.today().isoformat())
        write_file(files.calibrated, text)
        out_console.print(
            f"Written: {files.calibrated} (the fitted values re-applied to {files.scenario.name} as it is now; "
            f"not refitted, {files.report.name} unchanged)",
            highlight=False,
        )
        return
    with ProgressBar("calibrating", "evaluations") as bar:
        result = calibrate_case(registry, case, budget=budget, seed=seed, jobs=jobs, progress=bar.update, resume=resume)
    table = Table(title=f"{result.case}: fitted free parameters", title_justify="left")
    for column in ("parameter", "case value", "fitted", "bounds"):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for p in result.parameters:
        table.add_row(p.path, f"{result.start[p.path]:.4g}", f"{result.values[p.path]:.4g}", f"{p.low:g} .. {p.high:g}")
    out_console.print(table)
    table = Table(
        title=f"Targets at the fitted values (mean of {result.replications} replications)", title_justify="left"
    )
    for column in ("ID", "reported", "band", "simulated", "loss", "result"):
        table.add_column(column, justify="right" if column in ("simulated", "loss") else "left", overflow="fold")
    for t in result.targets:
        lo, hi = band(t.benchmark)
        table.add_row(
            t.benchmark.id,
            reported_range(t.benchmark),
            f"{number(lo)} .. {number(hi)}",
            number(t.simulated),
            f"{t.loss:.3g}",
            "pass" if t.passes else "FAIL",
        )
    out_console.print(table)
    out_console.print(
        f"loss {result.loss:.4g} (at the case scenario's values: {result.start_loss:.4g}); "
        f"{result.evaluations} evaluations of {result.budget}, {result.seconds:.1f} s, "
        f"seed {result.seed}\nWritten: {result.files.calibrated}, {result.files.report}",
        highlight=False,
    )


@app.command()
@exits_on_error
def validate(
    cases: Annotated[
        list[str] | None,
        typer.Argument(help="Case IDs (default: every case of the registry).", metavar="CASE", show_default=False),
    ] = None,
    registry: RegistryOption = DEFAULT_REGISTRY,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-n", help="Replications per case (default: each case's).", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Markdown file the table is written to (default: VALIDATION.md for every case, "
            "validation-<case>-....md for some).",
            show_default=False,
        ),
    ] = None,
    jobs: JobsOption = 0,
) -> None:
    """Run the calibrated case scenarios and compare every benchmark with its reported figure.

    One row per benchmark (targets first, then holdouts): reported figure,
    simulated mean with its 95 % confidence interval, relative error against
    the reported range, pass or fail within the tolerance. The same table goes
    to VALIDATION.md with the version, seeds, date and command; a run of
    some cases only goes to validation-<case>-....md instead, so that it never
    replaces the full table. Exit code 0 when every target passes, 1 otherwise.

    Example: privsim validate APPAREL DIAPER --replications 10 --out VALIDATION.md
    """
    if out is None:
        out = partial_out(cases) if cases else FULL_TABLE
    if out.is_dir():
        raise PrivsimError(f"{out}: is a folder; --out must be a markdown file")
    with ProgressBar("validating", "runs") as bar:
        result = validation.validate(registry, cases or [], replications=replications, jobs=jobs, progress=bar.update)
    table = Table(
        title="Benchmarks: simulated (mean ± half-width of the 95 % CI) against reported",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for header in validation.HEADERS:
        numeric = header in ("simulated mean [95 % CI]", "relative error")
        label = {"simulated mean [95 % CI]": "simulated", "relative error": "rel. error"}.get(header, header)
        table.add_column(label, justify="right" if numeric else "left", overflow="fold", no_wrap=header != "reported")
    for cells in validation.table_rows(result, plus_minus=True):
        table.add_row(*cells)
    for note in validation.run_notes(result):
        out_console.print(note.replace("`", ""), highlight=False)
    out_console.print(table)
    command = ["privsim", "validate", *(cases or [])]
    if registry != DEFAULT_REGISTRY:
        command += ["--registry", str(registry)]
    if replications is not None:
        command += ["--replications", str(replications)]
    if out != (partial_out(cases) if cases else FULL_TABLE):
        command += ["--out", str(out)]
    write_file(out, validation.markdown(result, command))
    out_console.print(f"{validation.summary_line(result)}\nWritten: {out}", highlight=False)
    raise typer.Exit(code=0 if result.targets_pass else 1)


def partial_out(cases: list[str]) -> Path:
    """Where the table of some cases goes by default: ``validation-steak-apparel.md`` (never VALIDATION.md)."""
    return Path(f"validation-{'-'.join(dict.fromkeys(c.lower() for c in cases))}.md")
