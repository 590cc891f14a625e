"""A pydantic ValidationError as the one-line error a user can act on (file, field, value, what is allowed)."""

from __future__ import annotations

import re
import types
import typing

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from privsim.core.errors import MISSING, ScenarioError


def format_validation_error(err: ValidationError, source: str, root: type[BaseModel]) -> ScenarioError:
    """Every error of a pydantic ValidationError, one line each, as a ScenarioError.

    The ScenarioError's attributes are the first error's, its ``others`` the
    rest, in pydantic's order (the file's). ``root`` is the model that was
    validated; it is used to drop the discriminator tags pydantic puts in
    the location, to list allowed fields and to state both bounds of a range.
    """
    first, *others = (_one_error(e, source, root) for e in _causes(err.errors()))
    return ScenarioError(first.source, first.loc, first.value, first.allowed, others)


def _one_error(error: ErrorDetails, source: str, root: type[BaseModel]) -> ScenarioError:
    """One pydantic error as a one-line ScenarioError."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc, parent, field, tp, description = _resolve(root, tuple(error["loc"]))
    if kind == "extra_forbidden":
        allowed = f"unknown field; allowed: {', '.join(parent.model_fields)}" if parent else "unknown field"
        return ScenarioError(source, loc, error["input"], allowed)
    if kind == "missing":
        return ScenarioError(source, loc, MISSING, "required field is missing")
    if kind == "union_tag_invalid":
        return ScenarioError(
            source, (*loc, "kind"), ctx.get("tag"), f"unknown policy kind; allowed: {ctx.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return ScenarioError(source, (*loc, "kind"), MISSING, "every policy needs a `kind:`")
    bounds = _bounds([*(field.metadata if field is not None else ()), *_annotated_metadata(tp)], description)
    if bounds and kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "int_parsing_size"}:
        return ScenarioError(source, loc, error["input"], f"must be {bounds}")
    if bounds and kind == "finite_number":
        return ScenarioError(source, loc, error["input"], f"must be a finite number, {bounds}")
    model = _as_model(tp)
    if kind == "model_type" and model is not None:
        return ScenarioError(
            source, loc, error["input"], f"must be a mapping of fields ({', '.join(model.model_fields)})"
        )
    if kind == "model_attributes_type":  # a policy: the members of a discriminated union
        return ScenarioError(source, loc, error["input"], "must be a mapping of fields, starting with `kind:`")
    message = re.sub(r"^(Input|String|Value|List|Tuple|Dictionary) should", "must", error["msg"])
    message = message.removeprefix("Value error, ")
    return ScenarioError(source, loc, error.get("input"), message)


def _causes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """``errors`` without those that only follow from others: a list too short because its items were invalid."""
    return [
        e
        for e in errors
        if not (e["type"] == "too_short" and any(o["loc"][: len(e["loc"])] == e["loc"] != o["loc"] for o in errors))
    ]


def _bounds(metadata: list[object], description: str | None) -> str | None:
    """The allowed range of a number in words, with its description (None if unbounded).

    ``metadata`` holds the field's constraints and its type's; where several
    bound the same side (a type's upper bound and the field's own), the
    tightest is stated, as it is the one pydantic enforced.
    """
    lows = [(m.ge, False) for m in metadata if isinstance(m, Ge)] + [
        (m.gt, True) for m in metadata if isinstance(m, Gt)
    ]
    highs = [(m.le, False) for m in metadata if isinstance(m, Le)] + [
        (m.lt, True) for m in metadata if isinstance(m, Lt)
    ]
    lo, lo_open = max(lows, key=lambda b: (b[0], b[1])) if lows else (None, False)
    hi, hi_open = min(highs, key=lambda b: (b[0], not b[1])) if highs else (None, False)
    unit = f" ({description})" if description else ""
    low = f"{'greater than' if lo_open else 'at least'} {lo}" if lo is not None else ""
    high = f"{'less than' if hi_open else 'at most'} {hi}" if hi is not None else ""
    if low and high:
        return (f"between {lo} and {hi}" if not (lo_open or hi_open) else f"{low} and {high}") + unit
    return (low or high) + unit if low or high else None


def _annotated_metadata(tp: object) -> list[object]:
    """Constraints inside an annotation that pydantic keeps there: ``Days | None``, a tuple's element type."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(tp)
        found = _annotated_metadata(base)
        for extra in extras:
            found += extra.metadata if isinstance(extra, FieldInfo) else [extra]
        return found
    return [m for member in _union_members(tp) for m in _annotated_metadata(member)]


def _resolve(
    root: type[BaseModel], raw: tuple[str | int, ...]
) -> tuple[tuple[str | int, ...], type[BaseModel] | None, FieldInfo | None, object, str | None]:
    """Walk a pydantic error location from ``root``.

    Returns the location without discriminator tags (what the user wrote),
    the model holding the last field (None when it cannot be told), that
    field's FieldInfo (None when the location does not end at a field), the
    annotation the location ends at (a field's, or an element type's) and
    the description of the last field on the way (an element is described
    by its list's field).
    """
    loc: list[str | int] = []
    current: object = root
    parent: type[BaseModel] | None = None
    field: FieldInfo | None = None
    description: str | None = None
    for part in raw:
        tagged = _tagged_member(current, part)
        if tagged is not None:
            current = tagged
            continue
        loc.append(part)
        model = _as_model(current)
        if model is not None and isinstance(part, str):
            parent, field = model, model.model_fields.get(part)
            current = field.annotation if field is not None else None
            description = field.description if field is not None else None
        else:
            parent, field = _as_model(current), None
            current = _element_type(current)
    if field is None and _as_model(current) is not None:
        parent = _as_model(current)
    return tuple(loc), parent, field, current, description


def _union_members(tp: object) -> tuple[object, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _union_members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return ()


def _tagged_member(tp: object, part: object) -> type[BaseModel] | None:
    """The member of a discriminated union whose ``kind`` is ``Literal[part]``, if ``part`` is such a tag."""
    for member in _union_members(tp):
        if (
            isinstance(member, type)
            and issubclass(member, BaseModel)
            and "kind" in member.model_fields
            and part in typing.get_args(member.model_fields["kind"].annotation)
        ):
            return member
    return None


def _as_model(tp: object) -> type[BaseModel] | None:
    """``tp`` as a model class, looking through Annotated and Optional."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) is typing.Annotated:
        return _as_model(typing.get_args(tp)[0])
    models = [m for m in (_as_model(a) for a in _union_members(tp)) if m is not None]
    return models[0] if len(models) == 1 else None


def _element_type(tp: object) -> object | None:
    """The element type of a tuple/list annotation, or the value type of a dict (looking through Annotated and
    Optional)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _element_type(typing.get_args(tp)[0])
    if origin in (tuple, list, dict):
        args = typing.get_args(tp)
        return args[-1 if origin is dict else 0] if args else None
    for arg in _union_members(tp):
        element = _element_type(arg)
        if element is not None:
            return element
    return None
