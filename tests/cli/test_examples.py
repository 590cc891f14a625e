"""The shipped scenarios (examples, init, running one by name), the JSON Schema, the policy listing, --version,
full error lists and where validate writes: the ``privsim`` command as a real process."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import privsim
from helpers import ROOT, privsim_subprocess
from privsim.core.examples import default_registry, examples, examples_dir, find_example
from privsim.policies import REGISTRY
from privsim.scenario import Scenario, load_scenario

SCENARIOS = ROOT / "src" / "privsim" / "scenarios"


def privsim_cmd(*args: object, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess:
    return privsim_subprocess(*args, cwd=cwd, columns=columns, timeout=300)


def test_the_clone_links_scenarios_to_the_package_copy() -> None:
    assert (ROOT / "scenarios").resolve() == SCENARIOS.resolve()
    assert examples_dir().resolve() == SCENARIOS.resolve()
    assert default_registry().is_file()


def test_examples_lists_every_shipped_scenario(tmp_path: Path) -> None:
    files = sorted(p for p in SCENARIOS.glob("**/*.yaml") if p.name != "benchmarks.yaml")
    names = [e.name for e in examples()]
    assert sorted(names) == sorted(p.relative_to(SCENARIOS).with_suffix("").as_posix() for p in files)
    assert names[0] in ("apparel_shop", "quickstart") and "levers/referral" in names and "cases/steak" in names
    proc = privsim_cmd("examples", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in names:
        assert re.search(rf"^{re.escape(name)}\s", proc.stdout, re.MULTILINE), name
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["quickstart", "quickstart.yaml", "scenarios/quickstart.yaml", "levers/referral"])
def test_a_shipped_scenario_runs_by_name_from_anywhere(name: str, tmp_path: Path) -> None:
    path = find_example(name)
    assert path is not None and path.is_file()
    proc = privsim_cmd("check", name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{path}: OK")


@pytest.mark.parametrize("name", ["nope", "cases/benchmarks", "../quickstart", ""])
def test_not_an_example(name: str) -> None:
    assert find_example(name) is None


def test_init_copies_the_starter_levers_and_schema_and_refuses_to_overwrite(tmp_path: Path) -> None:
    proc = privsim_cmd("init", "brand", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "brand"
    levers = sorted(p.name for p in (SCENARIOS / "levers").glob("*.yaml"))
    assert sorted(p.name for p in (folder / "levers").iterdir()) == levers
    assert {p.name for p in folder.iterdir()} == {"quickstart.yaml", "levers", "privsim.schema.json"}
    starter = (folder / "quickstart.yaml").read_text(encoding="utf-8")
    first, second, rest = starter.split("\n", 2)
    assert first == "# yaml-language-server: $schema=privsim.schema.json"  # VS Code
    assert second == "# $schema: privsim.schema.json"  # PyCharm
    shipped_lines = (SCENARIOS / "quickstart.yaml").read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(shipped_lines, rest.splitlines(), strict=True) if a != b]
    assert [b for _, b in changed] == [  # the copy says who it is; every other line as shipped
        "# brand, started from privsim's quickstart: a mid-size brand with ~50k members, two years,",
        "# Edit the numbers, and run:",
        f"#     privsim run {(Path('brand') / 'quickstart.yaml').as_posix()}",
        "name: brand",
    ]
    lever = (folder / "levers" / levers[0]).read_text(encoding="utf-8")
    assert lever.startswith(
        "# yaml-language-server: $schema=../privsim.schema.json\n# $schema: ../privsim.schema.json\n"
    )
    assert f"privsim run {(Path('brand') / 'levers' / levers[0]).as_posix()}\n" in lever
    assert "scenarios/" not in lever.split("name:")[0]  # no command naming the clone's files
    assert load_scenario(folder / "quickstart.yaml")[0].name == "brand"  # still a valid scenario, named after DIR
    assert json.loads((folder / "privsim.schema.json").read_text(encoding="utf-8"))["title"] == "privsim scenario"
    assert f"privsim run {Path('brand') / 'quickstart.yaml'}" in proc.stdout

    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    again = privsim_cmd("init", "brand", "--cases", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.startswith("error: brand: already has quickstart.yaml") and len(again.stderr.splitlines()) == 1
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # nothing written


def test_init_here_names_the_starter_after_the_current_folder(tmp_path: Path) -> None:
    here = tmp_path / "精细化 运营"
    here.mkdir()
    proc = privsim_cmd("init", cwd=here)
    assert proc.returncode == 0, proc.stderr
    starter = (here / "quickstart.yaml").read_text(encoding="utf-8")
    assert '\nname: "精细化 运营"\n' in starter and "#     privsim run quickstart.yaml\n" in starter
    assert load_scenario(here / "quickstart.yaml")[0].name == "精细化 运营"


def test_init_cases_copies_the_registry_and_case_files(tmp_path: Path) -> None:
    proc = privsim_cmd("init", "--cases", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shipped = sorted(p.name for p in (SCENARIOS / "cases").iterdir() if p.suffix in (".yaml", ".md"))
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == shipped
    for name in shipped:  # the case files as they are
        assert (tmp_path / "cases" / name).read_bytes() == (SCENARIOS / "cases" / name).read_bytes()


def test_schema_is_pydantic_json_schema_of_the_scenario(tmp_path: Path) -> None:
    proc = privsim_cmd("schema", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)  # nothing but the JSON on stdout
    expected = Scenario.model_json_schema()
    assert schema["title"] == "privsim scenario"
    assert schema["properties"] == expected["properties"] and schema["$defs"] == expected["$defs"]
    assert schema["additionalProperties"] is False
    quickstart = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text(encoding="utf-8"))
    assert set(quickstart) <= set(schema["properties"])
    assert set(schema["required"]) <= set(quickstart)


def test_policies_is_yaml_that_validates_to_the_defaults(tmp_path: Path) -> None:
    proc = privsim_cmd("policies", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert "(required)" not in proc.stdout and "None" not in proc.stdout and "'kind'" not in proc.stdout
    listed = yaml.safe_load(proc.stdout)  # the whole listing is one YAML list of policies
    assert [p["kind"] for p in listed] == list(REGISTRY)
    for policy in listed:
        cls = REGISTRY[policy["kind"]]
        assert set(policy) == set(cls.model_fields), policy["kind"]
        required = [k for k, f in cls.model_fields.items() if f.is_required() and k != "kind"]
        if required:  # listed as `name:  # required`, a null
            assert all(policy[k] is None for k in required)
            assert all(f"  {k}:  # required" in proc.stdout for k in required)
            continue
        assert cls.model_validate(policy) == cls.model_validate({"kind": policy["kind"]}), policy["kind"]
    clearance = proc.stdout.split("- kind: clearance\n", 1)[1]
    assert re.search(r"^  discount_depth: 0\.4\n    # number, from 0\.0 to 0\.95\n", clearance, re.MULTILINE)


def test_version(tmp_path: Path) -> None:
    proc = privsim_cmd("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == f"privsim {privsim.__version__}\n"


def test_every_error_of_a_file_is_listed_one_line_each(tmp_path: Path) -> None:
    data = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text(encoding="utf-8"))
    data["horizon_days"] = 0
    data["behaviour"]["contact"]["block_prob_per_excess_fatigue"] = 1.4
    data["population"]["colour"] = "red"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    proc = privsim_cmd("run", "bad.yaml", cwd=tmp_path, columns=60)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr
    assert all(line.startswith("error: bad.yaml: ") for line in lines)
    assert "horizon_days = 0 — must be between 1 and 36500" in lines[0]
    assert any("population.colour = 'red' — unknown field" in line for line in lines)
    assert any("block_prob_per_excess_fatigue = 1.4 — must be between 0.0 and 1.0" in line for line in lines)
    assert "more error" not in proc.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"bad.yaml"}
