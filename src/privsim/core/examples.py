"""The scenario files shipped inside the package: the quickstart, the lever examples, the five cases.

They live in ``privsim/scenarios/`` (package data; in a clone ``scenarios/``
is a link to ``src/privsim/scenarios``), found through
:mod:`importlib.resources` so that an installed wheel finds them as a clone
does. An example is named by its path below that folder without ``.yaml``:
``quickstart``, ``levers/referral``, ``cases/steak``.
"""

from __future__ import annotations

import re
import sysconfig
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: The benchmark registry of the cases (not a scenario).
REGISTRY_NAME = "benchmarks.yaml"


def examples_dir() -> Path:
    """The folder of the shipped scenarios."""
    return Path(str(resources.files("privsim") / "scenarios"))


def default_registry() -> Path:
    """The shipped benchmark registry, ``cases/benchmarks.yaml``."""
    return examples_dir() / "cases" / REGISTRY_NAME


@dataclass(frozen=True)
class Example:
    """A shipped scenario file: its name, its path and the first line of its header comment."""

    name: str
    path: Path
    summary: str


def examples() -> list[Example]:
    """Every shipped scenario: the top folder first, then ``levers/``, then ``cases/``, each by name."""
    root = examples_dir()
    found = []
    for path in root.glob("**/*.yaml"):
        if path.name == REGISTRY_NAME:
            continue
        name = path.relative_to(root).with_suffix("").as_posix()
        base = name.removesuffix(".calibrated")
        summary = _summary(path) if base == name else f"{base} with its fitted free parameters (privsim calibrate)"
        found.append(Example(name, path, summary))
    return sorted(found, key=lambda e: (e.name.count("/"), not e.name.startswith("levers/"), e.name))


def find_example(name: str) -> Path | None:
    """The shipped scenario called ``name`` (``quickstart``, ``quickstart.yaml`` or ``scenarios/quickstart.yaml``
    as written in a clone), or None."""
    name = name.removeprefix("scenarios/").removesuffix(".yaml")
    if not name or ".." in Path(name).parts:
        return None
    path = examples_dir() / f"{name}.yaml"
    return path if path.is_file() and path.name != REGISTRY_NAME else None


def is_installed(path: Path) -> bool:
    """Whether ``path`` lies inside an installation's site-packages (where nothing should be written)."""
    resolved = path.resolve()
    sites = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    return any(resolved.is_relative_to(Path(site).resolve()) for site in sites)


def _summary(path: Path) -> str:
    """The first sentence of the header comment of ``path`` ("Lever: " dropped), or the file name."""
    lines: list[str] = []
    with path.open(encoding="utf-8") as file:
        for line in file:  # the header comment's first paragraph
            if not line.startswith("#"):
                break
            text = line.lstrip("#").strip()
            if text:
                lines.append(text)
            elif lines:
                break
    if not lines:
        return path.name
    first = re.split(r"(?<=[.!?])\s", " ".join(lines), maxsplit=1)[0]
    return first.removeprefix("Lever: ").removeprefix("Levers: ")
