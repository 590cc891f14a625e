"""Free parameters in a scenario: read and set a dotted path, check bounds, write a calibrated file.

A free parameter's ``path`` (``behaviour.trust.dropout_sensitivity``) names
a number in the scenario. :func:`parameter_value` reads it from a validated
:class:`~privsim.scenario.Scenario` (so a field the file leaves at its
default is read too); :func:`with_parameters` sets values in the scenario's
data dict, checks each against its free parameter's bounds and re-validates
the result with :func:`privsim.parse_scenario`. Every failure is a
:class:`~privsim.core.errors.ScenarioError` naming the file, the path, the value
and what is allowed.

:func:`calibrated_text` writes the values into the case scenario's own
YAML text: each value already in the file is replaced where it stands, so
the file's comments (the benchmark IDs of the inputs) and layout survive;
when a path is not written in the file (the field is at its default), the
whole document is dumped again with ``yaml.safe_dump`` instead. A comment
header says who wrote the file, when and with which values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import yaml
from pydantic import BaseModel

from privsim.calibration.registry import FreeParameter
from privsim.core.errors import ScenarioError
from privsim.scenario import Scenario, parse_scenario


def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def parameter_value(scenario: Scenario, path: str, source: str = "<scenario>", raw: bool = False) -> float:
    """The number at ``path`` in a validated scenario (its default when the file leaves it out).

    ``raw``: return it as stored (an ``int`` for an integer field) instead of as a float.
    """
    node: object = scenario
    for part in _parts(path):
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            raise ScenarioError(source, _parts(path), None, "no such numeric field in a scenario")
        node = getattr(node, part)
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ScenarioError(source, _parts(path), node, "is not a number; a free parameter must name a numeric field")
    return node if raw else float(node)


def get_path(data: Mapping, path: str) -> object:
    """The value at ``path`` in a scenario's data dict; KeyError when the file does not write it."""
    node: object = data
    for part in _parts(path):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def set_path(data: Mapping, path: str, value: object, source: str = "<scenario>") -> dict:
    """A deep copy of ``data`` with ``value`` at ``path`` (missing mappings on the way are created)."""
    out = copy.deepcopy(dict(data))
    node = out
    parts = _parts(path)
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise ScenarioError(source, parts[: i + 1], child, f"must be a mapping to hold {path}")
        node = child
    node[parts[-1]] = value
    return out


def fitted_paths(calibrated_text: str) -> set[str]:
    """The parameter paths a calibrated file's first line lists (``...; values: path = v, ...``); empty without one."""
    _, marked, values = calibrated_text.split("\n", 1)[0].partition("; values: ")
    return {item.split(" = ")[0] for item in values.split(", ")} if marked else set()


def first_difference(a: object, b: object, loc: tuple = ()) -> tuple | None:
    """Location (keys and indices) of the first place where two parsed YAML documents differ; None if equal."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                return (*loc, key)
            if (where := first_difference(a[key], b[key], (*loc, key))) is not None:
                return where
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next(
            (
                w
                for i, (x, y) in enumerate(zip(a, b, strict=True))
                if (w := first_difference(x, y, (*loc, i))) is not None
            ),
            None,
        )
    return None if a == b else loc


def check_bounds(parameter: FreeParameter, value: float, source: str = "<registry>") -> None:
    """ScenarioError unless ``low <= value <= high``."""
    if not parameter.low <= value <= parameter.high:
        raise ScenarioError(
            source,
            _parts(parameter.path),
            value,
            f"outside the free parameter's bounds [{parameter.low:g}, {parameter.high:g}]",
        )


def with_parameters(
    data: Mapping,
    parameters: Sequence[FreeParameter],
    values: Sequence[float],
    source: str = "<scenario>",
) -> tuple[Mapping, Scenario]:
    """Set each parameter's value (bounds checked) and re-validate: (new data dict, scenario).

    A value of an integer field is rounded to the nearest integer.
    """
    base = parse_scenario(data, source)
    for parameter, value in zip(parameters, values, strict=True):
        check_bounds(parameter, float(value), source)
        integer = isinstance(parameter_value(base, parameter.path, source, raw=True), int)
        data = set_path(data, parameter.path, round(value) if integer else float(value), source)
    return data, parse_scenario(data, source)


def check_parameters(scenario_data: Mapping, parameters: Sequence[FreeParameter], source: str) -> None:
    """Every free parameter names a number of the scenario and both its bounds are values the scenario accepts."""
    base = parse_scenario(scenario_data, source)
    for parameter in parameters:
        parameter_value(base, parameter.path, source)
        for bound in (parameter.low, parameter.high):
            try:
                parse_scenario(set_path(scenario_data, parameter.path, bound, source), source)
            except ScenarioError as err:
                raise ScenarioError(
                    source,
                    _parts(parameter.path),
                    bound,
                    f"a bound of the free parameter is not a valid value ({err.allowed})",
                ) from None


def calibrated_text(original: str, values: Mapping[str, float], header: Sequence[str]) -> str:
    """The scenario text with ``values`` (path → value) set, after a comment ``header``.

    Values written in the file are replaced in place (comments and layout
    kept); if any path is missing from the file, the document is dumped
    again from its data (comments lost). Either way the result parses to
    the original data with the values set.
    """
    data = yaml.safe_load(original)
    expected = data
    for path, value in values.items():
        expected = set_path(expected, path, value)
    text = _replace_in_place(original, values)
    if text is None or yaml.safe_load(text) != expected:
        text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=100)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    return comments + "#\n" + text


def _replace_in_place(original: str, values: Mapping[str, float]) -> str | None:
    """Replace each value's scalar in the text (None when a path is not written there)."""
    try:
        root = yaml.compose(original)
    except yaml.YAMLError:
        return None
    spans = []
    for path, value in values.items():
        node = root
        for part in _parts(path):
            if not isinstance(node, yaml.MappingNode):
                return None
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if node is None:
                return None
        if not isinstance(node, yaml.ScalarNode) or node.style is not None:
            return None
        spans.append((node.start_mark.index, node.end_mark.index, yaml_number(value)))
    text = original
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def yaml_number(value: float) -> str:
    """``value`` as YAML writes it (``1.0e-05``, not ``1e-05``, which YAML would read as a string)."""
    return yaml.safe_dump(value).splitlines()[0]
