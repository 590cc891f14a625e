"""Errors a user can act on: one line naming the file, the field, the value and what is allowed."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError


class PrivsimError(Exception):
    """Base of the errors privsim reports to a user as one line (exit code 2 in the CLI)."""


class ScenarioError(PrivsimError):
    """A scenario (or option) that cannot be used.

    ``str(err)`` reads ``<file>: <field path> = <value> — <what is allowed>``;
    the parts are kept as attributes so tests can pin them.
    """

    def __init__(self, source: str, loc: Sequence[str | int], value: object, allowed: str) -> None:
        self.source = source
        self.field = field_path(loc)
        self.value = value
        self.allowed = allowed
        where = f"{self.field} = {_show(value)} — " if self.field else ""
        super().__init__(f"{source}: {where}{allowed}")


def field_path(loc: Sequence[str | int]) -> str:
    """``('strategies', 1, 'policies', 0, 'kind')`` → ``strategies[1].policies[0].kind``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_validation_error(err: ValidationError, source: str, root: type[BaseModel]) -> ScenarioError:
    """The first error of a pydantic ValidationError as a one-line ScenarioError.

    ``root`` is the model that was validated; it is used to list allowed
    fields and to state both bounds of a range.
    """
    errors = err.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    ctx = first.get("ctx") or {}
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1], first.get("input"))
        allowed = f"unknown field; allowed: {', '.join(parent.model_fields)}" if parent else "unknown field"
        return ScenarioError(source, loc, first["input"], allowed + more)
    if kind == "missing":
        return ScenarioError(source, loc, "(missing)", "required field is missing" + more)
    if kind == "union_tag_invalid":
        return ScenarioError(
            source, (*loc, "kind"), ctx.get("tag"), f"unknown policy kind; allowed: {ctx.get('expected_tags')}" + more
        )
    if kind == "union_tag_not_found":
        return ScenarioError(source, (*loc, "kind"), "(missing)", "every policy needs a `kind:`" + more)
    bounds = _bounds(root, loc)
    if bounds and kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return ScenarioError(source, loc, first["input"], f"must be {bounds}" + more)
    message = re.sub(r"^(Input|String|Value|List|Tuple|Dictionary) should", "must", first["msg"])
    message = message.removeprefix("Value error, ")
    return ScenarioError(source, loc, first.get("input"), message + more)


def _bounds(root: type[BaseModel], loc: tuple) -> str | None:
    field = _field_at(root, loc)
    if field is None:
        return None
    lo = hi = None
    lo_open = hi_open = False
    for meta in field.metadata:
        if isinstance(meta, Ge):
            lo = meta.ge
        elif isinstance(meta, Gt):
            lo, lo_open = meta.gt, True
        elif isinstance(meta, Le):
            hi = meta.le
        elif isinstance(meta, Lt):
            hi, hi_open = meta.lt, True
    unit = f" ({field.description})" if field.description else ""
    if lo is not None and hi is not None:
        return f"between {lo} and {hi}{unit}"
    if lo is not None:
        return f"{'greater than' if lo_open else 'at least'} {lo}{unit}"
    if hi is not None:
        return f"{'less than' if hi_open else 'at most'} {hi}{unit}"
    return None


def _field_at(root: type[BaseModel], loc: tuple):
    if not loc or not isinstance(loc[-1], str):
        return None
    parent = _model_at(root, loc[:-1], None)
    return parent.model_fields.get(loc[-1]) if parent else None


def _model_at(root: type[BaseModel], loc: tuple, _input: object) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (None when it cannot be told)."""
    current: object = root
    for part in loc:
        model = _as_model(current, part)
        if model is None:
            current = _element_type(current)
            if current is None:
                return None
            continue
        if isinstance(part, int):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
    return _as_model(current, None)


def _as_model(tp: object, next_part: object) -> type[BaseModel] | None:
    """``tp`` as a model class; for a union of models, the member that has field ``next_part``."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _as_model(args[0], next_part)
    if origin in (typing.Union, types.UnionType):
        models = [m for m in (_as_model(a, next_part) for a in args) if m is not None]
        matching = [m for m in models if next_part in m.model_fields]
        if len(matching) == 1:
            return matching[0]
        return models[0] if len(models) == 1 else None
    return None


def _element_type(tp: object) -> object | None:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _element_type(typing.get_args(tp)[0])
    if origin in (tuple, list):
        args = typing.get_args(tp)
        return args[0] if args else None
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            element = _element_type(arg)
            if element is not None:
                return element
    return None
