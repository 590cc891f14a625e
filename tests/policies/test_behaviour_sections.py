"""A lever's behaviour section is read only by runs that use the lever (``Policy.behaviour_sections``).

The report counts privsim's defaults only among the values a run reads and
lists the lever sections of unused levers apart; that is right only if a run
without the lever gives the same figures whatever those sections hold. So:
the same small scenario and seed, once with every lever section at its
defaults and once with every value in them changed, must give identical
replication tables for strategies that use no such lever.
"""

from __future__ import annotations

from typing import get_args

import pandas as pd
import pytest

import privsim
from helpers import scenario_dict, strategy
from privsim.config.behaviour import Behaviour
from privsim.policies import LEVER_SECTIONS, POLICY_CLASSES, REGISTRY, behaviour_sections_read


def changed_section(section: str) -> dict:
    """Every value of behaviour.<section> moved off its default (halved, one more day, the other switch or
    choice), within its bounds."""
    model = type(getattr(Behaviour(), section))
    out: dict[str, float | int | str] = {}
    for name, field in model.model_fields.items():
        default = field.default
        if isinstance(default, bool):
            out[name] = not default
        elif isinstance(default, str):
            out[name] = next(choice for choice in get_args(field.annotation) if choice != default)
        else:
            out[name] = default + 1 if isinstance(default, int) else default * 0.5
    return out


def test_every_lever_section_is_a_behaviour_section_and_belongs_to_a_policy() -> None:
    assert set(Behaviour.model_fields) >= LEVER_SECTIONS
    assert behaviour_sections_read(REGISTRY) == LEVER_SECTIONS
    assert behaviour_sections_read(["none", "clearance", "nurture", "winback"]) == frozenset()
    assert behaviour_sections_read(["koc_programme"]) == {"koc", "group"}
    assert all(isinstance(cls.behaviour_sections, tuple) for cls in POLICY_CLASSES)


@pytest.mark.slow
def test_a_run_without_a_lever_does_not_read_its_behaviour_section() -> None:
    strategies = [
        strategy("none", {"kind": "none"}),
        strategy("clearance", {"kind": "clearance", "every_days": 14}),
        strategy("nurture", {"kind": "nurture"}),
        strategy("winback", {"kind": "nurture"}, {"kind": "winback"}),
    ]
    base = scenario_dict(horizon_days=120, strategies=strategies)
    changed = scenario_dict(
        horizon_days=120,
        strategies=strategies,
        behaviour={section: changed_section(section) for section in LEVER_SECTIONS},
    )
    tables = [
        privsim.run_scenario(privsim.parse_scenario(data), replications=2, jobs=1).tables.replications
        for data in (base, changed)
    ]
    pd.testing.assert_frame_equal(*tables, check_exact=True)


@pytest.mark.parametrize("section", sorted(LEVER_SECTIONS))
def test_changed_values_are_valid(section: str) -> None:
    privsim.parse_scenario(scenario_dict(behaviour={section: changed_section(section)}))
