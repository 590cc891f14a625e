"""``privsim examples`` and ``privsim init``: the scenario files shipped with privsim, listed or copied.

A command taking a SCENARIO also takes an example's name (``privsim run
quickstart``), so the README's commands work from an installed wheel as in a
clone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from privsim.cli.describe import SCHEMA_FILE, schema_comments, schema_text
from privsim.cli.output import exits_on_error, out_console
from privsim.core.errors import PrivsimError
from privsim.core.examples import examples as shipped
from privsim.core.examples import examples_dir, find_example
from privsim.core.io import write_files

app = typer.Typer()

#: The starter scenario ``privsim init`` copies (commented line by line).
STARTER = "quickstart"


@app.command()
@exits_on_error
def examples() -> None:
    """List the scenario files shipped with privsim; run one by name, copy them with privsim init.

    Example: privsim examples
    """
    out_console.print(
        f"Scenarios shipped with privsim, in {examples_dir()}\n"
        "Run one by name (privsim run quickstart, privsim check levers/referral); copy the starter and the "
        "lever examples to edit them with privsim init DIR.",
        highlight=False,
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("what it is", overflow="fold")
    for example in shipped():
        table.add_row(example.name, example.summary)
    out_console.print(table, highlight=False)


@app.command()
@exits_on_error
def init(
    folder: Annotated[
        Path, typer.Argument(help="Folder to copy into (made if missing).", metavar="[DIR]", show_default=False)
    ] = Path("."),
    cases: Annotated[
        bool,
        typer.Option(
            "--cases", help="Also copy the five case scenarios and their benchmark registry (to calibrate them)."
        ),
    ] = False,
) -> None:
    """Copy a commented starter scenario, the lever examples and the JSON Schema into DIR.

    DIR/quickstart.yaml (the starter) and DIR/levers/*.yaml (one example
    per policy lever), each with comments naming the schema (completion in
    VS Code and PyCharm), DIR/privsim.schema.json;
    with --cases, DIR/cases/ too. Refuses, writing nothing, if one of
    these files exists.

    Example: privsim init my-brand && privsim run my-brand/quickstart.yaml
    """
    root = examples_dir()
    sources = [root / f"{STARTER}.yaml", *sorted((root / "levers").glob("*.yaml"))]
    if cases:
        sources += sorted(p for p in (root / "cases").iterdir() if p.suffix in (".yaml", ".md"))
    files: dict[str, str | bytes] = {}
    for source in sources:
        name = source.relative_to(root).as_posix()
        text = source.read_text(encoding="utf-8")
        if not name.startswith("cases/"):  # the case files stay as they are (calibrate checks their header)
            depth = "../" * name.count("/")
            text = schema_comments(f"{depth}{SCHEMA_FILE}") + as_copied(text, name, folder)
        files[name] = text
    files[SCHEMA_FILE] = schema_text()
    taken = [name for name in files if (folder / name).exists()]
    if taken:
        raise PrivsimError(
            f"{folder}: already has {', '.join(taken[:3])}{' …' if len(taken) > 3 else ''}; "
            "choose an empty or new folder"
        )
    by_folder: dict[Path, dict[str, str | bytes]] = {}
    for name, content in files.items():
        by_folder.setdefault((folder / name).parent, {})[Path(name).name] = content
    for target, contents in by_folder.items():
        write_files(target, contents)
    levers = sum(1 for name in files if name.startswith("levers/"))
    starter = folder / f"{STARTER}.yaml"
    out_console.print(
        f"Written: {starter}, {levers} lever examples in {folder / 'levers'}, {folder / SCHEMA_FILE}"
        + (f", the cases in {folder / 'cases'}" if cases else "")
        + f"\nNext: privsim run {starter}",
        highlight=False,
    )


def as_copied(text: str, name: str, folder: Path) -> str:
    """A shipped file's ``text`` as ``privsim init`` writes it to ``folder/name``: its run commands name the copy.

    The starter also takes the folder's name as its ``name:`` (results go to ``results/<name>-<timestamp>``) and
    says in its first line that it was started from the quickstart.
    """
    copy = (folder / name).as_posix()
    text = text.replace(f"privsim run scenarios/{name}", f"privsim run {copy}")
    if name != f"{STARTER}.yaml":
        return text
    brand = folder.resolve().name or STARTER
    quoted = brand if re.fullmatch(r"[\w.-]+", brand) else json.dumps(brand, ensure_ascii=False)
    text = text.replace(f"# privsim {STARTER}:", f"# {brand}, started from privsim's {STARTER}:", 1)
    text = text.replace("# Copy this file, edit the numbers, and run:", "# Edit the numbers, and run:", 1)
    text = text.replace("privsim run scenarios/my-brand.yaml", f"privsim run {copy}", 1)
    return re.sub(rf"^name: {STARTER}$", f"name: {quoted}", text, count=1, flags=re.MULTILINE)


def scenario_path(scenario: Path) -> Path:
    """``scenario`` if it exists, else the shipped example of that name (``quickstart``, ``levers/referral``,
    ``scenarios/quickstart.yaml`` outside a clone), else ``scenario`` (which then fails to load, clearly)."""
    if scenario.exists():
        return scenario
    return find_example(scenario.as_posix()) or scenario
