"""Run a scenario: every strategy × replication, then the tables and the results folder.

This is the library entry point the CLI and notebooks share::

    scenario, text = load_scenario("scenarios/quickstart.yaml")
    run = run_scenario(scenario, text, replications=5, jobs=2)
    run.tables.summary
    run.write("results/quickstart-test")
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import multiprocessing
import os
import platform
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotated_types import Le

import privsim
from privsim.config.provenance import field_sources
from privsim.config.scenario_base import ScenarioBase
from privsim.core.errors import Interrupted, OptionError
from privsim.core.io import claim_folder, release_folder
from privsim.core.progress import Progress
from privsim.results import KEPT, KeptReplications, RunTables, TableFormat, build_tables, write_folder
from privsim.scenario import Scenario, scenario_hash
from privsim.sim.calendar import simulate
from privsim.sim.ledger import ReplicationResult


@dataclass(frozen=True)
class Run:
    """A finished run: its inputs, its tables and its timing."""

    scenario: Scenario
    scenario_text: str
    seed: int
    replications: int
    strategies: list[str]
    tables: RunTables
    started_at: str
    finished_at: str
    elapsed_seconds: float
    source: str = "<scenario>"
    command: list[str] = field(default_factory=list)

    def manifest(self) -> dict:
        """What the run was: scenario, seed, versions, command, times.

        ``dependencies`` holds the installed version of each of privsim's
        dependencies; ``resolved_scenario`` the scenario as it ran, every
        default filled in; ``parameters`` each of its values with whether the
        file set it (``set_in_file``) or privsim's default was used.
        """
        return {
            "privsim_version": privsim.__version__,
            "scenario": {
                "name": self.scenario.name,
                "file": self.source,
                "sha256": scenario_hash(self.scenario_text),
            },
            "seed": self.seed,
            "replications": self.replications,
            "strategies": self.strategies,
            "baseline": self.strategies[0],
            "horizon_days": self.scenario.horizon_days,
            "start_date": self.scenario.start_date.isoformat(),
            "command": self.command,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "dependencies": dependency_versions(),
            "resolved_scenario": self.scenario.model_dump(mode="json"),
            "parameters": [dataclasses.asdict(source) for source in field_sources(self.scenario)],
        }

    def write(
        self, out: str | Path | None = None, results_root: str | Path = "results", table_format: TableFormat = "csv"
    ) -> Path:
        """Write the results folder (default ``results/<slug>-<timestamp>``, see :func:`slug`) and return its path.

        ``table_format``: ``csv`` (default) or ``parquet`` (needs pyarrow: ``pip install 'privsim[parquet]'``).
        """
        if out is None:
            out = default_out_dir(Path(results_root), self.scenario.name, self.started_at)
        return write_folder(Path(out), self.tables, self.manifest(), self.scenario_text, table_format)


def dependency_versions() -> dict[str, str]:
    """Installed version of each distribution privsim requires (and of pyarrow, for Parquet tables), by name."""
    names = []
    for requirement in importlib.metadata.requires("privsim") or []:
        if "extra ==" not in requirement and (match := re.match(r"[A-Za-z0-9_.-]+", requirement)):
            names.append(match.group())
    versions = {}
    for name in [*names, "pyarrow"]:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name != "pyarrow":
                versions[name] = "not installed"
    return versions


def slug(name: str) -> str:
    """A scenario name as a folder name: letters (Chinese too), digits, ``_``, ``.`` and ``-``; runs of anything
    else (spaces, ``/``, punctuation) become one ``-``. ``精细化 运营/2025`` → ``精细化-运营-2025``."""
    text = re.sub(r"[^\w.-]+", "-", name).strip("-.")
    return text[:80] or "scenario"


def default_out_dir(root: Path, name: str, started_at: str) -> Path:
    """``root/<slug of name>-<YYYYmmdd-HHMMSS>``, with a ``-2``, ``-3`` … suffix if taken."""
    stamp = dt.datetime.fromisoformat(started_at).strftime("%Y%m%d-%H%M%S")
    base = f"{slug(name)}-{stamp}"
    out, k = root / base, 2
    while out.exists():
        out, k = root / f"{base}-{k}", k + 1
    return out


def select_strategies(scenario: Scenario, names: Sequence[str] | None, source: str) -> list[str]:
    """The strategy names to run, in the scenario's order (all when ``names`` is empty)."""
    known = [s.name for s in scenario.strategies]
    if not names:
        return known
    for name in names:
        if name not in known:
            raise OptionError("--strategy", name, f"no such strategy; {source} has {', '.join(known)}")
    return [name for name in known if name in names]


def run_scenario(
    scenario: Scenario,
    scenario_text: str = "",
    *,
    replications: int | None = None,
    seed: int | None = None,
    strategies: Sequence[str] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    source: str = "<scenario>",
    command: Sequence[str] | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    started: dt.datetime | None = None,
) -> Run:
    """Simulate every selected strategy ``replications`` times and build the tables.

    ``replications`` and ``seed`` default to the scenario's. Replication k of
    every strategy uses the same random streams (common random numbers), so
    results do not depend on ``jobs`` (worker processes; 0 = one per CPU).
    An argument that cannot be used raises :class:`~privsim.core.errors.OptionError`
    named after its command-line option (``--replications``, ``--seed``,
    ``--jobs``, ``--strategy``).

    ``out``: the results folder :meth:`Run.write` will write, claimed before simulating
    (:func:`privsim.core.io.claim_folder`), so that a folder that cannot be written, or that another run writes,
    is refused at once (PrivsimError) rather than after the simulation. Each replication is kept in it as it
    finishes (:class:`~privsim.results.KeptReplications`); stopped by Ctrl-C or SIGTERM (KeyboardInterrupt),
    the run raises :class:`~privsim.core.errors.Interrupted` saying how many were kept, and ``resume=True``
    (``--resume``) with the same scenario file, seed and ``out`` simulates only the others, for tables identical
    to an uninterrupted run's.

    ``started``: the run's start time for its manifest (default: now, UTC), e.g. the time a caller named
    ``out`` after (:func:`default_out_dir`), so that the folder's name and ``started_at`` agree.
    """
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if replications < 1:
        raise OptionError("--replications", replications, "must be at least 1")
    if replications > (most := _upper_bound("replications")):
        raise OptionError("--replications", replications, f"must be at most {most:,}")
    if seed < 0:
        raise OptionError("--seed", seed, "must be a non-negative integer")
    if seed > (most := _upper_bound("seed")):
        raise OptionError("--seed", seed, f"must be at most {most} (2**128 - 1: the SeedSequence's state)")
    if jobs < 0:
        raise OptionError("--jobs", jobs, "must be 0 (one per CPU) or a positive number of processes")
    if resume and out is None:
        raise OptionError("--resume", True, "needs --out, the results folder of the interrupted run")
    names = select_strategies(scenario, strategies, source)
    started = dt.datetime.now(dt.UTC) if started is None else started
    clock = time.perf_counter()
    tasks = [(name, rep) for name in names for rep in range(replications)]
    if out is None:
        results = _simulate_all(scenario, seed, tasks, jobs, progress, {}, None)
    else:
        results = _simulate_into(Path(out), resume, scenario, scenario_text, seed, tasks, jobs, progress)
    month_starts = [str(m) for m in scenario.month_starts()]
    tables = build_tables({task: results[task] for task in tasks}, names, month_starts)
    return Run(
        scenario=scenario,
        scenario_text=scenario_text,
        seed=seed,
        replications=replications,
        strategies=names,
        tables=tables,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        elapsed_seconds=time.perf_counter() - clock,
        source=source,
        command=list(command) if command is not None else list(sys.argv),
    )


Results = dict[tuple[str, int], ReplicationResult]


def _simulate_into(
    out: Path,
    resume: bool,
    scenario: Scenario,
    scenario_text: str,
    seed: int,
    tasks: list[tuple[str, int]],
    jobs: int,
    progress: Progress | None,
) -> Results:
    """Simulate ``tasks`` with ``out`` claimed, keeping each replication in it (those kept already, on resume)."""
    claim_folder(out, take_interrupted=resume)
    try:
        kept = KeptReplications.open(out, scenario_hash(scenario_text), seed, [s.name for s in scenario.strategies])
        return _simulate_all(scenario, seed, tasks, jobs, progress, kept.load(tasks), kept)
    except BaseException as err:
        finished = len(list((out / KEPT).glob("*.npz")))
        if not finished:
            shutil.rmtree(out / KEPT, ignore_errors=True)
            release_folder(out)
        if isinstance(err, KeyboardInterrupt):
            raise Interrupted(
                f"{out}: {finished} of {len(tasks)} replications finished and are kept there; finish the run with "
                f"privsim run SCENARIO --resume --out {out}"
                if finished
                else "stopped before a replication finished; nothing was kept"
            ) from None
        raise


def _simulate_all(
    scenario: Scenario,
    seed: int,
    tasks: list[tuple[str, int]],
    jobs: int,
    progress: Progress | None,
    results: Results,
    kept: KeptReplications | None,
) -> Results:
    """Simulate those of ``tasks`` not in ``results`` (finished already) and add them, keeping each in ``kept``."""
    if jobs == 0:
        jobs = os.cpu_count() or 1
    work = [(scenario, name, seed, rep) for name, rep in tasks if (name, rep) not in results]
    if jobs <= 1 or len(work) <= 1:
        return _collect(map(_simulate_task, work), results, len(tasks), progress, kept)
    with multiprocessing.Pool(min(jobs, len(work)), initializer=_start_worker, initargs=(os.getpid(),)) as pool:
        # leaving the block ends the workers
        return _collect(pool.imap_unordered(_simulate_task, work), results, len(tasks), progress, kept)


def _collect(
    finished: Iterator[tuple[tuple[str, int], ReplicationResult]],
    results: Results,
    total: int,
    progress: Progress | None,
    kept: KeptReplications | None,
) -> Results:
    for task, result in finished:
        results[task] = result
        if kept is not None:
            kept.keep(task, result)
        if progress:
            progress(len(results), total)
    return results


def _simulate_task(task: tuple[Scenario, str, int, int]) -> tuple[tuple[str, int], ReplicationResult]:
    scenario, name, seed, rep = task
    return (name, rep), simulate(scenario, scenario.strategy(name), seed, rep)


#: How often a worker process checks that its parent is still running, seconds.
PARENT_CHECK_S = 0.5


def _start_worker(parent: int) -> None:
    """Set up a worker process: Ctrl-C is the parent's to handle (it ends the workers), SIGTERM ends the worker,
    and it ends with its parent (:func:`end_with_parent`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent(parent)


def end_with_parent(parent: int) -> None:
    """Make this (worker) process end within PARENT_CHECK_S once process ``parent`` is gone: a thread checks.

    A worker whose parent was killed (SIGKILL, which nothing can catch) would otherwise wait on its pipe forever.
    Use as the ``initializer`` of a process pool, with ``initargs=(os.getpid(),)``.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="privsim-parent-watch", daemon=True).start()


def _upper_bound(field: str) -> int:
    """The largest value the scenario file allows in ``field`` (its ``le`` bound): an option overriding
    the field is held to it, so that ``-n`` or ``--seed`` cannot ask what a file cannot."""
    bound = next(m.le for m in ScenarioBase.model_fields[field].metadata if isinstance(m, Le))
    assert isinstance(bound, int)
    return bound
