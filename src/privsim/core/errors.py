"""Errors a user can act on: one line naming the file, the field, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence


class PrivsimError(Exception):
    """Base of the errors privsim reports to a user as one line (exit code 2 in the CLI)."""


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


#: The value of a field that is absent.
MISSING = _Missing()


class ScenarioError(PrivsimError):
    """A scenario (or another input file) that cannot be used.

    ``str(err)`` reads ``<file>: <field path> = <value> — <what is allowed>``;
    the parts are kept as attributes so tests can pin them. A file with
    several errors is one ScenarioError, the first, holding the others in
    ``others``; its message has one such line per error.
    """

    def __init__(
        self,
        source: str,
        loc: Sequence[str | int],
        value: object,
        allowed: str,
        others: Sequence[ScenarioError] = (),
    ) -> None:
        self.source = source
        self.field = field_path(loc)
        self.value = value
        self.allowed = allowed
        self.others = tuple(others)
        where = f"{self.field} = {show_value(value)} — " if self.field else ""
        super().__init__("\n".join([f"{source}: {where}{allowed}", *(str(other) for other in self.others)]))
        self.loc = tuple(loc)

    def __reduce__(
        self,
    ) -> tuple[type[ScenarioError], tuple[str, tuple[str | int, ...], object, str, tuple[ScenarioError, ...]]]:
        """Picklable, so an error raised in a worker process reaches the parent intact."""
        return (ScenarioError, (self.source, self.loc, self.value, self.allowed, self.others))


class OptionError(PrivsimError):
    """A command-line option (or the library argument behind it) with a value that cannot be used.

    ``str(err)`` reads ``<option> = <value> — <what is allowed>``, e.g.
    ``--replications = 0 — must be at least 1``; the parts are kept as attributes.
    """

    def __init__(self, option: str, value: object, allowed: str) -> None:
        self.option = option
        self.value = value
        self.allowed = allowed
        super().__init__(f"{option} = {show_value(value)} — {allowed}")

    def __reduce__(self) -> tuple[type[OptionError], tuple[str, object, str]]:
        """Picklable, so an error raised in a worker process reaches the parent intact."""
        return (OptionError, (self.option, self.value, self.allowed))


class Interrupted(PrivsimError):
    """A run stopped by Ctrl-C or SIGTERM; the message says what was kept and how to finish it (exit code 130)."""


def field_path(loc: Sequence[str | int]) -> str:
    """``('strategies', 1, 'policies', 0, 'kind')`` → ``strategies[1].policies[0].kind``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def show_value(value: object) -> str:
    """``value`` as a user wrote it, cut to 60 characters."""
    try:
        text = repr(value) if isinstance(value, str) else str(value)
    except ValueError:  # Python does not print integers of more than 4300 digits
        text = (
            "an integer of more than 4300 digits"
            if isinstance(value, int)
            else f"a {type(value).__name__} of huge numbers"
        )
    return text if len(text) <= 60 else text[:57] + "..."
