"""Engine throughput and memory: 1M members for 365 days under `nurture`.

Not part of the test run. Prints member-days per second (target >= 5M in one
process) and peak traced memory per member (target <= 256 bytes), with their
ratios to the targets.

    python benchmarks/bench_engine.py [--members 1000000] [--days 365] [--policy nurture]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from privsim import parse_scenario
from privsim.agents.members import BYTES_PER_MEMBER
from privsim.sim.calendar import run
from privsim.sim.world import World

TARGET_MEMBER_DAYS_PER_S = 5e6
TARGET_BYTES_PER_MEMBER = 256


def scenario(members: int, days: int, policy: str) -> dict:
    share = {"added": 0.2, "customer": 0.6, "silent": 0.2}
    tiers = ["prospect", "first_order", "member", "vip"]
    return {
        "name": "bench",
        "horizon_days": days,
        "seed": 1,
        "replications": 1,
        "population": {
            "initial": [
                {"state": "added", "tier": "prospect", "count": int(members * share["added"])},
                {"state": "customer", "tier": "first_order", "count": int(members * 0.45)},
                {"state": "customer", "tier": "member", "count": int(members * 0.12)},
                {"state": "customer", "tier": "vip", "count": int(members * 0.03)},
                {"state": "silent", "tier": "first_order", "count": int(members * share["silent"])},
            ]
        },
        "channels": [{"name": "cards", "leads_per_day": members / 1000, "add_rate": 0.2, "cost_per_lead_rmb": 0.5}],
        "accounts": [
            {
                "name": "wecom",
                "kind": "wecom",
                "count": 200,
                "daily_add_cap": 200,
                "members_per_account": 20000,
                "member_churn_rate_per_year": 0.3,
            }
        ],
        "staff": {"count": 50, "personal_contacts_per_person_per_day": 150},
        "tiers": [
            {"name": tiers[0]},
            {"name": tiers[1], "min_purchases": 1},
            {"name": tiers[2], "min_purchases": 5, "demote_after_inactive_days": 365, "member_discount": 0.03},
            {"name": tiers[3], "min_purchases": 12, "demote_after_inactive_days": 180, "member_discount": 0.08},
        ],
        "strategies": [{"name": policy, "policies": [{"kind": policy}]}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--policy", default="nurture", choices=["none", "clearance", "nurture"])
    args = parser.parse_args()
    sc = parse_scenario(scenario(args.members, args.days, args.policy), "bench")

    tracemalloc.start()
    world = World(sc, sc.strategies[0], sc.seed, 0)
    _, setup_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    run(world)
    elapsed = time.perf_counter() - start
    _, run_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rows = world.members.n
    member_days = args.members * args.days  # the base; acquired members add a little more
    speed = member_days / elapsed
    peak_per_member = max(setup_peak, run_peak) / rows
    print(f"members: {args.members:,} initial, {rows:,} at the end; {args.days} days; policy {args.policy}")
    print(
        f"time: {elapsed:.1f} s -> {speed / 1e6:.2f} M member-days/s "
        f"(target {TARGET_MEMBER_DAYS_PER_S / 1e6:.0f} M: ratio {speed / TARGET_MEMBER_DAYS_PER_S:.2f})"
    )
    print(
        f"peak traced memory: {max(setup_peak, run_peak) / 2**20:.0f} MiB -> {peak_per_member:.0f} B/member "
        f"(target {TARGET_BYTES_PER_MEMBER}: ratio {peak_per_member / TARGET_BYTES_PER_MEMBER:.2f}; "
        f"member columns alone {BYTES_PER_MEMBER} B)"
    )


if __name__ == "__main__":
    main()
