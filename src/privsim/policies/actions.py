"""What a policy can do: the actions it returns, which the sim carries out and books.

Each action is a small frozen record of a decision (whom to contact and
with what, what to offer, whom to invite, where to move members, how to run
groups and KOCs); how members respond is :mod:`privsim.behaviour`'s job,
applied by :mod:`privsim.sim.handlers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Contacts:
    """One batch of contacts made on one day, optionally carrying an offer and/or a coupon.

    ``members`` are unique row indices in priority order: personal contacts
    beyond the staff's remaining capacity or time for the day, and broadcasts
    beyond a pool's daily reach, are dropped from the end (a top-segment
    member may still get the time reserved for the top segment:
    :mod:`privsim.sim.staff`). Churned members are skipped.
    """

    members: np.ndarray
    mode: Literal["broadcast", "personal"]
    offer_depth: float = 0.0  #: share off list price; 0 = no offer
    offer_window_days: int = 0  #: days the offer stays valid
    offer_starts_in_days: int = 0  #: > 0: an announced sale, valid from day + this (members wait for it)
    sale: bool = False  #: the offer is a dated sale (members stock up)
    coupon_value_rmb: float = 0.0  #: a fixed-value coupon; 0 = none
    coupon_threshold_rmb: float = 0.0  #: order value the coupon needs
    coupon_window_days: int = 0  #: days the coupon stays valid, from today
    service: bool = False  #: a care contact (follow-up, advice): raises trust

    def __post_init__(self) -> None:
        if not 0.0 <= self.offer_depth < 1.0:
            raise ValueError(f"offer_depth must be in [0, 1), got {self.offer_depth}")
        if self.offer_depth > 0 and self.offer_window_days < 1:
            raise ValueError("an offer needs offer_window_days >= 1")
        if self.coupon_value_rmb > 0 and self.coupon_window_days < 1:
            raise ValueError("a coupon needs coupon_window_days >= 1")


@dataclass(frozen=True)
class MembershipOffer:
    """Offer a paid membership; each member decides on its expected yearly savings (behaviour.membership)."""

    members: np.ndarray
    fee_rmb: float
    duration_days: int
    expected_savings_rmb: np.ndarray  #: per member, over one membership period


@dataclass(frozen=True)
class TopUpOffer:
    """Offer to prepay ``amount_rmb`` and receive ``bonus_rmb`` extra to spend (behaviour.stored_value)."""

    members: np.ndarray
    amount_rmb: float
    bonus_rmb: float


@dataclass(frozen=True)
class Reward:
    """A referral reward: what an inviter gets and what it costs the brand."""

    kind: Literal["physical", "ecard"]
    steps: tuple[tuple[int, float], ...]  #: (accepted invitations needed, cost RMB) per step, ascending
    value_rmb: float  #: what the reward is worth to an inviter (drives how many they invite)


@dataclass(frozen=True)
class Invitations:
    """Ask ``inviters`` to invite friends for ``reward`` (behaviour.referral decides how many come)."""

    inviters: np.ndarray
    reward: Reward


@dataclass(frozen=True)
class SwapPool:
    """Exchange contact pools with a partner brand on this day."""

    pool_size: int
    overlap_share: float  #: share of the partner's contacts who are already our members
    fission_reward: Reward | None = None  #: None = pure lottery; else joiners invite friends for this reward
    expose_members: bool = True  #: our members receive one partner broadcast (fatigue, blocking risk)


@dataclass(frozen=True)
class Move:
    """Move members to another account pool (e.g. a buyer from WeCom to personal WeChat)."""

    members: np.ndarray
    pool: int


@dataclass(frozen=True)
class JoinGroups:
    """Put members (not yet in a group) into groups of ``segment``, opening groups of ``group_size`` as needed."""

    members: np.ndarray
    segment: int  #: 0 = ordinary groups, 1 = high-tier groups
    group_size: int


@dataclass(frozen=True)
class RecruitKocs:
    """Ask ``candidates`` (member rows) to become KOCs for a monthly fee; behaviour.koc decides who accepts."""

    candidates: np.ndarray
    fee_per_month_rmb: float


@dataclass(frozen=True)
class HostGroups:
    """KOC ``kocs[i]`` hosts group ``groups[i]``; a KOC given new groups starts afresh (rotation)."""

    kocs: np.ndarray
    groups: np.ndarray


@dataclass(frozen=True)
class AwardKocs:
    """Award ``kocs`` (e.g. the month's top 10): their activity recovers; each award costs ``cost_rmb``."""

    kocs: np.ndarray
    cost_rmb: float


@dataclass(frozen=True)
class StaffPosting:
    """Staff-hosted groups post with ``posts_per_day`` from now on (a group's chance to post on a day)."""

    posts_per_day: float


Action = (
    Contacts
    | MembershipOffer
    | TopUpOffer
    | Invitations
    | SwapPool
    | Move
    | JoinGroups
    | RecruitKocs
    | HostGroups
    | AwardKocs
    | StaffPosting
)
