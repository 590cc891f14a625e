"""The progress callback long library calls take, and an estimate of the time left.

The CLI draws progress as a bar with the elapsed time and the time left
(privsim.cli.output.ProgressBar). In a notebook, :class:`Eta` gives the same
estimate to a function of your choice::

    from privsim.core.progress import Eta
    run = run_scenario(scenario, text, progress=Eta(lambda line: print(line, end="\\r")))

which shows ``12/30 replications · 1m 05s elapsed · about 1m 37s left``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: ``progress(done, total)``: called after each finished step (a replication, an evaluation of the loss).
Progress = Callable[[int, int], None]


def remaining_seconds(done: int, total: int, elapsed_seconds: float) -> float:
    """Seconds left if the remaining steps take as long as the finished ones did on average (NaN before the first)."""
    if done <= 0:
        return math.nan
    return max(total - done, 0) * elapsed_seconds / done


def duration(seconds: float) -> str:
    """``65.2`` → ``1m 05s``; ``3725`` → ``1h 02m``; ``?`` for NaN."""
    if not math.isfinite(seconds):
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class Eta:
    """A :data:`Progress` callback that passes ``show`` one line per step: done/total, elapsed, time left.

    The clock starts when the object is made; ``clock`` (seconds) is for tests.
    """

    def __init__(
        self, show: Callable[[str], object], unit: str = "replications", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._show, self._unit, self._clock = show, unit, clock
        self._start = clock()

    def line(self, done: int, total: int) -> str:
        elapsed = self._clock() - self._start
        left = "done" if done >= total else f"about {duration(remaining_seconds(done, total, elapsed))} left"
        return f"{done}/{total} {self._unit} · {duration(elapsed)} elapsed · {left}"

    def __call__(self, done: int, total: int) -> None:
        self._show(self.line(done, total))
