"""`privsim fit` on a 1M-row synthetic order log: wall time and rows per second.

Not part of the test run. Makes a BG/NBD + Gamma-Gamma log of about
--rows orders (78 weeks, first purchases over the first 13, a few odd rows),
writes it as CSV to a temporary folder, then times the whole `privsim fit`
command (read, clean, summarise, fit BG/NBD, Pareto/NBD and Gamma-Gamma with
standard errors, write fit.json and population.yaml) in this process.
Target: at most 30 s for 1M rows.

    python benchmarks/bench_fit.py [--rows 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from privsim.cli.fit import fit
from privsim.fitting.synthetic import simulate_orders, write_orders

TARGET_SECONDS = 30.0
WEEKS = 78
CALIBRATION_END = "2024-12-29"  # 52 weeks after 2024-01-01, the synthetic log's day 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    pilot = simulate_orders(20_000, WEEKS, args.seed)
    customers = int(args.rows / (len(pilot) / 20_000))
    frame = simulate_orders(customers, WEEKS, args.seed, duplicate_rows=1000, zero_amount_rows=1000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        write_orders(frame, str(path))
        size = path.stat().st_size
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            fit(path, calibration_end=CALIBRATION_END, out=Path(tmp) / "fit")
        elapsed = time.perf_counter() - start
    rows = len(frame)
    table = printed.getvalue()
    print(table[table.index("Maximum-likelihood") :].split("Count model")[0].rstrip())
    print(f"order log: {rows:,} rows, {customers:,} customers, {size / 2**20:.0f} MiB CSV")
    print(
        f"privsim fit: {elapsed:.1f} s -> {rows / elapsed / 1e3:,.0f}k rows/s "
        f"(target <= {TARGET_SECONDS:.0f} s: ratio {elapsed / TARGET_SECONDS:.2f})"
    )


if __name__ == "__main__":
    main()
