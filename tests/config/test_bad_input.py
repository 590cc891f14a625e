"""Bad input: exit code 2, one line on stderr, nothing written.

Every bad scenario file must give a :class:`privsim.ScenarioError`
(library) naming the file, the field path, the value and what is allowed,
every bad option a :class:`privsim.OptionError` naming the option, the value
and what is allowed; the CLI prints either as one line on stderr with exit
code 2 -- never a traceback -- and writes nothing: no ``--out`` folder, no
``results/`` folder, no temporary folder.

Bad scenarios are built from ``scenarios/quickstart.yaml`` (shrunk to 60 days
and 1/50 of its members, so that a wrongly accepted file does not run long),
modified as a dict and dumped into ``tmp_path``.
"""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import privsim
from helpers import PRIVSIM, ROOT, privsim_subprocess
from privsim.cli import app
from privsim.core.errors import PrivsimError
from privsim.runner import run_scenario

QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

ANY = object()  # "do not pin this"


# ---------------------------------------------------------------------------
# Building bad inputs


def small_scenario() -> dict:
    """quickstart.yaml as a dict, shrunk: 60 days, initial counts / 50."""
    data = yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))
    data["horizon_days"] = 60
    for group in data["population"]["initial"]:
        group["count"] //= 50
    return data


def dump(data: object, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _parent(data: dict, path: tuple) -> object:
    for part in path[:-1]:
        data = data[part]
    return data


def setting(*path: str | int, to: object) -> Callable[[dict], object]:
    def edit(data: dict) -> object:
        _parent(data, path)[path[-1]] = to
        return data

    return edit


def removing(*path: str | int) -> Callable[[dict], object]:
    def edit(data: dict) -> object:
        del _parent(data, path)[path[-1]]
        return data

    return edit


def clearance_policy(data: dict) -> dict:
    policy = data["strategies"][1]["policies"][0]
    assert policy["kind"] == "clearance", "test assumes quickstart's strategies[1] is the clearance one"
    return policy


def unknown_policy_param(data: dict) -> object:
    clearance_policy(data)["discount_depthh"] = 0.3
    return data


def unknown_kind(data: dict) -> object:
    clearance_policy(data)["kind"] = "flash_sale"
    return data


def policy_without_kind(data: dict) -> object:
    del clearance_policy(data)["kind"]
    return data


def full_discount(data: dict) -> object:
    clearance_policy(data)["discount_depth"] = 1.0
    return data


def duplicate_strategy(data: dict) -> object:
    data["strategies"].append(copy.deepcopy(data["strategies"][0]))
    return data


def in_phases(*phases: dict, keep_policies: bool = False) -> Callable[[dict], object]:
    """Make quickstart's clearance strategy (strategies[1]) a strategy of ``phases``; ``CLEARANCE`` in a phase's
    policies stands for its clearance policy."""

    def edit(data: dict) -> object:
        strategy = data["strategies"][1]
        policy = clearance_policy(data)
        strategy["phases"] = [
            {**phase, "policies": [policy if p == CLEARANCE else p for p in phase.get("policies", [])]}
            for phase in phases
        ]
        if not keep_policies:
            del strategy["policies"]
        return data

    return edit


CLEARANCE = "clearance"


def capacity(data: dict) -> int:
    return sum(a["count"] * a["members_per_account"] for a in data["accounts"])


def over_capacity(data: dict) -> object:
    data["population"]["initial"] = [{"state": "customer", "tier": "first_order", "count": capacity(data) + 1}]
    return data


def holding_pool(loss: float = 0.1) -> dict:
    """An official account as a holding pool (issue 28: capacity that moves)."""
    return {
        "name": "official",
        "kind": "wecom",
        "count": 1,
        "daily_add_cap": 10000,
        "members_per_account": 100000,
        "holding": True,
        "holding_loss_rate_per_day": loss,
    }


def two_holding_pools(data: dict) -> object:
    data["accounts"] += [holding_pool(), {**holding_pool(), "name": "official2"}]
    return data


def routing_to_holding(data: dict) -> object:
    data["accounts"].append(holding_pool())
    data["strategies"][0]["policies"].append({"kind": "channel_routing", "new_members_to": ["official"]})
    return data


def malformed_text() -> tuple[str, int]:
    """A dumped small scenario with a tab-indented line (illegal in YAML) after ``horizon_days:``,
    and the 1-based number of that line."""
    lines = yaml.safe_dump(small_scenario(), sort_keys=False).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("horizon_days:")) + 1
    lines.insert(at, "\tbroken: true")
    return "\n".join(lines) + "\n", at + 1


MALFORMED_TEXT, MALFORMED_LINE = malformed_text()


def write_malformed(path: Path) -> Path:
    path.write_text(MALFORMED_TEXT, encoding="utf-8")
    return path


def write_not_utf8(path: Path) -> Path:
    path.write_bytes(b"name: caf\xe9\nhorizon_days: 60\n")
    return path


def write_directory(path: Path) -> Path:
    path.mkdir()
    (path / "quickstart.yaml").write_text(QUICKSTART.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def write_nothing(path: Path) -> Path:
    return path


@dataclass(frozen=True)
class Case:
    """One bad scenario file and the error it must give."""

    id: str
    field: str  # the pinned field path ("" for file-level problems)
    allowed: tuple[str, ...]  # fragments of what is allowed
    edit: Callable[[dict], object] | None = None  # modifies small_scenario() (returns the data to dump)
    write: Callable[[Path], Path] | None = None  # or writes the file itself
    value: object = ANY  # expected err.value
    shown: str | None = None  # how the value reads in the message, after "<field> = "
    marks: tuple = ()

    def make(self, folder: Path) -> Path:
        path = folder / "bad.yaml"
        if self.write is not None:
            return self.write(path)
        return dump(self.edit(small_scenario()), path)

    def data(self) -> object:
        return self.edit(small_scenario())


def pool_field_case(case_id: str, field: str, to: float, allowed: str) -> Case:
    """The case of ``accounts[0].<field>`` set to the bad number ``to``."""
    return Case(
        case_id,
        field=f"accounts[0].{field}",
        edit=setting("accounts", 0, field, to=to),
        value=to,
        shown=str(to),
        allowed=(allowed,),
    )


CASES = [
    Case(
        "phase_and_policies",
        field="strategies[1].policies",
        edit=in_phases({"start_day": 0, "policies": [CLEARANCE]}, keep_policies=True),
        value=1,
        allowed=("give either policies or phases, not both",),
    ),
    Case(
        "first_phase_after_day_0",
        field="strategies[1].phases[0].start_day",
        edit=in_phases({"start_day": 5, "policies": [CLEARANCE]}),
        value=5,
        shown="5",
        allowed=("the first phase must start at day 0", "2025-01-01"),
    ),
    Case(
        "phase_outside_the_horizon",
        field="strategies[1].phases[1].start_date",
        edit=in_phases({"start_day": 0}, {"start_date": dt.date(2025, 3, 2), "policies": [CLEARANCE]}),
        value=dt.date(2025, 3, 2),
        shown="2025-03-02",
        allowed=("within the horizon", "day 0 to 59 (2025-01-01 to 2025-03-01)"),
    ),
    Case(
        "phases_out_of_order",
        field="strategies[1].phases[2].start_day",
        edit=in_phases({"start_day": 0}, {"start_day": 30}, {"start_day": 30, "policies": [CLEARANCE]}),
        value=30,
        allowed=("must be after the start of phase 1 (day 30)",),
    ),
    Case(
        "phases_overlap",
        field="strategies[1].phases[0].end_day",
        edit=in_phases({"start_day": 0, "end_day": 40, "policies": [CLEARANCE]}, {"start_day": 30}),
        value=40,
        allowed=("overlaps phase 1, which starts at day 30",),
    ),
    Case(
        "phase_end_before_its_start",
        field="strategies[1].phases[1].end_date",
        edit=in_phases({"start_day": 0}, {"start_day": 30, "end_date": dt.date(2025, 1, 31)}),
        value=dt.date(2025, 1, 31),
        allowed=("must be after the phase's start (day 30)",),
    ),
    Case(
        "phase_end_past_the_horizon",
        field="strategies[1].phases[0].end_day",
        edit=in_phases({"start_day": 0, "end_day": 61, "policies": [CLEARANCE]}),
        value=61,
        allowed=("at most day 60 (2025-03-02), the end of the run",),
    ),
    Case(
        "phase_without_start",
        field="strategies[1].phases[1].start_day",
        edit=in_phases({"start_day": 0}, {"policies": [CLEARANCE]}),
        value=None,
        allowed=("required", "start_day", "start_date"),
    ),
    Case(
        "phase_with_day_and_date",
        field="strategies[1].phases[0].start_date",
        edit=in_phases({"start_day": 0, "start_date": dt.date(2025, 1, 1)}),
        value=dt.date(2025, 1, 1),
        allowed=("give start_day or start_date, not both",),
    ),
    Case(
        "phase_date_not_a_date",
        field="strategies[1].phases[1].start_date",
        edit=in_phases({"start_day": 0}, {"start_date": "2025-02-30"}),
        value="2025-02-30",
        allowed=("date",),
    ),
    Case(
        "phase_policy_checked",
        field="strategies[1].phases[1].policies[0].new_members_to[0]",
        edit=in_phases(
            {"start_day": 0}, {"start_day": 10, "policies": [{"kind": "channel_routing", "new_members_to": ["qq"]}]}
        ),
        value="qq",
        allowed=("must be one of the account pools", "personal", "wecom"),
    ),
    Case(
        "malformed_yaml",
        field="",
        write=write_malformed,
        value=None,
        allowed=("malformed YAML", f"line {MALFORMED_LINE}, column 1"),
    ),
    Case(
        "not_utf8",
        field="",
        write=write_not_utf8,
        value=None,
        allowed=("not UTF-8",),
    ),
    Case(
        "unknown_top_level_field",
        field="horizon_dayz",
        edit=setting("horizon_dayz", to=60),
        value=60,
        shown="60",
        allowed=("unknown field", "allowed:", "horizon_days", "strategies", "population"),
    ),
    Case(
        "unknown_nested_field",
        field="behaviour.contact.fatigue_thresholdd",
        edit=setting("behaviour", "contact", "fatigue_thresholdd", to=2.0),
        value=2.0,
        shown="2.0",
        allowed=("unknown field", "allowed:", "fatigue_threshold", "block_prob_per_excess_fatigue"),
    ),
    Case(
        "unknown_policy_parameter",
        field="strategies[1].policies[0].discount_depthh",
        edit=unknown_policy_param,
        value=0.3,
        shown="0.3",
        allowed=("unknown field", "allowed:", "discount_depth", "every_days", "offer_window_days"),
    ),
    Case(
        "wrong_type",
        field="horizon_days",
        edit=setting("horizon_days", to="two years"),
        value="two years",
        shown="'two years'",
        allowed=("integer",),
    ),
    Case(
        "negative_rate",
        field="channels[0].leads_per_day",
        edit=setting("channels", 0, "leads_per_day", to=-5),
        value=-5,
        shown="-5",
        allowed=("between 0.0 and 10000000.0",),
    ),
    Case(
        "infinite_rate",
        field="channels[0].leads_per_day",
        edit=setting("channels", 0, "leads_per_day", to=float("inf")),
        value=float("inf"),
        shown="inf",
        allowed=("finite",),
    ),
    Case(
        "probability_above_1",
        field="behaviour.contact.block_prob_per_excess_fatigue",
        edit=setting("behaviour", "contact", "block_prob_per_excess_fatigue", to=1.4),
        value=1.4,
        shown="1.4",
        allowed=("between 0.0 and 1.0",),
    ),
    Case(
        "referral_quality_of_zero",
        field="behaviour.referral.quality_ecard",
        edit=lambda data: data["behaviour"].update(referral={"quality_ecard": 0.0}) or data,
        value=0.0,
        shown="0.0",
        allowed=("greater than 0",),
    ),
    Case(
        "delivery_in_no_time",
        field="delivery.mean_days",
        edit=setting("delivery", to={"mean_days": 0}),
        value=0,
        shown="0",
        allowed=("greater than 0",),
    ),
    Case(
        "return_probability_above_1",
        field="behaviour.returns.base_prob",
        edit=lambda data: data["behaviour"].update(returns={"base_prob": 1.5}) or data,
        value=1.5,
        shown="1.5",
        allowed=("between 0.0 and 1.0",),
    ),
    Case(
        "policy_discount_of_100_percent",
        field="strategies[1].policies[0].discount_depth",
        edit=full_discount,
        value=1.0,
        shown="1.0",
        allowed=("between 0.0 and 0.95",),
    ),
    Case(
        "unknown_policy_kind",
        field="strategies[1].policies[0].kind",
        edit=unknown_kind,
        value="flash_sale",
        shown="'flash_sale'",
        allowed=("unknown policy kind", "clearance", "none", "nurture"),
    ),
    Case(
        "policy_without_kind",
        field="strategies[1].policies[0].kind",
        edit=policy_without_kind,
        allowed=("kind:",),
    ),
    Case(
        "missing_required_field",
        field="channels[0].add_rate",
        edit=removing("channels", 0, "add_rate"),
        allowed=("required",),
    ),
    Case(
        "missing_file",
        field="",
        write=write_nothing,
        value=None,
        allowed=("no such file",),
    ),
    Case(
        "file_is_a_directory",
        field="",
        write=write_directory,
        value=None,
        allowed=("is a directory",),
    ),
    Case(
        "top_level_list",
        field="",
        edit=lambda data: [data],
        allowed=("must be a mapping",),
    ),
    Case(
        "initial_group_unknown_tier",
        field="population.initial[0].tier",
        edit=setting("population", "initial", 0, "tier", to="gold"),
        value="gold",
        shown="'gold'",
        allowed=("tier names", "prospect", "first_order", "member", "vip"),
    ),
    Case(
        "duplicate_strategy_names",
        field="strategies[3].name",
        edit=duplicate_strategy,
        value="none",
        shown="'none'",
        allowed=("unique",),
    ),
    Case(
        "initial_base_over_capacity",
        field="population.initial",
        edit=over_capacity,
        value=capacity(small_scenario()) + 1,
        shown=str(capacity(small_scenario()) + 1),
        allowed=("capacity", f"of {capacity(small_scenario())} members"),
    ),
    pool_field_case("holding_loss_without_holding", "holding_loss_rate_per_day", 0.2, "needs `holding: true`"),
    Case(
        "account_addition_day_and_date",
        field="accounts[0].additions[0]",
        edit=setting("accounts", 0, "additions", to=[{"day": 10, "date": "2025-01-11", "count": 2}]),
        value=10,
        allowed=("exactly one of `day` and `date`",),
    ),
    Case(
        "account_addition_before_start",
        field="accounts[0].additions[0].date",
        edit=setting("accounts", 0, "additions", to=[{"date": "2024-12-01", "count": 2}]),
        allowed=("on or after start_date (2025-01-01)",),
    ),
    Case(
        "account_addition_of_no_accounts",
        field="accounts[0].additions[0].count",
        edit=setting("accounts", 0, "additions", to=[{"day": 10, "count": 0}]),
        value=0,
        shown="0",
        allowed=("between 1 and 1000000",),
    ),
    pool_field_case("negative_ramp_up", "ramp_up_days", -7, "between 0 and 36500"),
    pool_field_case("initial_add_cap_share_above_1", "initial_add_cap_share", 1.5, "between 0.0 and 1.0"),
    Case(
        "two_holding_pools",
        field="accounts[3].holding",
        edit=two_holding_pools,
        value=True,
        shown="True",
        allowed=("at most one account pool can be a holding pool",),
    ),
    Case(
        "only_a_holding_pool",
        field="accounts[0].holding",
        edit=lambda data: {**data, "accounts": [holding_pool()], "population": {**data["population"], "initial": []}},
        value=True,
        allowed=("needs a staff pool",),
    ),
    Case(
        "routing_to_the_holding_pool",
        field="strategies[0].policies[1].new_members_to[0]",
        edit=routing_to_holding,
        value="official",
        shown="'official'",
        allowed=("holding pool",),
    ),
]


def params(cases: list[Case]) -> list:
    return [pytest.param(case, id=case.id, marks=case.marks) for case in cases]


def check_message(message: str, source: str, case: Case) -> None:
    """``message`` reads ``<source>: <field> = <value> — <allowed>`` with the case's parts."""
    assert message.startswith(f"{source}: "), message
    if case.field:
        assert message.startswith(f"{source}: {case.field} = "), message
        if case.shown is not None:
            assert message.startswith(f"{source}: {case.field} = {case.shown} — "), message
    for fragment in case.allowed:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def tree(folder: Path) -> set[str]:
    """Every path under ``folder``, relative, to prove that nothing was written."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def one_line(stderr: str) -> str:
    """The single non-blank line of ``stderr`` (fails if there are more, or a traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


# ---------------------------------------------------------------------------
# Library


@pytest.mark.parametrize("case", params(CASES))
def test_load_scenario_raises_scenario_error(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.load_scenario(path)
    err = info.value
    assert isinstance(err, PrivsimError)
    assert err.source == str(path)
    assert err.field == case.field
    if case.value is not ANY:
        assert err.value == case.value
    for fragment in case.allowed:
        assert fragment in err.allowed, f"{fragment!r} not in {err.allowed!r}"
    message = str(err)
    assert "\n" not in message
    check_message(message, str(path), case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.edit is not None]))
def test_parse_scenario_raises_scenario_error(case: Case) -> None:
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.parse_scenario(case.data(), "brand.yaml")
    err = info.value
    assert (err.source, err.field) == ("brand.yaml", case.field)
    if case.value is not ANY:
        assert err.value == case.value
    check_message(str(err), "brand.yaml", case)
    assert "\n" not in str(err)


def test_parse_scenario_top_level_list_says_what_was_found() -> None:
    data = [small_scenario()]
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.parse_scenario(data, "list.yaml")
    assert info.value.field == ""
    assert "found a list" in info.value.allowed
    assert "mapping of fields" in info.value.allowed


def test_missing_field_value_is_marked_missing(tmp_path: Path) -> None:
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.load_scenario(dump(removing("accounts")(small_scenario()), tmp_path / "s.yaml"))
    assert (info.value.field, info.value.value) == ("accounts", privsim.core.errors.MISSING)
    assert "accounts = (missing) — required field is missing" in str(info.value)
    assert "required field is missing" in info.value.allowed


@pytest.fixture(scope="module")
def tiny():
    """A valid, tiny scenario (parsed) and its text."""
    data = small_scenario()
    return privsim.parse_scenario(data, "tiny.yaml"), yaml.safe_dump(data, sort_keys=False)


def test_run_scenario_unknown_strategy(tiny) -> None:
    scenario, text = tiny
    with pytest.raises(privsim.OptionError) as info:
        run_scenario(scenario, text, replications=1, strategies=["nosuch"], jobs=1, source="tiny.yaml")
    err = info.value
    assert isinstance(err, PrivsimError)
    assert (err.option, err.value) == ("--strategy", "nosuch")
    for name in ("tiny.yaml", "none", "clearance", "nurture"):
        assert name in err.allowed
    assert str(err) == "--strategy = 'nosuch' — no such strategy; tiny.yaml has none, clearance, nurture"


@pytest.mark.parametrize(
    ("arguments", "option", "value", "allowed"),
    [
        ({"replications": 0}, "--replications", 0, "must be at least 1"),
        ({"seed": -1}, "--seed", -1, "must be a non-negative integer"),
        ({"jobs": -1}, "--jobs", -1, "must be 0 (one per CPU) or a positive number of processes"),
    ],
)
def test_run_scenario_bad_option(tiny, arguments: dict, option: str, value: int, allowed: str) -> None:
    scenario, text = tiny
    with pytest.raises(privsim.OptionError) as info:
        run_scenario(scenario, text, **{"replications": 1, "jobs": 1, **arguments}, source="tiny.yaml")
    assert (info.value.option, info.value.value, info.value.allowed) == (option, value, allowed)
    assert str(info.value) == f"{option} = {value} — {allowed}"


def test_write_refuses_non_empty_folder(tiny, tmp_path: Path) -> None:
    scenario, text = tiny
    run = run_scenario(scenario, text, replications=1, strategies=["none"], jobs=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    before = tree(tmp_path)
    with pytest.raises(PrivsimError) as info:
        run.write(out)
    assert str(info.value).startswith(f"{out}: ")
    assert "not an empty folder" in str(info.value) and "--out" in str(info.value)
    assert tree(tmp_path) == before
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------------------
# CLI, in process (typer's CliRunner keeps stderr apart from stdout)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke ``privsim`` in process, with the cwd at tmp_path (so a stray ``results/`` would show)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def assert_cli_error(result, before: set[str], folder: Path) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert tree(folder) == before, "the failed command wrote files"
    assert not (folder / "out").exists() and not (folder / "results").exists()
    return line


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("case", params(CASES))
def test_cli_bad_scenario(case: Case, command: str, cli, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    before = tree(tmp_path)
    extra = ["--out", tmp_path / "out", "--replications", 1, "--jobs", 1] if command == "run" else []
    result = cli(command, path, *extra)
    line = assert_cli_error(result, before, tmp_path)
    check_message(line[len("error: ") :], str(path), case)


def test_cli_unknown_strategy(cli, tmp_path: Path) -> None:
    path = dump(small_scenario(), tmp_path / "tiny.yaml")
    before = tree(tmp_path)
    result = cli("run", path, "--strategy", "nosuch", "--replications", 1, "--jobs", 1, "--out", tmp_path / "out")
    line = assert_cli_error(result, before, tmp_path)
    assert line == f"error: --strategy = 'nosuch' — no such strategy; {path} has none, clearance, nurture", line


def test_cli_zero_replications_exits_2_and_writes_nothing(cli, tmp_path: Path) -> None:
    path = dump(small_scenario(), tmp_path / "tiny.yaml")
    before = tree(tmp_path)
    result = cli("run", path, "--replications", 0, "--jobs", 1, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "replications" in result.stderr
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--replications", 0, "must be at least 1"),
        ("--seed", -1, "must be a non-negative integer"),
        ("--replications", 10**20, "must be at most 10,000,000"),
        (
            "--seed",
            2**128,
            "must be at most 340282366920938463463374607431768211455 (2**128 - 1: the SeedSequence's state)",
        ),
        ("--jobs", -1, "must be 0 (one per CPU) or a positive number of processes"),
    ],
)
def test_cli_bad_option_one_line(option: str, value: int, allowed: str, cli, tmp_path: Path) -> None:
    path = dump(small_scenario(), tmp_path / "tiny.yaml")
    before = tree(tmp_path)
    result = cli("run", path, "--replications", 1, "--jobs", 1, option, value, "--out", tmp_path / "out")
    line = assert_cli_error(result, before, tmp_path)
    assert line == f"error: {option} = {value} — {allowed}", line


def test_cli_out_is_non_empty_folder(cli, tmp_path: Path) -> None:
    path = dump(small_scenario(), tmp_path / "tiny.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    before = tree(tmp_path)
    result = cli("run", path, "--replications", 1, "--jobs", 1, "--strategy", "none", "--out", out)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith(f"error: {out}: "), line
    assert "not an empty folder" in line and "--out" in line
    assert tree(tmp_path) == before
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------------------
# CLI, as a real process: the console script, no traceback


def privsim_process(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    """The console script with narrow tables (COLUMNS=60): a message must stay one line anyway."""
    return privsim_subprocess(*args, cwd=cwd, columns=60, timeout=120)


BY_ID = {case.id: case for case in CASES}


@pytest.mark.parametrize(
    ("case_id", "command"),
    [
        ("malformed_yaml", "run"),
        ("probability_above_1", "run"),
        ("unknown_policy_kind", "check"),
        ("phase_outside_the_horizon", "run"),
        ("missing_file", "run"),
    ],
)
def test_console_script_bad_scenario(case_id: str, command: str, tmp_path: Path) -> None:
    assert PRIVSIM.exists(), f"no console script at {PRIVSIM}"
    case = BY_ID[case_id]
    path = case.make(tmp_path)
    before = tree(tmp_path)
    extra = ["--out", "out", "--replications", "1"] if command == "run" else []
    proc = privsim_process(command, path.name, *extra, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    line = one_line(proc.stderr)  # one line even though COLUMNS=60 is narrower than the message
    check_message(line[len("error: ") :], path.name, case)
    assert tree(tmp_path) == before
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_console_script_unknown_strategy(tmp_path: Path) -> None:
    dump(small_scenario(), tmp_path / "tiny.yaml")
    before = tree(tmp_path)
    proc = privsim_process("run", "tiny.yaml", "--strategy", "nosuch", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert line.startswith("error: --strategy = 'nosuch' — no such strategy; tiny.yaml has "), line
    assert tree(tmp_path) == before
