"""The base of every input model, and the constrained number types fields use.

Each type below bounds a number from above by what the engine can
represent: counts fit the member table and its int32 row indices, days fit
the horizon, and floats that feed float32 columns, ``exp()``, powers or
gamma draws stay finite. A type carries the upper bound (and, for floats,
finiteness); each field states its lower bound (``ge=0``, ``ge=1``,
``gt=0``, ...) itself, because pydantic keeps only one bound of a kind.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

#: Most members one run can hold: each is a row of the member table, about 205 B (2 GB at this many, in
#: each worker process), indexed by int32 columns.
MAX_MEMBERS = 10_000_000
#: Longest span in days: 100 years, the longest horizon; day numbers then stay far inside the int32 day columns.
MAX_DAYS = 36_500
#: Most accounts in one pool: each is a row of the account table (about 50 B); a million accounts of one
#: member each already hold a tenth of MAX_MEMBERS.
MAX_ACCOUNTS = 1_000_000
#: Most tier rungs: a member's rung is an int8 column.
MAX_TIERS = 100
#: Most acquisition channels: a member's channel is an int16 column.
MAX_CHANNELS = 1000
#: Largest amount of money, RMB: a billion; amounts live in float32 columns (coupons, balances, spend), still
#: exact to about 100 RMB there, and sums over members and days stay far from float64's limits.
MAX_RMB = 1e9
#: Smallest positive amount of money, RMB (one fen): the smallest reference a ratio of money may divide by.
MIN_RMB = 0.01
#: Largest rate per year: ten a day, beyond which a daily chance is 1 anyway.
MAX_PER_YEAR = 3650.0
#: Largest coefficient in an exponent (``exp(s x ...)``, ``x ** s``): exp(10) is 22,026, a hazard factor that
#: already makes any chance 1, while the products of such factors stay finite.
MAX_SENSITIVITY = 10.0
#: Largest dimensionless multiplier, lift, spread or amount (quality, lifts, fatigue units, coefficients of
#: variation, mean invitations): 100 keeps the float32 columns and gamma draws they feed finite.
MAX_FACTOR = 100.0
#: Deepest share off list price: 95 % (a coupon's pull is capped there too); deeper rounds towards 1 in the
#: float32 offer column and (1 - depth) ** -elasticity grows without bound.
MAX_DISCOUNT = 0.95


def _number(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, str):
        raise ValueError("must be an integer written without quotes, not text")
    return _number(value)


#: A float that is not ``true``/``false`` (pydantic's lax mode reads them as 1 and 0). Text such as ``1e5``,
#: which YAML 1.1 reads as text, is still read as a number.
Number = Annotated[float, BeforeValidator(_number)]
#: An integer that is neither ``true``/``false`` nor quoted text (``seed: '12'``).
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]

#: A share or probability in [0, 1].
Share = Annotated[float, Field(ge=0.0, le=1.0), BeforeValidator(_number)]
#: A finite number >= 0 (for inputs outside a scenario, e.g. the calibration registry's tolerances).
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False), BeforeValidator(_number)]
#: A share off list price in [0, MAX_DISCOUNT].
Discount = Annotated[float, Field(ge=0.0, le=MAX_DISCOUNT), BeforeValidator(_number)]
#: A number of members, contacts, accounts, purchases or replications: at most MAX_MEMBERS.
Count = Annotated[int, Field(le=MAX_MEMBERS), BeforeValidator(_whole_number)]
#: A rung of the tier ladder (0 = lowest): below MAX_TIERS.
TierRung = Annotated[int, Field(le=MAX_TIERS - 1), BeforeValidator(_whole_number)]
#: A day (0-based) or a number of days: at most MAX_DAYS.
Days = Annotated[int, Field(le=MAX_DAYS), BeforeValidator(_whole_number)]
#: A finite span of days that need not be whole (a half-life): at most MAX_DAYS.
DaysSpan = Annotated[float, Field(le=MAX_DAYS, allow_inf_nan=False), BeforeValidator(_number)]
#: A finite amount of money, RMB: at most MAX_RMB.
MoneyRmb = Annotated[float, Field(le=MAX_RMB, allow_inf_nan=False), BeforeValidator(_number)]
#: A finite mean count per day (leads): at most MAX_MEMBERS.
PerDay = Annotated[float, Field(le=float(MAX_MEMBERS), allow_inf_nan=False), BeforeValidator(_number)]
#: A finite rate or hazard per year: at most MAX_PER_YEAR.
PerYear = Annotated[float, Field(le=MAX_PER_YEAR, allow_inf_nan=False), BeforeValidator(_number)]
#: A finite coefficient in an exponent (a sensitivity or an elasticity): at most MAX_SENSITIVITY.
Sensitivity = Annotated[float, Field(le=MAX_SENSITIVITY, allow_inf_nan=False), BeforeValidator(_number)]
#: A finite dimensionless multiplier or amount: at most MAX_FACTOR.
Factor = Annotated[float, Field(le=MAX_FACTOR, allow_inf_nan=False), BeforeValidator(_number)]
#: A span of work time in minutes: 0 to a day's 1440.
Minutes = Annotated[float, Field(ge=0.0, le=1440.0, allow_inf_nan=False), BeforeValidator(_number)]


def _printable(name: str) -> str:
    if not name.strip() or not name.isprintable():
        raise ValueError(
            "must be printable text of 1 to 100 characters (Chinese is fine), not blank, "
            "without line breaks, tabs or control characters"
        )
    return name


#: A name shown in results and figures (a strategy, channel, account pool, tier, sale): 1 to 100 printable
#: characters, not blank (a blank name is a blank row in a table; a NUL or a line break breaks the CSV).
Name = Annotated[str, Field(max_length=100), AfterValidator(_printable)]


class Model(BaseModel):
    """Base of every input model: immutable, and unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
