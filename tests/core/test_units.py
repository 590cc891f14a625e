"""How a share is written: levels in %, differences in percentage points."""

from __future__ import annotations

import pytest

from privsim.core.units import share_text


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [(0.546, False, "54.6%"), (0.068, True, "+6.8 pt"), (-0.0123, True, "-1.2 pt"), (float("nan"), True, "n/a")],
)
def test_share_text_levels_in_percent_differences_in_points(value: float, signed: bool, text: str) -> None:
    assert share_text(value, signed) == text
