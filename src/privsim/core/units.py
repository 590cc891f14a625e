"""Calendar units, named once.

The simulation's time unit is the day; yearly and monthly rates and fees
are converted with these (``rate_per_day = rate_per_year / DAYS_PER_YEAR``,
``fee_per_day = fee_per_month x MONTHS_PER_YEAR / DAYS_PER_YEAR``).
They are ints, so an expression keeps the float type of its other operand.
"""

#: Days in a (simulated) year.
DAYS_PER_YEAR = 365
#: Months in a year.
MONTHS_PER_YEAR = 12
