"""The ``privsim`` command: a thin typer layer over the library.

One module per group of commands, each with its own ``typer.Typer`` whose
commands join the root app: :mod:`~privsim.cli.run` (run, check, policies),
:mod:`~privsim.cli.results` (plot, report), :mod:`~privsim.cli.fit` (fit,
forecast), :mod:`~privsim.cli.calibrate` (calibrate, validate);
:mod:`~privsim.cli.output` prints. Errors in the user's input print one line
(file or option, field, value, what is allowed) to stderr and exit with
code 2; nothing is written.
"""

from __future__ import annotations

import typer

from privsim.cli import calibrate, fit, results, run

app = typer.Typer(
    help="Simulate private-domain member operations and compare strategies on GMV, profit and retention.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (run.app, results.app, fit.app, calibrate.app):
    app.add_typer(group)
