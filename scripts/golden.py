"""Golden tables: has a change left every shipped scenario's results as they were?

Runs every shipped scenario (``privsim examples``) at a fixed seed with 2
replications and hashes its tables: each table whole, and each metric's rows
of the tables that have a ``metric`` column, so that a change that only adds
metrics shows every existing metric identical and the new ones as NEW. The
committed list is ``scripts/golden-tables.json``::

    python scripts/golden.py check                 # every scenario; exit 1 unless all identical
    python scripts/golden.py check quickstart      # some scenarios
    python scripts/golden.py update                # rewrite the list (commit it with the change, saying why)

Run by hand before and after a model change (it takes minutes, so it is not
a test). ``check`` prints one line per scenario and a summary:
``IDENTICAL`` (every table and metric), ``NEW`` (metrics the list does not
have), ``CHANGED`` and ``GONE``; it exits 0 only when nothing is changed,
gone or new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import pandas as pd

from privsim.core.examples import examples
from privsim.results import TABLES
from privsim.runner import run_scenario
from privsim.scenario import load_scenario

SEED = 11
REPLICATIONS = 2
LIST = Path(__file__).with_name("golden-tables.json")


def _sha256(table: pd.DataFrame) -> str:
    data = table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]  # 64 bits: enough to see a change, a smaller list


def hashes(name: str, path: Path, jobs: int) -> dict[str, str]:
    """``table`` and ``table/metric`` → SHA-256 of its rows as CSV (the first 16 hex digits), for one scenario."""
    scenario, text = load_scenario(path)
    run = run_scenario(scenario, text, replications=REPLICATIONS, seed=SEED, jobs=jobs, source=name)
    found = {}
    for table_name in TABLES:
        table = getattr(run.tables, table_name)
        found[table_name] = _sha256(table)
        if "metric" in table.columns:
            for metric, rows in table.groupby("metric", sort=True):
                found[f"{table_name}/{metric}"] = _sha256(rows)
    return found


def compare(old: dict[str, str], new: dict[str, str]) -> dict[str, list[str]]:
    """Keys of ``new`` against ``old``: identical, new, changed and gone (whole tables that only gained
    metrics count as identical when every old metric is)."""
    verdict: dict[str, list[str]] = {"IDENTICAL": [], "NEW": [], "CHANGED": [], "GONE": []}
    gained = {key.split("/")[0] for key in new if "/" in key and key not in old}
    for key, value in new.items():
        if key not in old:
            verdict["NEW"].append(key)
        elif old[key] == value or (key in gained and _metrics_identical(key, old, new)):
            verdict["IDENTICAL"].append(key)
        else:
            verdict["CHANGED"].append(key)
    verdict["GONE"] = [key for key in old if key not in new]
    return verdict


def _metrics_identical(table: str, old: dict[str, str], new: dict[str, str]) -> bool:
    keys = [key for key in old if key.startswith(f"{table}/")]
    return bool(keys) and all(new.get(key) == old[key] for key in keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "update"))
    parser.add_argument("names", nargs="*", help="shipped scenarios to run (default: all), e.g. quickstart cases/steak")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes per scenario (default 2)")
    args = parser.parse_args()
    shipped = {e.name: e.path for e in examples()}
    unknown = [n for n in args.names if n not in shipped]
    if unknown:
        parser.error(f"no shipped scenario {', '.join(unknown)}; they are {', '.join(shipped)}")
    names = args.names or list(shipped)
    committed: dict[str, dict[str, str]] = json.loads(LIST.read_text()) if LIST.exists() else {}
    totals = {"IDENTICAL": 0, "NEW": 0, "CHANGED": 0, "GONE": 0}
    current = {}
    for name in names:
        clock = time.perf_counter()
        current[name] = hashes(name, shipped[name], args.jobs)
        verdict = compare(committed.get(name, {}), current[name])
        for key, keys in verdict.items():
            totals[key] += len(keys)
        shown = ", ".join(f"{len(v)} {k.lower()}" for k, v in verdict.items() if v)
        print(f"{name}: {shown} ({time.perf_counter() - clock:.0f} s)", flush=True)
        if name not in committed:
            print("  not in the list yet")
            continue
        for key in ("CHANGED", "GONE", "NEW"):
            for item in verdict[key][:20]:
                print(f"  {key} {item}")
            if len(verdict[key]) > 20:
                print(f"  ... {len(verdict[key]) - 20} more {key.lower()}")
    print("golden tables: " + ", ".join(f"{v} {k}" for k, v in totals.items()) + f" ({len(names)} scenarios)")
    if args.action == "update":
        LIST.write_text(json.dumps({**committed, **current}, indent=1, sort_keys=True) + "\n")
        print(f"{LIST} updated")
        return 0
    return 0 if totals["CHANGED"] == totals["GONE"] == totals["NEW"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
