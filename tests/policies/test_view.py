"""A policy sees the world through a read-only view: it can change it only through the actions it returns."""

from __future__ import annotations

import numpy as np
import pytest

import privsim
from helpers import SEED, scenario_dict, strategy
from privsim.agents.members import COLUMNS
from privsim.sim.world import World


def _world_with_groups() -> World:
    scenario = privsim.parse_scenario(scenario_dict(strategies=[strategy("groups", {"kind": "groups"})]))
    return World(scenario, scenario.strategies[0], SEED, 0)


def test_writing_member_state_through_the_view_raises() -> None:
    world = _world_with_groups()
    view = world.view()
    assert view.members.n == world.members.n > 0
    for name in COLUMNS:
        with pytest.raises(ValueError, match="read-only"):
            getattr(view.members, name)[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        view.members.trust[: view.members.n] *= 0.5
    # the view shares the world's arrays: it sees the current state without copying it
    assert np.shares_memory(view.members.trust, world.members.trust)
    np.testing.assert_array_equal(view.members.trust[: world.members.n], world.members.trust[: world.members.n])


def test_writing_groups_kocs_and_tiers_through_the_view_raises() -> None:
    world = _world_with_groups()
    view = world.view()
    for array in (view.groups.host, view.groups.size, view.kocs.status, view.kocs.level, view.tier_member_discount):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0
    with pytest.raises(AttributeError):
        view.day = 3  # type: ignore[misc]
    # the world itself stays writable
    world.members.trust[0] = 0.5
    assert world.view().members.trust[0] == np.float32(0.5)
