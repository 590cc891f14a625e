"""The ``privsim`` command: a thin typer layer over the library.

One module per group of commands, each with its own ``typer.Typer`` whose
commands join the root app: :mod:`~privsim.cli.run` (run, check),
:mod:`~privsim.cli.results` (show, plot, report), :mod:`~privsim.cli.examples`
(examples, init), :mod:`~privsim.cli.describe` (policies, schema),
:mod:`~privsim.cli.fit` (fit, forecast), :mod:`~privsim.cli.calibrate`
(calibrate, validate); :mod:`~privsim.cli.output` prints, and
:mod:`~privsim.cli.tables` renders the comparison of ``run`` and ``show``. Errors in the user's input print one line
(file or option, field, value, what is allowed) to stderr and exit with
code 2; nothing is written.
"""

from __future__ import annotations

from typing import Annotated

import typer

import privsim
from privsim.cli import calibrate, describe, examples, fit, results, run

app = typer.Typer(
    help="Simulate private-domain member operations and compare strategies on GMV, profit and retention.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (run.app, results.app, examples.app, describe.app, fit.app, calibrate.app):
    app.add_typer(group)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"privsim {privsim.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Simulate private-domain member operations and compare strategies on GMV, profit and retention."""
