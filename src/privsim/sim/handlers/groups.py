"""Groups and KOCs: members join groups, staff post, KOCs are recruited, host groups and are awarded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from privsim.agents.groups import KocStatus
from privsim.policies.actions import AwardKocs, HostGroups, JoinGroups, RecruitKocs, StaffPosting
from privsim.sim.ledger import Flow

if TYPE_CHECKING:
    from privsim.sim.world import World


def join_groups(world: World, action: JoinGroups) -> None:
    """Members not in a group join one of ``action.segment`` with behaviour.group.join_prob."""
    m = world.members
    rows = world.reachable(action.members)
    rows = rows[m.group[rows] < 0]
    rows = rows[world.uniform("group_join", rows) < world.behaviour.group.join_prob]
    if len(rows):
        m.group[rows] = world.groups.place(len(rows), action.segment, action.group_size)


def staff_posting(world: World, action: StaffPosting) -> None:
    """Staff-hosted groups post with ``action.posts_per_day`` from now on."""
    world.groups.staff_activity = action.posts_per_day


def recruit_kocs(world: World, action: RecruitKocs) -> None:
    """Candidates not already KOCs accept with behaviour.koc.accept_prob and become standby KOCs."""
    kocs = world.kocs
    rows = world.reachable(action.candidates)
    rows = rows[~np.isin(rows, kocs.member[kocs.status != KocStatus.QUIT])]
    accept = rows[world.uniform("koc_accept", rows) < world.behaviour.koc.accept_prob]
    kocs.add(accept, world.day, action.fee_per_month_rmb)
    world.ledger.add(Flow.KOC_RECRUITED, world.month, len(accept))


def host_groups(world: World, action: HostGroups) -> None:
    """KOCs take over their groups (active, burnout clock restarted); active KOCs left without one stand by."""
    kocs, groups = world.kocs, world.groups
    ids, hosted = np.asarray(action.kocs), np.asarray(action.groups)
    usable = kocs.status[ids] != KocStatus.QUIT
    ids, hosted = ids[usable], hosted[usable]
    changed = np.unique(ids)
    groups.host[np.isin(groups.host, changed)] = -1
    groups.host[hosted] = ids
    kocs.status[changed] = KocStatus.ACTIVE
    kocs.since_day[changed] = world.day
    kocs.hosting_since_day[changed] = world.day
    idle = (kocs.status == KocStatus.ACTIVE) & ~np.isin(np.arange(len(kocs)), groups.host)
    kocs.status[idle] = KocStatus.STANDBY


def award_kocs(world: World, action: AwardKocs) -> None:
    """Active KOCs awarded recover ``behaviour.koc.award_recovery_share`` of their lost activity."""
    kocs = world.kocs
    ids = np.asarray(action.kocs)
    ids = ids[kocs.status[ids] == KocStatus.ACTIVE]
    share = world.behaviour.koc.award_recovery_share
    current = kocs.activity(world.day, world.behaviour.koc.burnout_half_life_days)[ids]
    kocs.level[ids] = current + share * (1.0 - current)
    kocs.since_day[ids] = world.day
    world.ledger.add(Flow.KOC_COST_RMB, world.month, action.cost_rmb * len(ids))
