"""Result tables of a run, their statistics, and the results folder.

Tables are tidy (one row per key and metric) pandas DataFrames, their rows
in the run's strategy order (the first strategy is the baseline):

``timeseries``    strategy, replication, month, month_start, metric, measure, pool, tier, channel, unit, value
``replications``  strategy, replication, metric, measure, pool, tier, channel, unit, value
                  (one figure per replication, see metrics)
``summary``       strategy, metric, measure, pool, tier, channel, unit, mean, ci_low, ci_high, sd, n
``differences``   strategy, baseline, metric, measure, pool, tier, channel, unit, mean, ci_low, ci_high, sd, n
                  (paired: strategy minus baseline within each replication)
``cohorts``       strategy, replication, cohort_month, months_since_join, cohort_size, active, retention

``metric`` names one series (e.g. ``by_pool.added.personal``, see
:mod:`privsim.metrics`); ``measure`` is what it counts (``added``) and
``pool``, ``tier`` and ``channel`` its breakdown (``personal``; the empty
string where the metric is not broken down that way), so a breakdown is a
filter, not a string to parse (:func:`privsim.metrics.split`). ``unit`` is
the measure's unit (``RMB``, ``members``, ``orders``, ``share`` ...;
:func:`privsim.metrics.unit`): flows are per month in ``timeseries`` and over
the horizon elsewhere, stocks are counts at a month end. ``month_start`` is
the first day of the calendar month (a date).

Confidence intervals are two-sided 95 % Student-t intervals over
replications: ``mean ± t(0.975, n-1) · sd / sqrt(n)`` (NaN when n < 2).
Replications with a NaN value (e.g. no repurchase window) are left out of
that metric's statistics.

A results folder holds ``manifest.json``, ``scenario.yaml`` (the file as
run) and one CSV per table (or one Parquet file per table, with pyarrow:
``pip install 'privsim[parquet]'``). The folder is claimed before the run
simulates (:func:`privsim.core.io.claim_folder`: created, checked to be
writable, refused if another run writes it); each file is written atomically
and ``manifest.json`` last, so a folder with a manifest is complete, and one
without is an interrupted run's, which :func:`load_results` says. The
manifest holds each file's SHA-256, which :func:`load_results` checks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import hashlib
import importlib.util
import io
import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from privsim import metrics
from privsim.core.errors import PrivsimError
from privsim.core.io import claim_folder, interrupted_claim, interrupted_message, release_folder, write_files
from privsim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR
from privsim.sim.ledger import ReplicationResult, Stock

#: Version of the folder layout this privsim writes; :func:`load_results` reads it and the versions before.
FORMAT_VERSION = 2
#: Versions :func:`load_results` reads (1: before the breakdown and unit columns; month_start was ``YYYY-MM``).
READS_VERSIONS = (1, 2)
TABLES = ("timeseries", "replications", "summary", "differences", "cohorts")
#: File formats of the tables.
TableFormat = Literal["csv", "parquet"]
TABLE_FORMATS: tuple[TableFormat, ...] = ("csv", "parquet")
CONFIDENCE = 0.95
#: Columns that describe a metric, after ``metric`` in every table that has one.
DESCRIPTION_COLUMNS = ("measure", *metrics.BREAKDOWN_COLUMNS, "unit")


def replication_figures(result: ReplicationResult) -> dict[str, float]:
    """One figure per metric for a replication: flow totals, last month-end stocks, repurchase rates."""
    out: dict[str, float] = {}
    for name, series in result.monthly.items():
        if name == "aov_rmb":
            continue
        out[name] = float(series[-1]) if _is_stock(name) else float(series.sum())
    out["aov_rmb"] = _ratio(out["gmv_rmb"], out["orders"])
    out["referral_cac_rmb"] = _ratio(out["referral_reward_cost_rmb"], out["referral_joined"])
    out["viral_coefficient"] = _ratio(out["referral_joined"], out["referral_asked"])
    staff_months = out["staff_operator_days"] * MONTHS_PER_YEAR / DAYS_PER_YEAR
    out["gmv_per_staff_month_rmb"] = _ratio(out["gmv_rmb"], staff_months)
    out["personal_contacts_per_staff_day"] = _ratio(out["personal_contacts"], out["staff_operator_days"])
    out["repurchase_rate"] = result.repurchase_rate
    out["repurchase_rate_retained"] = result.repurchase_rate_retained
    out["end_base_value_rmb"] = result.end_base_value_rmb
    out["profit_plus_end_base_rmb"] = out["profit_rmb"] + result.end_base_value_rmb
    return out


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


_STOCKS = frozenset(Stock)


def _is_stock(name: str) -> bool:
    return name in _STOCKS or name.startswith(("tier.", "by_pool.members.", "coverage.", "by_pool.accounts_open."))


def describe_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the columns measure, pool, tier, channel and unit inserted after ``metric``."""
    names = pd.unique(table["metric"])
    parts = {name: metrics.split(name) for name in names}
    described = {
        "measure": {name: measure for name, (measure, _) in parts.items()},
        **{
            column: {name: breakdown.get(column, "") for name, (_, breakdown) in parts.items()}
            for column in metrics.BREAKDOWN_COLUMNS
        },
        "unit": {name: metrics.unit(measure) for name, (measure, _) in parts.items()},
    }
    table = table.drop(columns=[c for c in DESCRIPTION_COLUMNS if c in table.columns])
    at = list(table.columns).index("metric") + 1
    for offset, (column, mapping) in enumerate(described.items()):
        table.insert(at + offset, column, table["metric"].map(mapping).astype(str))
    return table


def timeseries_table(
    results: dict[tuple[str, int], ReplicationResult], month_starts: Sequence[str | dt.date]
) -> pd.DataFrame:
    starts = pd.to_datetime(pd.Series([str(m) for m in month_starts], dtype=object), format="ISO8601")
    frames = []
    for (strategy, rep), res in results.items():
        for metric, series in res.monthly.items():
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": strategy,
                        "replication": rep,
                        "month": np.arange(len(series)),
                        "month_start": starts.to_numpy(),
                        "metric": metric,
                        "value": series,
                    }
                )
            )
    return describe_metrics(pd.concat(frames, ignore_index=True))


def replications_table(results: dict[tuple[str, int], ReplicationResult]) -> pd.DataFrame:
    rows = [
        (strategy, rep, metric, value)
        for (strategy, rep), res in results.items()
        for metric, value in replication_figures(res).items()
    ]
    return describe_metrics(pd.DataFrame(rows, columns=["strategy", "replication", "metric", "value"]))


def cohorts_table(results: dict[tuple[str, int], ReplicationResult]) -> pd.DataFrame:
    frames = []
    for (strategy, rep), res in results.items():
        month_end, cohort = np.tril_indices(len(res.cohort_sizes))  # cohort <= month_end
        sizes = res.cohort_sizes[month_end, cohort]
        keep = sizes > 0
        month_end, cohort, sizes = month_end[keep], cohort[keep], sizes[keep]
        active = res.cohort_active[month_end, cohort]
        frames.append(
            pd.DataFrame(
                {
                    "strategy": strategy,
                    "replication": rep,
                    "cohort_month": cohort,
                    "months_since_join": month_end - cohort,
                    "cohort_size": sizes,
                    "active": active,
                    "retention": active / sizes,
                }
            )
        )
    columns = ["strategy", "replication", "cohort_month", "months_since_join", "cohort_size", "active", "retention"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def t_interval(values: np.ndarray) -> tuple[float, float, float, float, int]:
    """(mean, ci_low, ci_high, sd, n) of the finite values: a two-sided 95 % Student-t interval."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return (np.nan, np.nan, np.nan, np.nan, 0)
    mean = float(values.mean())
    if n < 2:
        return (mean, np.nan, np.nan, np.nan, n)
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / np.sqrt(n)
    return (mean, mean - half, mean + half, sd, n)


def summary_table(replications: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    rows = []
    for (strategy, metric), group in replications.groupby(["strategy", "metric"], sort=False):
        rows.append((strategy, metric, *t_interval(group["value"].to_numpy())))
    table = pd.DataFrame(rows, columns=["strategy", "metric", "mean", "ci_low", "ci_high", "sd", "n"])
    return describe_metrics(_in_strategy_order(table, strategies))


def differences_table(replications: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    """Paired differences of every strategy against the first one (common random numbers)."""
    wide = replications.pivot_table(index=["metric", "replication"], columns="strategy", values="value", dropna=False)
    baseline = strategies[0]
    rows = []
    for strategy in strategies[1:]:
        diff = (wide[strategy] - wide[baseline]).groupby(level="metric", sort=False)
        for metric, values in diff:
            rows.append((strategy, baseline, metric, *t_interval(values.to_numpy())))
    columns = ["strategy", "baseline", "metric", "mean", "ci_low", "ci_high", "sd", "n"]
    return describe_metrics(_in_strategy_order(pd.DataFrame(rows, columns=columns), strategies))


def _in_strategy_order(table: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(strategies)}
    table = table.assign(_order=table["strategy"].map(order)).sort_values(["_order", "metric"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


@dataclass(frozen=True)
class RunTables:
    """The tables of a run (see the module docstring)."""

    timeseries: pd.DataFrame
    replications: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    cohorts: pd.DataFrame


def build_tables(
    results: dict[tuple[str, int], ReplicationResult], strategies: list[str], month_starts: Sequence[str | dt.date]
) -> RunTables:
    """All tables of a run from its replication results, keyed by (strategy, replication)."""
    replications = replications_table(results)
    return RunTables(
        timeseries=timeseries_table(results, month_starts),
        replications=replications,
        summary=summary_table(replications, strategies),
        differences=differences_table(replications, strategies),
        cohorts=cohorts_table(results),
    )


def write_folder(
    out: Path, tables: RunTables, manifest: dict, scenario_text: str, table_format: TableFormat = "csv"
) -> Path:
    """Write the results folder ``out`` (absent, empty or claimed by this process): the tables and the scenario,
    then the manifest; returns ``out``.

    ``table_format``: ``csv`` or ``parquet`` (needs pyarrow: ``pip install 'privsim[parquet]'``). If ``out``
    cannot be written at this point (a disk full, a drive gone), the folder is written to a new folder in the
    system's temporary folder instead and the PrivsimError raised says where.
    """
    out = Path(out)
    check_table_format(table_format)
    claim_folder(out)
    files = {"scenario.yaml": scenario_text.encode("utf-8")}
    for name in TABLES:
        files[f"{name}.{table_format}"] = _table_bytes(getattr(tables, name), table_format)
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "table_format": table_format,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    try:
        write_files(out, files)
        write_files(out, {"manifest.json": manifest_text})
    except OSError as err:
        raise PrivsimError(
            f"{out}: cannot be written ({err.strerror or err}); {_keep_safe(files, manifest_text)}"
        ) from None
    shutil.rmtree(out / KEPT, ignore_errors=True)
    release_folder(out)
    return out


def _keep_safe(files: dict[str, bytes], manifest_text: str) -> str:
    """Write a results folder that could not be written where asked into a new temporary folder; say where."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="privsim-results-"))
        write_files(folder, {**files, "manifest.json": manifest_text})
    except OSError as err:
        return f"nor could a copy be kept in the temporary folder ({err.strerror or err}): the results are lost"
    return f"the results were written to {folder} instead"


#: The folder, inside a results folder being written, that keeps each finished replication until the tables are.
KEPT = ".replications"


@dataclass(frozen=True)
class KeptReplications:
    """The finished replications of a run, kept in its results folder as they finish so that an interrupted run
    can be finished (``privsim run --resume``) with tables identical to an uninterrupted run's.

    ``<results folder>/.replications/`` holds ``run.json`` (the scenario file's SHA-256 and the seed: replication
    k of a strategy depends on nothing else) and one ``<strategy's index in the scenario>-<k>.npz`` per finished
    replication (arrays only, no pickled objects), each written atomically. :func:`write_folder` removes it.
    """

    folder: Path
    strategy_index: dict[str, int]

    @classmethod
    def open(cls, out: Path, scenario_sha256: str, seed: int, strategies: Sequence[str]) -> KeptReplications:
        """The kept replications of ``out``; PrivsimError if those there are of another scenario file or seed."""
        folder = out / KEPT
        identity = {"scenario_sha256": scenario_sha256, "seed": seed}
        try:
            found = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            write_files(folder, {"run.json": json.dumps(identity) + "\n"})
            found = identity
        except (OSError, ValueError) as err:
            raise PrivsimError(
                f"{folder / 'run.json'}: cannot be read ({_one_line(err)}); choose another --out"
            ) from None
        if found != identity:
            raise PrivsimError(
                f"{out}: its finished replications are of another scenario file or seed ({found}); resume with "
                "the same scenario file and --seed, or choose another --out"
            )
        return cls(folder, {name: i for i, name in enumerate(strategies)})

    def _path(self, task: tuple[str, int]) -> Path:
        return self.folder / f"{self.strategy_index[task[0]]}-{task[1]}.npz"

    def keep(self, task: tuple[str, int], result: ReplicationResult) -> None:
        """Keep the result of ``task`` (strategy, replication)."""
        arrays: dict[str, Any] = {f"m{i}": series for i, series in enumerate(result.monthly.values())}
        arrays["monthly_names"] = np.array(list(result.monthly), dtype=str)
        for field in dataclasses.fields(result):  # every other field, by its name
            if field.name != "monthly":
                arrays[field.name] = np.asarray(getattr(result, field.name))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_files(self.folder, {self._path(task).name: buffer.getvalue()})

    def load(self, tasks: Sequence[tuple[str, int]]) -> dict[tuple[str, int], ReplicationResult]:
        """The kept results of those of ``tasks`` that finished."""
        found = {}
        for task in tasks:
            if self._path(task).is_file():
                with np.load(self._path(task), allow_pickle=False) as data:
                    names = [str(name) for name in data["monthly_names"]]
                    others = {
                        field.name: data[field.name].item() if data[field.name].ndim == 0 else data[field.name]
                        for field in dataclasses.fields(ReplicationResult)
                        if field.name != "monthly"
                    }
                    monthly = {name: data[f"m{i}"] for i, name in enumerate(names)}
                    found[task] = ReplicationResult(monthly=monthly, **others)
        return found


def check_table_format(table_format: str) -> None:
    """Refuse a table format other than csv and parquet, and parquet without pyarrow (PrivsimError)."""
    if table_format not in TABLE_FORMATS:
        raise PrivsimError(f"table format {table_format!r} — must be one of {', '.join(TABLE_FORMATS)}")
    if table_format == "parquet":
        _require_pyarrow()


def _table_bytes(table: pd.DataFrame, table_format: TableFormat) -> bytes:
    if table_format == "csv":
        return table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")
    _require_pyarrow()
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def _require_pyarrow() -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise PrivsimError("Parquet tables need pyarrow, which is not installed: pip install 'privsim[parquet]'")


# ---------------------------------------------------------------------------
# Reading a results folder back (notebooks, ``privsim plot``, ``privsim report``)

#: Columns of each table, as written by :func:`write_folder`.
COLUMNS = {
    "timeseries": ("strategy", "replication", "month", "month_start", "metric", *DESCRIPTION_COLUMNS, "value"),
    "replications": ("strategy", "replication", "metric", *DESCRIPTION_COLUMNS, "value"),
    "summary": ("strategy", "metric", *DESCRIPTION_COLUMNS, "mean", "ci_low", "ci_high", "sd", "n"),
    "differences": ("strategy", "baseline", "metric", *DESCRIPTION_COLUMNS, "mean", "ci_low", "ci_high", "sd", "n"),
    "cohorts": ("strategy", "replication", "cohort_month", "months_since_join", "cohort_size", "active", "retention"),
}
_TEXT_COLUMNS = ("strategy", "baseline", "metric", "month_start", *DESCRIPTION_COLUMNS)
_FLOAT_COLUMNS = ("value", "mean", "ci_low", "ci_high", "sd", "retention")


@dataclass(frozen=True)
class Results:
    """A results folder read back: its manifest and its tables (see the module docstring).

    Rows are in the run's strategy order (:attr:`strategies`, the baseline
    first), the order and the colours of privsim's figures
    (:func:`privsim.reporting.plots.colours`).
    """

    path: Path
    manifest: dict
    timeseries: pd.DataFrame
    replications: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    cohorts: pd.DataFrame

    @property
    def strategies(self) -> list[str]:
        """Strategy names in run order; the first is the baseline."""
        return list(self.manifest["strategies"])

    @property
    def baseline(self) -> str:
        return self.strategies[0]

    @property
    def scenario_name(self) -> str:
        return str(self.manifest.get("scenario", {}).get("name", self.path.name))

    @property
    def seed(self) -> int | None:
        return self.manifest.get("seed")

    @property
    def tables(self) -> RunTables:
        return RunTables(*(getattr(self, name) for name in TABLES))


def load_results(path: str | Path) -> Results:
    """Read a results folder written by ``privsim run`` (or :meth:`privsim.runner.Run.write`).

    Checks that ``manifest.json`` is there and parses, that its
    ``format_version`` is one this privsim reads, that every file the
    manifest lists has the SHA-256 it records, and that every table is there
    with its columns; otherwise raises :class:`~privsim.core.errors.PrivsimError`
    with a one-line message naming the folder or file and what is wrong.
    A folder of format version 1 is read into this version's columns.
    """
    path = Path(path)
    if not path.is_dir():
        raise PrivsimError(
            f"{path}: {'is not a folder' if path.exists() else 'no such folder'}; expected a results folder"
            + _newest_run_hint(path)
        )
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        if (process := interrupted_claim(path)) is not None:
            raise PrivsimError(interrupted_message(path, process))
        raise PrivsimError(f"{path}: not a results folder (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PrivsimError(f"{manifest_path}: cannot be read as JSON ({_one_line(err)})") from None
    if not isinstance(manifest, dict):
        raise PrivsimError(f"{manifest_path}: must be a JSON object")
    version = manifest.get("format_version")
    if version not in READS_VERSIONS:
        raise PrivsimError(
            f"{manifest_path}: format_version = {version!r} — this privsim reads format versions "
            f"{', '.join(map(str, READS_VERSIONS))}; re-run the scenario with this version"
        )
    strategies = manifest.get("strategies")
    if not isinstance(strategies, list) or not strategies or not all(isinstance(s, str) for s in strategies):
        raise PrivsimError(f"{manifest_path}: strategies must be a non-empty list of names")
    table_format = manifest.get("table_format", "csv")
    if table_format not in TABLE_FORMATS:
        raise PrivsimError(
            f"{manifest_path}: table_format = {table_format!r} — must be one of {', '.join(TABLE_FORMATS)}"
        )
    _check_hashes(path, manifest, manifest_path)
    tables = {}
    for name in TABLES:
        file = path / f"{name}.{table_format}"
        table = _read_table(file, table_format, version)
        columns = COLUMNS[name] if version == FORMAT_VERSION else _V1_COLUMNS[name]
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise PrivsimError(f"{file}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        if version != FORMAT_VERSION and "metric" in table.columns:
            table = describe_metrics(table)
        tables[name] = _strategies_in_order(table, strategies)
    return Results(path=path, manifest=manifest, **tables)


def _newest_run_hint(path: Path) -> str:
    """``; the newest run of that name is results/NAME-<timestamp>`` when ``path`` is a run's folder without the
    timestamp ``privsim run`` adds when there is no ``--out``; else empty."""
    runs = sorted(
        p
        for p in path.parent.glob(f"{glob.escape(path.name)}-*")
        if re.fullmatch(re.escape(path.name) + r"-\d{8}-\d{6}(-\d+)?", p.name) and p.is_dir()
    )
    return f"; the newest run of that name is {runs[-1]}" if runs else ""


#: Columns of format version 1 (no measure, breakdown and unit columns).
_V1_COLUMNS = {name: tuple(c for c in columns if c not in DESCRIPTION_COLUMNS) for name, columns in COLUMNS.items()}


def _strategies_in_order(table: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    """Rows in the run's strategy order (stable: each strategy's rows keep their order)."""
    order = table["strategy"].map({name: i for i, name in enumerate(strategies)})
    return table.iloc[np.argsort(order.fillna(len(strategies)).to_numpy(), kind="stable")].reset_index(drop=True)


def _check_hashes(path: Path, manifest: dict, manifest_path: Path) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise PrivsimError(f"{manifest_path}: files must map each file of the folder to its SHA-256")
    for name, expected in files.items():
        file = path / name
        if Path(name).name != name:
            raise PrivsimError(f"{manifest_path}: files lists {name!r}, which is not a file of the folder")
        if not file.is_file():
            raise PrivsimError(f"{file}: missing; the results folder is incomplete")
        actual = hashlib.sha256(file.read_bytes()).hexdigest()
        if actual != expected:
            raise PrivsimError(
                f"{file}: SHA-256 {actual[:12]}… does not match the manifest's {expected[:12]}…; "
                "the file was changed after the run (re-run the scenario, or restore the file)"
            )


def _read_table(file: Path, table_format: str, version: int) -> pd.DataFrame:
    if not file.is_file():
        raise PrivsimError(f"{file}: missing table; the results folder is incomplete")
    try:
        if table_format == "parquet":
            _require_pyarrow()
            table = pd.read_parquet(file, engine="pyarrow")
        else:
            header = pd.read_csv(file, nrows=0).columns
            table = pd.read_csv(
                file,
                dtype={c: str for c in header if c in _TEXT_COLUMNS},
                keep_default_na=False,
                na_values={c: ["", "nan", "NaN"] for c in header if c in _FLOAT_COLUMNS},
            )
        if "month_start" in table.columns and not pd.api.types.is_datetime64_any_dtype(table["month_start"]):
            table["month_start"] = pd.to_datetime(table["month_start"], format="%Y-%m" if version == 1 else "%Y-%m-%d")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise PrivsimError(f"{file}: cannot be read as a {table_format.upper()} table ({_one_line(err)})") from None
    return table


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
