"""Moving members to another account pool (e.g. a buyer from WeCom to personal WeChat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from privsim.policies.actions import Move
from privsim.sim.acquisition import draw_deletion_days
from privsim.sim.ledger import Flow

if TYPE_CHECKING:
    from privsim.sim.world import World


def move(world: World, move: Move) -> None:
    """Move members to pool ``move.pool`` as far as its accounts can add them today.

    A moved member's trust changes by the difference of the pools' trust
    offsets, and its account-deletion day is drawn afresh for the new pool.
    """
    m, accounts = world.members, world.accounts
    rows = world.reachable(move.members)
    rows = rows[accounts.pool[m.account[rows]] != move.pool]
    room = accounts.room_today(world.over_cap_share, [move.pool])
    rows = rows[:room]
    if len(rows) == 0:
        return
    old_offset = world.pool_trust_offset[accounts.pool[m.account[rows]]]
    accounts.release(m.account[rows])
    m.account[rows] = accounts.place_new(len(rows), True, [move.pool], world.over_cap_share)
    new_offset = world.pool_trust_offset[move.pool]
    m.trust[rows] = np.clip(m.trust[rows] + new_offset - old_offset, 0.0, 1.0)
    draw_deletion_days(world, rows)
    world.ledger.add(Flow.MOVED_MEMBERS, world.month, len(rows))
