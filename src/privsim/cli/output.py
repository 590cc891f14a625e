"""What the commands print: the consoles, the error line, the progress bar and number formatting.

Results go to stdout (:data:`out_console`); errors and the progress bar to
stderr (:data:`err_console`). A :class:`~privsim.core.errors.PrivsimError`
raised by a command prints ``error: <message>``, one line per error (a file
with several errors lists them all), and exits with code 2; Ctrl-C and
SIGTERM print ``interrupted: ...`` and exit with code 130
(:func:`exits_on_error`).
"""

from __future__ import annotations

import functools
import signal
import threading
import time
from collections.abc import Callable
from typing import ParamSpec

import typer
from rich import progress as rich_progress
from rich.console import Console

from privsim.core.errors import Interrupted, PrivsimError

out_console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")


def exits_on_error(command: Callable[P, None]) -> Callable[P, None]:
    """``command``, printing a PrivsimError as ``error: ...`` lines (one per error) on stderr and exiting with
    code 2. SIGTERM stops it as Ctrl-C does (temporary files removed, finished work kept); either prints
    ``interrupted: ...`` and exits with code 130."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
        try:
            command(*args, **kwargs)
        except (Interrupted, KeyboardInterrupt) as err:
            _print("interrupted", str(err) or "stopped before finishing")
            raise typer.Exit(code=130) from None
        except PrivsimError as err:
            _print("error", str(err))
            raise typer.Exit(code=2) from None
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    return run


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print(label: str, message: str) -> None:
    for line in message.splitlines() or [""]:
        err_console.print(f"{label}: {line}", markup=False, highlight=False, soft_wrap=True)


class ProgressBar:
    """``<verb> ━━━━ done/total <unit> elapsed ETA`` on stderr, shown once the work has taken a second.

    When stderr is not a terminal (a log file, CI), one line per step instead:
    ``<verb>: done/total <unit>, 0:00:12 elapsed, ETA 0:00:30``. Its
    :meth:`update` is a :data:`~privsim.core.progress.Progress` callback.
    """

    def __init__(self, verb: str, unit: str) -> None:
        self._verb, self._unit = verb, unit
        self._columns = (
            rich_progress.TextColumn(verb),
            rich_progress.BarColumn(),
            rich_progress.MofNCompleteColumn(),
            rich_progress.TextColumn(unit),
            rich_progress.TimeElapsedColumn(),
            rich_progress.TimeRemainingColumn(),
        )
        self._start = time.perf_counter()
        self._bar: rich_progress.Progress | None = None
        self._task: rich_progress.TaskID | None = None

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        if not err_console.is_terminal:
            err_console.print(self.line(done, total, time.perf_counter() - self._start), highlight=False)
            return
        if self._bar is None:
            if time.perf_counter() - self._start < 1.0 or done == total:
                return
            self._bar = rich_progress.Progress(*self._columns, console=err_console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)

    def line(self, done: int, total: int, elapsed_s: float) -> str:
        """The progress line after ``done`` of ``total`` steps in ``elapsed_s`` seconds (ETA at the mean pace)."""
        verb, unit = self._verb, self._unit
        eta = _clock(elapsed_s / done * (total - done)) if done else "?"
        return f"{verb}: {done}/{total} {unit}, {_clock(elapsed_s)} elapsed, ETA {eta}"

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _clock(seconds: float) -> str:
    """``75.2`` → ``0:01:15``."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def compact_number(value: float, signed: bool = False) -> str:
    """``12345678`` → ``12.35M``: two decimals with k (from 10 000), M or B; thousands separators below."""
    sign = "+" if signed and value > 0 else ""
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= limit:
            return f"{sign}{value / unit:.2f}{suffix}"
    return f"{sign}{value:,.0f}"
