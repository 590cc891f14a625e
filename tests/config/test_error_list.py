"""A file with several errors: every one of them, one line each, in one ScenarioError (the first's attributes)."""

from __future__ import annotations

import pickle

import pytest

import privsim
from helpers import scenario_dict
from privsim.core.errors import ScenarioError
from privsim.scenario import parse_scenario


def test_every_error_is_a_line_and_the_first_is_the_attributes() -> None:
    data = scenario_dict()
    data["horizon_days"] = -5
    data["seed"] = "abc"
    data["colour"] = "red"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "s.yaml")
    err = info.value
    lines = str(err).splitlines()
    assert len(lines) == 3 == 1 + len(err.others)
    assert all(line.startswith("s.yaml: ") for line in lines)
    assert {o.field for o in err.others} | {err.field} == {"horizon_days", "seed", "colour"}
    assert lines[0] == str(ScenarioError(err.source, err.loc, err.value, err.allowed))  # the first, alone
    assert "more error" not in str(err)
    again = pickle.loads(pickle.dumps(err))  # from a worker process, intact
    assert str(again) == str(err) and [o.field for o in again.others] == [o.field for o in err.others]


def test_one_error_is_one_line() -> None:
    data = scenario_dict()
    data["horizon_days"] = 0
    with pytest.raises(privsim.ScenarioError) as info:
        parse_scenario(data, "s.yaml")
    assert info.value.others == () and len(str(info.value).splitlines()) == 1
