"""The time-left estimate of privsim.core.progress."""

from __future__ import annotations

import math

from privsim.core.progress import Eta, duration, remaining_seconds


def test_remaining_seconds_extrapolates_the_mean_step() -> None:
    assert remaining_seconds(3, 12, 30.0) == 90.0
    assert remaining_seconds(12, 12, 30.0) == 0.0
    assert math.isnan(remaining_seconds(0, 12, 5.0))


def test_duration() -> None:
    assert [duration(s) for s in (4.4, 65.2, 3725, math.nan)] == ["4s", "1m 05s", "1h 02m", "?"]


def test_eta_lines() -> None:
    now = [100.0]
    lines: list[str] = []
    eta = Eta(lines.append, clock=lambda: now[0])
    now[0] = 120.0
    eta(2, 6)
    now[0] = 160.0
    eta(6, 6)
    assert lines == ["2/6 replications · 20s elapsed · about 40s left", "6/6 replications · 1m 00s elapsed · done"]
