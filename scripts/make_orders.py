"""Make a synthetic order log with known parameters, for trying `privsim fit` and `privsim forecast`.

BG/NBD (or Pareto/NBD) purchase counts and Gamma-Gamma order values, time
in weeks, first purchases staggered over the first --acquisition-weeks; see
privsim.fitting.synthetic for the exact model. Example:

    python scripts/make_orders.py --customers 5000 --weeks 78 --seed 1 --out orders.csv
    privsim fit orders.csv --calibration-end 2024-12-29
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from privsim.fitting.synthetic import TrueParams, simulate_orders, write_orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000, help="customers (each makes a first purchase)")
    parser.add_argument("--weeks", type=float, default=78.0, help="length of the log, weeks")
    parser.add_argument("--acquisition-weeks", type=float, default=13.0, help="first purchases spread over these weeks")
    parser.add_argument("--seed", type=int, default=1, help="root seed (numpy SeedSequence)")
    parser.add_argument("--model", choices=["bgnbd", "paretonbd"], default="bgnbd", help="purchase-count model")
    parser.add_argument("--start", default="2024-01-01", help="date of day 0, YYYY-MM-DD")
    parser.add_argument("--duplicate-rows", type=int, default=0, help="repeated rows to append (odd rows)")
    parser.add_argument("--zero-amount-rows", type=int, default=0, help="zero-amount orders to append (odd rows)")
    defaults = TrueParams()
    for field in dataclasses.fields(TrueParams):
        parser.add_argument(
            f"--{field.name}",
            type=float,
            default=getattr(defaults, field.name),
            help=f"true {field.name} (default %(default)s)",
        )
    parser.add_argument("--out", default="orders.csv", help="CSV file to write")
    args = parser.parse_args()
    params = TrueParams(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrueParams)})
    frame = simulate_orders(
        args.customers,
        args.weeks,
        args.seed,
        params,
        model=args.model,
        acquisition_weeks=args.acquisition_weeks,
        start=dt.date.fromisoformat(args.start),
        duplicate_rows=args.duplicate_rows,
        zero_amount_rows=args.zero_amount_rows,
    )
    write_orders(frame, args.out)
    used = ", ".join(
        f"{k}={v:g}"
        for k, v in dataclasses.asdict(params).items()
        if (args.model == "bgnbd" and k not in ("s", "beta")) or (args.model == "paretonbd" and k not in ("a", "b"))
    )
    print(
        f"{args.out}: {len(frame):,} orders of {args.customers:,} customers over {args.weeks:g} weeks "
        f"from {args.start} ({args.model}: {used}; weeks, RMB)"
    )


if __name__ == "__main__":
    main()
