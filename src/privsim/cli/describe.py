"""``privsim policies`` and ``privsim schema``: the scenario format, described from the input models.

Both read pydantic's JSON Schema of the models, so what they print is what
validation enforces: ``schema`` prints it whole (for editor completion),
``policies`` as YAML, a block per policy kind with each parameter's
default, and its type, range or allowed values and meaning as comments.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import typer
import yaml
from pydantic import BaseModel

from privsim.cli.output import exits_on_error, out_console
from privsim.policies import REGISTRY
from privsim.scenario import Scenario

app = typer.Typer()

#: The file name ``privsim init`` writes the schema to, and the README suggests.
SCHEMA_FILE = "privsim.schema.json"
#: Lines of ``privsim policies`` are at most this wide.
WIDTH = 79


@app.command()
@exits_on_error
def schema() -> None:
    """Print the JSON Schema of a scenario file, for completion and checks in an editor.

    Save it and name it at the top of a scenario file:
    # yaml-language-server: $schema=privsim.schema.json (VS Code, with the
    YAML extension) and # $schema: privsim.schema.json (PyCharm).

    Example: privsim schema > privsim.schema.json
    """
    typer.echo(schema_text(), nl=False)


def schema_text() -> str:
    """The scenario's JSON Schema (pydantic's), as indented JSON ending with a newline.

    No ``$schema`` keyword: editors apply their own draft, and pydantic's
    output (``$defs``, ``$ref``, ``anyOf``, bounds) reads the same in each.
    """
    document = {**Scenario.model_json_schema(), "title": "privsim scenario"}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def schema_comments(schema: str) -> str:
    """The comment lines naming ``schema`` (a path or URL) at the top of a scenario file: VS Code's YAML extension
    (yaml-language-server) reads the first, PyCharm the second."""
    return f"# yaml-language-server: $schema={schema}\n# $schema: {schema}\n"


@app.command()
@exits_on_error
def policies() -> None:
    """List the policy kinds a strategy can use: each parameter with its default, type and range, as YAML.

    Each block is a policy as a scenario's strategy writes it, with the
    defaults; the comments give each parameter's type, allowed values and meaning.

    Example: privsim policies
    """
    blocks = [policy_yaml(kind, cls) for kind, cls in REGISTRY.items()]
    out_console.print("\n\n".join(blocks), markup=False, highlight=False, soft_wrap=True)


def policy_yaml(kind: str, cls: type[BaseModel]) -> str:
    """``- kind: <kind>`` and one ``name: default`` line per parameter, with comments; lines at most WIDTH wide."""
    schema = cls.model_json_schema()
    defs = schema.get("$defs", {})
    doc = (cls.__doc__ or "").strip().splitlines()[0]
    lines = _comment(f"{kind}: {doc}", "")
    lines.append(f"- kind: {kind}")
    required = set(schema.get("required", ()))
    for name, prop in schema["properties"].items():
        if name == "kind":
            continue
        if name in required:
            lines.append(f"  {name}:  # required")
        elif len(line := f"  {name}: {_yaml(prop.get('default'))}") <= WIDTH:
            lines.append(line)
        else:  # a long default (a list of mappings) in block style
            block = yaml.safe_dump(prop.get("default"), sort_keys=False, allow_unicode=True, width=WIDTH - 6)
            lines += [f"  {name}:", *textwrap.indent(block, "    ").rstrip().splitlines()]
        lines += _comment(type_text(prop, defs), "    ")
        if prop.get("description"):
            lines += _comment(prop["description"], "    ")
    return "\n".join(lines)


def type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A JSON Schema property in words, with YAML values: ``integer, 1 to 36500``, ``one of: all, active``."""
    if "$ref" in prop:
        model = defs[prop["$ref"].rsplit("/", 1)[-1]]
        return f"mapping of {', '.join(model.get('properties', {}))}"
    if "anyOf" in prop:
        return " or ".join(type_text(member, defs) for member in prop["anyOf"])
    if "const" in prop:
        return _yaml(prop["const"])
    if "enum" in prop:
        return "one of: " + ", ".join(_yaml(v) for v in prop["enum"])
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return f"{kind}{_range(prop)}"
    if kind == "array":
        items = type_text(prop.get("items", {}), defs) if prop.get("items") else "anything"
        bounds = (("minItems", "at least"), ("maxItems", "at most"))
        sizes = [f"{word} {prop[key]}, " for key, word in bounds if key in prop]
        return f"list ({''.join(sizes)}items: {items})"
    if kind == "object":
        values = prop.get("additionalProperties")
        return f"mapping to {type_text(values, defs)}" if isinstance(values, dict) else "mapping"
    if kind == "boolean":
        return "true or false"
    if kind == "string":
        return {"date": "date (YYYY-MM-DD)"}.get(prop.get("format", ""), "string")
    if kind == "null":
        return "null"
    return "any value"


def _range(prop: dict[str, Any]) -> str:
    low = (prop["exclusiveMinimum"], "above") if "exclusiveMinimum" in prop else (prop.get("minimum"), "from")
    high = (prop["exclusiveMaximum"], "below") if "exclusiveMaximum" in prop else (prop.get("maximum"), "to")
    parts = [f"{word} {_yaml(value)}" for value, word in (low, high) if value is not None]
    return f", {' '.join(parts)}" if parts else ""


def _yaml(value: object) -> str:
    """``value`` as YAML flow text: ``null``, ``true``, ``0.4``, ``[618, 1111]``, ``{a: 1}``."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**6).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _comment(text: str, indent: str) -> list[str]:
    """``text`` as ``# `` comment lines at ``indent``, wrapped to WIDTH."""
    prefix = f"{indent}# "
    return textwrap.wrap(text, WIDTH, initial_indent=prefix, subsequent_indent=prefix + "  ") or [prefix.rstrip()]
