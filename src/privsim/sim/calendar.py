"""The calendar of one replication: a simpy environment driving the daily tick, and the tick's order.

The calendar is a ``simpy.Environment`` whose time unit is the day:

- the policies' timed events (a campaign, a promotion day, a swap) fire at
  time ``t`` (the start of day t), in the order the strategy lists the
  policies; a strategy in phases (eras) keeps of each phase's policies the
  events on the phase's own days (the policies' calendars count from day 0
  or go by date, so a periodic campaign keeps its rhythm from day 0 and its
  first event in a phase may come up to one period after the phase starts);
- the daily tick fires at ``t + 0.5``, after the day's events, so an offer
  made by a campaign on day t can be used on day t.

A tick runs, in order: acquisition (leads → added members, limited by the
accounts' room and by a channel's addressable customers) and scheduled
entries (:mod:`~privsim.sim.acquisition`), the daily actions of the policies
of the phase active that day (:mod:`~privsim.sim.handlers`), group posts,
shop visits and purchases (with dropout, trust gain and tier promotion;
:mod:`~privsim.sim.purchases`), the returns due today when returns are on
(:mod:`~privsim.sim.returns`), tier demotion, KOC upkeep, membership
expiry, churn (lifecycle end, account deletion, account bans), the daily
decay of fatigue, of the reference discount and (when it fades) of trust
(:mod:`~privsim.sim.upkeep`), and bookkeeping (:mod:`~privsim.sim.ledger`).
Every step is vectorised over member rows. Policies act on a read-only view
of the world and return actions, which are carried out in the order
returned.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from privsim.policies.base import Policy
from privsim.scenario import Scenario, Strategy
from privsim.sim import acquisition, purchases, returns, upkeep
from privsim.sim.handlers import apply
from privsim.sim.ledger import ReplicationResult, customers_mask
from privsim.sim.world import World

Process = Generator[simpy.Event, object, None]


def simulate(scenario: Scenario, strategy: Strategy, seed: int, replication: int) -> ReplicationResult:
    """Run one replication of one strategy (the unit of work of a run)."""
    return run(World(scenario, strategy, seed, replication))


def run(world: World) -> ReplicationResult:
    """Simulate the horizon and return the replication's results."""
    env = simpy.Environment()
    horizon = world.scenario.horizon_days
    events: dict[int, list[Policy]] = {}
    for era in world.eras:
        for policy in era.policies:
            days = {int(d) for d in policy.event_days(world.scenario) if era.first_day <= d < era.end_day}
            for day in sorted(days):
                events.setdefault(day, []).append(policy)
    if events:
        env.process(_timed_events(world, env, events))
    env.process(_daily_ticks(world, env))
    env.run(until=horizon)
    return world.ledger.result(world.members)


def _timed_events(world: World, env: simpy.Environment, events: dict[int, list[Policy]]) -> Process:
    """Each event day, the policies with an event act in the order the strategy lists them."""
    for day in sorted(events):
        yield env.timeout(day - env.now)
        world.begin_day(day)
        for policy in events[day]:
            for action in policy.on_event(world.view(), world.rng["policy"]):
                apply(world, action)


def _daily_ticks(world: World, env: simpy.Environment) -> Process:
    yield env.timeout(0.5)
    for day in range(world.scenario.horizon_days):
        tick(world, day)
        yield env.timeout(1)


def tick(world: World, day: int) -> None:
    """One day's stages, in the order of the module docstring."""
    world.begin_day(day)
    month = int(world.month_of_day[day])
    acquisition.acquire(world, month)
    acquisition.enter_scheduled(world, month)
    for policy in world.policies:
        for action in policy.daily(world.view(), world.rng["policy"]):
            apply(world, action)
    purchases.group_posts(world)
    purchases.purchases(world, month)
    if world.returns_on:
        returns.settle(world, month)
    upkeep.demote(world)
    upkeep.koc_upkeep(world, month)
    upkeep.expire_memberships(world, month)
    upkeep.churn(world, month)
    upkeep.decay(world)
    ledger = world.ledger
    for flow, amount in world.daily_fixed_rmb.items():
        ledger.add(flow, month, amount)
    if day == ledger.repurchase_day:
        ledger.repurchase_base = customers_mask(world.members)
    if day == world.scenario.horizon_days - 1 or world.month_of_day[day + 1] != month:
        ledger.close_month(world, month)
