"""Result tables of a run, their statistics, and the results folder.

Tables are tidy (one row per key and metric) pandas DataFrames:

``timeseries``    strategy, replication, month, month_start, metric, value
``replications``  strategy, replication, metric, value (one figure per replication, see metrics)
``summary``       strategy, metric, mean, ci_low, ci_high, sd, n
``differences``   strategy, baseline, metric, mean, ci_low, ci_high, sd, n
                  (paired: strategy minus baseline within each replication)
``cohorts``       strategy, replication, cohort_month, months_since_join, cohort_size, active, retention

Confidence intervals are two-sided 95 % Student-t intervals over
replications: ``mean ± t(0.975, n-1) · sd / sqrt(n)`` (NaN when n < 2).
Replications with a NaN value (e.g. no repurchase window) are left out of
that metric's statistics.

A results folder holds ``manifest.json``, ``scenario.yaml`` (the file as
run) and one CSV per table. It is written to a temporary folder beside the
target and renamed into place, so a folder either is complete or does not
exist.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from privsim.core.errors import PrivsimError
from privsim.core.io import write_new_folder
from privsim.sim.ledger import ReplicationResult, Stock

#: Version of the folder layout; readers refuse other versions.
FORMAT_VERSION = 1
TABLES = ("timeseries", "replications", "summary", "differences", "cohorts")
CONFIDENCE = 0.95


def replication_figures(result: ReplicationResult) -> dict[str, float]:
    """One figure per metric for a replication: flow totals, last month-end stocks, repurchase rate."""
    out: dict[str, float] = {}
    for name, series in result.monthly.items():
        if name == "aov_rmb":
            continue
        out[name] = float(series[-1]) if _is_stock(name) else float(series.sum())
    out["aov_rmb"] = _ratio(out["gmv_rmb"], out["orders"])
    out["referral_cac_rmb"] = _ratio(out["referral_reward_cost_rmb"], out["referral_joined"])
    out["viral_coefficient"] = _ratio(out["referral_joined"], out["referral_asked"])
    out["repurchase_rate"] = result.repurchase_rate
    return out


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


_STOCKS = frozenset(Stock)


def _is_stock(name: str) -> bool:
    return name in _STOCKS or name.startswith(("tier.", "by_pool.members.", "coverage."))


def timeseries_table(results: dict[tuple[str, int], ReplicationResult], month_starts: list[str]) -> pd.DataFrame:
    frames = []
    for (strategy, rep), res in results.items():
        for metric, series in res.monthly.items():
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": strategy,
                        "replication": rep,
                        "month": np.arange(len(series)),
                        "month_start": month_starts,
                        "metric": metric,
                        "value": series,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def replications_table(results: dict[tuple[str, int], ReplicationResult]) -> pd.DataFrame:
    rows = [
        (strategy, rep, metric, value)
        for (strategy, rep), res in results.items()
        for metric, value in replication_figures(res).items()
    ]
    return pd.DataFrame(rows, columns=["strategy", "replication", "metric", "value"])


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
    return _in_strategy_order(table, strategies)


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
    return _in_strategy_order(pd.DataFrame(rows, columns=columns), strategies)


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
    results: dict[tuple[str, int], ReplicationResult], strategies: list[str], month_starts: list[str]
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


def check_out_dir(out: Path) -> None:
    """Refuse a results folder that exists and is not empty (PrivsimError)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PrivsimError(f"{out}: already exists and is not an empty folder; choose another --out")


def write_folder(out: Path, tables: RunTables, manifest: dict, scenario_text: str) -> Path:
    """Write a results folder atomically (temporary folder, then rename). Returns ``out``."""
    out = Path(out)
    check_out_dir(out)
    files = {"scenario.yaml": scenario_text.encode("utf-8")}
    for name in TABLES:
        files[f"{name}.csv"] = getattr(tables, name).to_csv(index=False, lineterminator="\n").encode("utf-8")
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return write_new_folder(out, {**files, "manifest.json": manifest_text})


# ---------------------------------------------------------------------------
# Reading a results folder back (notebooks, ``privsim plot``, ``privsim report``)

#: Columns of each table, as written by :func:`write_folder`.
COLUMNS = {
    "timeseries": ("strategy", "replication", "month", "month_start", "metric", "value"),
    "replications": ("strategy", "replication", "metric", "value"),
    "summary": ("strategy", "metric", "mean", "ci_low", "ci_high", "sd", "n"),
    "differences": ("strategy", "baseline", "metric", "mean", "ci_low", "ci_high", "sd", "n"),
    "cohorts": ("strategy", "replication", "cohort_month", "months_since_join", "cohort_size", "active", "retention"),
}
_TEXT_COLUMNS = ("strategy", "baseline", "metric", "month_start")
_FLOAT_COLUMNS = ("value", "mean", "ci_low", "ci_high", "sd", "retention")


@dataclass(frozen=True)
class Results:
    """A results folder read back: its manifest and its tables (see the module docstring)."""

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
    ``format_version`` is this privsim's, and that every table is there with
    its columns; otherwise raises :class:`~privsim.core.errors.PrivsimError` with
    a one-line message naming the folder or file and what is wrong.
    """
    path = Path(path)
    if not path.is_dir():
        raise PrivsimError(
            f"{path}: {'is not a folder' if path.exists() else 'no such folder'}; expected a results folder"
        )
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise PrivsimError(f"{path}: not a results folder (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PrivsimError(f"{manifest_path}: cannot be read as JSON ({_one_line(err)})") from None
    if not isinstance(manifest, dict):
        raise PrivsimError(f"{manifest_path}: must be a JSON object")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise PrivsimError(
            f"{manifest_path}: format_version = {version!r} — this privsim reads format version {FORMAT_VERSION}; "
            "re-run the scenario with this version"
        )
    strategies = manifest.get("strategies")
    if not isinstance(strategies, list) or not strategies or not all(isinstance(s, str) for s in strategies):
        raise PrivsimError(f"{manifest_path}: strategies must be a non-empty list of names")
    tables = {name: _read_table(path / f"{name}.csv", COLUMNS[name]) for name in TABLES}
    return Results(path=path, manifest=manifest, **tables)


def _read_table(file: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not file.is_file():
        raise PrivsimError(f"{file}: missing table; the results folder is incomplete")
    try:
        table = pd.read_csv(
            file,
            dtype={c: str for c in columns if c in _TEXT_COLUMNS},
            keep_default_na=False,
            na_values={c: ["", "nan", "NaN"] for c in columns if c in _FLOAT_COLUMNS},
        )
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise PrivsimError(f"{file}: cannot be read as a CSV table ({_one_line(err)})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise PrivsimError(f"{file}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return table


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
