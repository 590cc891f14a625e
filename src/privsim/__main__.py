"""``python -m privsim`` is the ``privsim`` command."""

from privsim.cli import app

app(prog_name="privsim")
