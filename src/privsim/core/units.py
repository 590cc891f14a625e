"""Calendar units, named once, and how a share is written.

The simulation's time unit is the day; yearly and monthly rates and fees
are converted with these (``rate_per_day = rate_per_year / DAYS_PER_YEAR``,
``fee_per_day = fee_per_month x MONTHS_PER_YEAR / DAYS_PER_YEAR``).
They are ints, so an expression keeps the float type of its other operand.
"""

#: Days in a (simulated) year.
DAYS_PER_YEAR = 365
#: Months in a year.
MONTHS_PER_YEAR = 12


def share_text(value: float, signed: bool = False) -> str:
    """A share as text: a level in percent (``0.546`` → ``54.6%``), a difference of two shares (``signed``) in
    percentage points (``0.068`` → ``+6.8 pt``), so a reader never mistakes one for the other; ``n/a`` for NaN."""
    if value != value:
        return "n/a"
    return f"{value * 100:+.1f} pt" if signed else f"{value * 100:.1f}%"
