"""Everything a scenario file sets except its strategies: the brand's world.

Policies read this (the horizon, the calendar, the tiers, pools and
channels); :class:`privsim.scenario.Scenario` adds the strategies.

Units: money in RMB (``_rmb``), time in days (``_days``), rates per day or
per year as the name says, shares and probabilities in [0, 1].
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import numpy as np
from pydantic import Field, model_validator

from privsim.config.base import (
    MAX_ACCOUNTS,
    MAX_CHANNELS,
    MAX_MEMBERS,
    MAX_TIERS,
    Count,
    Days,
    Model,
    Name,
    WholeNumber,
)
from privsim.config.behaviour import Behaviour
from privsim.config.operations import Account, Channel, Costs, Delivery, Lifecycle, Staff, Tier
from privsim.config.population import Population


class ScenarioBase(Model):
    """A brand's world: its members, their behaviour, its channels, accounts, staff, tiers and costs."""

    name: Name = Field(
        description="Short name shown in reports and figures, Chinese welcome (e.g. 精细化运营); the results "
        "folder is named after its slug (privsim.runner.slug).",
    )
    description: str = Field("", description="Free text shown in reports.")
    horizon_days: Days = Field(ge=1, description="Days simulated.")
    start_date: dt.date = Field(dt.date(2025, 1, 1), description="Calendar date of day 0 (months are calendar months).")
    seed: WholeNumber = Field(
        0,
        ge=0,
        le=2**128 - 1,
        description="Root seed of the run's numpy SeedSequence (whose state has 128 bits: larger seeds add nothing).",
    )
    replications: Count = Field(10, ge=1, description="Independent replications per strategy.")
    population: Population = Field(Population(), description="Member base and heterogeneity.")
    behaviour: Behaviour = Field(Behaviour(), description="Member response parameters.")
    lifecycle: Lifecycle | None = Field(None, description="End of need; null = members never age out.")
    channels: tuple[Channel, ...] = Field((), max_length=MAX_CHANNELS, description="Acquisition channels.")
    accounts: tuple[Account, ...] = Field(
        min_length=1, description="Contact-account pools; new members fill them in the order listed."
    )
    staff: Staff = Field(Staff(), description="Member-operations team.")
    tiers: tuple[Tier, ...] = Field(min_length=1, max_length=MAX_TIERS, description="Trust-tier ladder, lowest first.")
    costs: Costs = Field(Costs(), description="Other fixed costs.")
    delivery: Delivery = Field(Delivery(), description="Delivery times and the return window (behaviour.returns).")

    @model_validator(mode="after")
    def _check_world(self) -> ScenarioBase:
        unique(self.tiers, "tiers")
        unique(self.channels, "channels")
        unique(self.accounts, "accounts")
        names = [t.name for t in self.tiers]
        for i, group in enumerate(self.population.initial):
            if group.tier not in names:
                raise FieldError(
                    ("population", "initial", i, "tier"), group.tier, f"must be one of the tier names {names}"
                )
        for i in range(1, len(self.tiers)):
            lower, upper = self.tiers[i - 1], self.tiers[i]
            for threshold in ("min_purchases", "min_spend_rmb"):
                if getattr(upper, threshold) < getattr(lower, threshold):
                    raise FieldError(
                        ("tiers", i, threshold),
                        getattr(upper, threshold),
                        f"must not be below {getattr(lower, threshold)}, the {threshold} of the tier under it "
                        f"({lower.name!r})",
                    )
        check_account_growth(self)
        capacity = sum(a.count * a.members_per_account for a in self.accounts if not a.holding)
        base = sum(g.count for g in self.population.initial)
        if base > capacity:
            raise FieldError(
                ("population", "initial"),
                base,
                f"the initial base must fit the accounts' capacity of {capacity} members "
                "(sum of accounts[].count x members_per_account, holding pools aside)",
            )
        entering = sum(e.count for e in self.population.entries)
        if base + entering > capacity:
            raise FieldError(
                ("population", "entries"),
                entering,
                f"the initial base ({base}) and the entries must fit the accounts' capacity of {capacity} members",
            )
        adds = round(self.horizon_days * sum(c.leads_per_day * c.add_rate for c in self.channels))
        if base + entering + adds > MAX_MEMBERS:
            raise FieldError(
                ("channels",),
                adds,
                f"the initial base ({base}), the entries ({entering}) and the expected adds (horizon_days x "
                f"leads_per_day x add_rate, summed over channels) must not exceed {MAX_MEMBERS}, the most members "
                "one run can hold",
            )
        return self

    @model_validator(mode="after")
    def _check_staff_time(self) -> ScenarioBase:
        staff = self.staff
        if staff.minutes_saved_per_koc_post > staff.minutes_per_group_post:
            raise FieldError(
                ("staff", "minutes_saved_per_koc_post"),
                staff.minutes_saved_per_koc_post,
                f"must not exceed staff.minutes_per_group_post ({staff.minutes_per_group_post}): a KOC's post "
                "cannot save more staff time than a staff post takes",
            )
        if staff.top_segment_effort_share > 0 and staff.hours_per_person_per_day is None:
            raise FieldError(
                ("staff", "top_segment_effort_share"),
                staff.top_segment_effort_share,
                "must be 0 unless staff.hours_per_person_per_day is set (unlimited time reserves nothing)",
            )
        if staff.top_segment_tiers > len(self.tiers):
            raise FieldError(
                ("staff", "top_segment_tiers"),
                staff.top_segment_tiers,
                f"must be between 1 and the number of tiers ({len(self.tiers)})",
            )
        return self

    def month_of_day(self) -> np.ndarray:
        """Calendar month index (0 = the month of day 0) of each simulated day."""
        months = self._days().astype("datetime64[M]")
        return np.asarray(months - months[0], dtype=np.int64)

    def month_starts(self) -> np.ndarray:
        """First calendar day of each simulated month (datetime64[M])."""
        return np.unique(self._days().astype("datetime64[M]"))

    def _days(self) -> np.ndarray:
        return np.datetime64(self.start_date, "D") + np.arange(self.horizon_days)


class FieldError(ValueError):
    """A cross-field check failure that knows its field path (turned into a ScenarioError)."""

    def __init__(self, loc: tuple[str | int, ...], value: object, allowed: str) -> None:
        super().__init__(allowed)
        self.loc, self.value, self.allowed = loc, value, allowed


class _Named(Protocol):
    @property
    def name(self) -> str: ...


def unique(items: tuple[_Named, ...], field: str) -> None:
    """Raise FieldError at the first item of ``items`` whose ``name`` repeats an earlier one."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.name in seen:
            raise FieldError((field, i, "name"), item.name, f"must be unique within `{field}`")
        seen.add(item.name)


def check_account_growth(scenario: ScenarioBase) -> None:
    """Raise FieldError at the first bad account addition or holding setting (see ``Account``)."""
    for i, pool in enumerate(scenario.accounts):
        for j, addition in enumerate(pool.additions):
            loc = ("accounts", i, "additions", j)
            if (addition.day is None) == (addition.date is None):
                raise FieldError(loc, addition.day, "give exactly one of `day` and `date`")
            if addition.date is not None and addition.date < scenario.start_date:
                raise FieldError(
                    (*loc, "date"), addition.date, f"must be on or after start_date ({scenario.start_date})"
                )
        if pool.accounts_total() > MAX_ACCOUNTS:
            raise FieldError(
                ("accounts", i, "additions"),
                pool.accounts_total(),
                f"count plus the additions' counts must not exceed {MAX_ACCOUNTS} accounts",
            )
        if pool.holding_loss_rate_per_day > 0 and not pool.holding:
            raise FieldError(
                ("accounts", i, "holding_loss_rate_per_day"),
                pool.holding_loss_rate_per_day,
                "needs `holding: true` (only leads waiting on a holding account are lost)",
            )
    holding = [i for i, pool in enumerate(scenario.accounts) if pool.holding]
    if len(holding) > 1:
        raise FieldError(("accounts", holding[1], "holding"), True, "at most one account pool can be a holding pool")
    if len(holding) == len(scenario.accounts):
        raise FieldError(
            ("accounts", holding[0], "holding"), True, "needs a staff pool (holding: false) to pass its leads to"
        )
