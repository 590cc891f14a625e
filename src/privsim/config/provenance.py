"""Where each value of an input came from: written in the file, or left at its default.

pydantic records the fields a model was given (``model_fields_set``); a
field of a section the file left out is a default too, however it is
nested. :func:`field_sources` lists every leaf value of a model with that
fact, so a report can say which assumptions the user wrote and which
privsim filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class FieldSource:
    """One leaf value of an input: its dotted path (``behaviour.referral.invite_prob``, ``channels[0].name``),
    its value as JSON would hold it, whether the file set it, and the field's description."""

    path: str
    value: Any
    set_in_file: bool
    description: str = ""


def field_sources(model: BaseModel) -> list[FieldSource]:
    """Every leaf value of ``model`` (nested models and lists of models walked into), in field order."""
    out: list[FieldSource] = []
    _walk(model, model.model_dump(mode="json"), "", True, out)
    return out


def _walk(model: BaseModel, dump: dict[str, Any], prefix: str, given: bool, out: list[FieldSource]) -> None:
    for name, info in type(model).model_fields.items():
        value, dumped = getattr(model, name), dump[name]
        path, is_set = f"{prefix}{name}", given and name in model.model_fields_set
        if isinstance(value, BaseModel):
            _walk(value, dumped, f"{path}.", is_set, out)
        elif isinstance(value, tuple | list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, (item, item_dump) in enumerate(zip(value, dumped, strict=True)):
                _walk(item, item_dump, f"{path}[{i}].", is_set, out)
        else:
            out.append(FieldSource(path, dumped, is_set, info.description or ""))
