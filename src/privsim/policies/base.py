"""The one small interface every policy implements.

A policy is what the operator does: which members it contacts, through which
mode, with which offer. It reads the world and returns :class:`Contacts`; how
members respond (purchases, trust, fatigue, blocking) is the behaviour
module's job, applied by the engine.

A policy acts at two moments, returning actions (:data:`Action`) the engine
carries out and books:

- ``on_event(world, rng)`` on each day returned by ``event_days`` (a
  campaign, a promotion day). The engine schedules these as simpy timed
  events at the start of the day, before the day's purchases.
- ``daily(world, rng)`` in every daily tick, after acquisition and before
  purchases (follow-ups, welcome messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from pydantic import Field

from privsim.agents.members import State
from privsim.config.base import Count, Days, Model

if TYPE_CHECKING:
    from privsim.config.incentive import Incentive
    from privsim.config.scenario_base import ScenarioBase
    from privsim.sim.engine import World


#: A problem ``check`` reports: (field path within the policy, value, what is allowed).
Problem = tuple[tuple[str | int, ...], object, str]


@dataclass(frozen=True)
class Contacts:
    """One batch of contacts made on one day, optionally carrying an offer and/or a coupon.

    ``members`` are unique row indices in priority order: personal contacts
    beyond the staff's remaining capacity for the day, and broadcasts beyond
    a pool's daily reach, are dropped from the end. Churned members are skipped.
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
)


class StrategyLike(Protocol):
    """The strategy a policy is checked in: its name and its policies (a policy may need a companion)."""

    @property
    def name(self) -> str: ...

    @property
    def policies(self) -> Sequence[Policy]: ...


class Policy(Model):
    """Base of every policy spec; subclasses add ``kind: Literal[...]`` and parameters."""

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        """Days (0-based) on which ``on_event`` runs; days outside the horizon are ignored."""
        return ()

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        """Problems of this policy in ``strategy`` of ``scenario`` (unknown tier rungs, pool names, a
        missing companion policy): ``(field path within the policy, value, what is allowed)`` each."""
        return []

    def on_event(self, world: World, rng: np.random.Generator) -> list[Action]:
        """Actions taken at a timed event."""
        return []

    def daily(self, world: World, rng: np.random.Generator) -> list[Action]:
        """Actions taken in the daily tick."""
        return []

    def standing_discount(self, world: World, rows: np.ndarray) -> np.ndarray | None:
        """Share off list price this policy gives ``rows`` on every order today (tier or member benefits)."""
        return None

    def placement_order(self, world: World) -> Sequence[int] | None:
        """Order in which new members fill the account pools (indices); None = the scenario's order."""
        return None

    def channel_incentives(self, scenario: ScenarioBase) -> dict[int, Incentive]:
        """Incentives this policy gives leads, by channel index, replacing the channels' own."""
        return {}

    def push_past_add_cap(self) -> float:
        """How far past each account's daily add cap new members are pushed (0 = respect the cap)."""
        return 0.0


class RecentCustomerOffer(Policy):
    """Base of policies that make a periodic offer to recent customers with enough purchases."""

    offer_every_days: Days = Field(30, ge=1, description="Days between offers.")
    min_purchases: Count = Field(2, ge=0, description="Purchases a customer needs before being offered.")
    bought_within_days: Days = Field(
        180, ge=1, description="Only customers who bought within this many days are offered."
    )

    def offer_days(self, scenario: ScenarioBase) -> range:
        """Days of the periodic offer."""
        return range(0, scenario.horizon_days, self.offer_every_days)

    def offered(self, world: World) -> np.ndarray:
        """Customers offered today."""
        return segment(world, min_purchases=self.min_purchases, bought_within_days=self.bought_within_days)


def segment(
    world: World,
    *,
    states: tuple[State, ...] = (State.CUSTOMER,),
    min_tier: int = 0,
    min_purchases: int = 0,
    bought_within_days: int | None = None,
    no_purchase_for_days: int | None = None,
    rested_days: int | None = None,
) -> np.ndarray:
    """Rows an operator can pick from what it observes: state, tier, purchase history, last contact.

    ``bought_within_days``: last purchase fewer than this many days ago;
    ``no_purchase_for_days``: none for at least this many days;
    ``rested_days``: not contacted in the last this-many days. (SILENT is a
    latent state: select it only to model an operator who could see it.)
    """
    m, day, n = world.members, world.day, world.members.n
    mask = np.isin(m.state[:n], states) & (m.tier[:n] >= min_tier) & (m.purchases[:n] >= min_purchases)
    since_purchase = day - m.last_purchase_day[:n]
    if bought_within_days is not None:
        mask &= since_purchase < bought_within_days
    if no_purchase_for_days is not None:
        mask &= since_purchase >= no_purchase_for_days
    if rested_days is not None:
        mask &= day - m.last_contact_day[:n] > rested_days
    return np.flatnonzero(mask)


def tier_rung_problem(field: tuple, rung: int, scenario: ScenarioBase) -> list[Problem]:
    """A ``check`` problem when ``rung`` is not a rung of the scenario's tier ladder."""
    top = len(scenario.tiers) - 1
    return (
        []
        if rung <= top
        else [(field, rung, f"must be a tier rung from 0 to {top} (the scenario has {top + 1} tiers)")]
    )


def pool_problem(field: tuple, name: str | None, scenario: ScenarioBase) -> list[Problem]:
    """A ``check`` problem when ``name`` is not one of the scenario's account pools."""
    names = [a.name for a in scenario.accounts]
    return [] if name is None or name in names else [(field, name, f"must be one of the account pools {names}")]
