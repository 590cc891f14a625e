"""The progress callback long library calls take (the CLI draws it as a progress bar)."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, total)``: called after each finished step (a replication, an evaluation of the loss).
Progress = Callable[[int, int], None]
