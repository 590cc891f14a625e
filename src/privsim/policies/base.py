"""The one small interface every policy implements.

A policy is what the operator does: which members it contacts, through which
mode, with which offer. It reads a read-only :class:`~privsim.policies.view.PolicyView`
of the world and returns actions (:data:`~privsim.policies.actions.Action`:
contacts, offers, invitations, swaps, moves, groups, KOCs); how members
respond (purchases, trust, fatigue, blocking) is the behaviour module's job,
applied by the sim, which carries out and books the actions in the order
returned.

A policy acts at two moments:

- ``on_event(view, rng)`` on each day returned by ``event_days`` (a
  campaign, a promotion day). The sim schedules these as simpy timed
  events at the start of the day, before the day's purchases.
- ``daily(view, rng)`` in every daily tick, after acquisition and before
  purchases (follow-ups, welcome messages).

It may also give a standing discount on every order (``standing_discount``),
route new members to account pools (``placement_order``), replace channels'
incentives and push past the accounts' daily add caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from pydantic import Field

from privsim.agents.members import State
from privsim.config.base import Count, Days, Model

if TYPE_CHECKING:
    from privsim.config.incentive import Incentive
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.actions import Action
    from privsim.policies.view import PolicyView


#: A problem ``check`` reports: (field path within the policy, value, what is allowed).
Problem = tuple[tuple[str | int, ...], object, str]


class StrategyLike(Protocol):
    """The strategy a policy is checked in: its name and its policies (a policy may need a companion)."""

    @property
    def name(self) -> str: ...

    @property
    def policies(self) -> Sequence[Policy]: ...


class Policy(Model):
    """Base of every policy spec; subclasses add ``kind: Literal[...]`` and parameters."""

    #: The sections of ``behaviour`` only this lever's mechanisms read (how members respond to it, e.g.
    #: ``referral``); a run whose strategies do not use the lever never reads them. Empty for a policy that
    #: acts through the shared core (trust, discount, contact ...), which every run reads.
    behaviour_sections: ClassVar[tuple[str, ...]] = ()

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        """Days (0-based) on which ``on_event`` runs; days outside the horizon are ignored."""
        return ()

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        """Problems of this policy in ``strategy`` of ``scenario`` (unknown tier rungs, pool names, a
        missing companion policy): ``(field path within the policy, value, what is allowed)`` each."""
        return []

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        """Actions taken at a timed event."""
        return []

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        """Actions taken in the daily tick."""
        return []

    def standing_discount(self, view: PolicyView, rows: np.ndarray) -> np.ndarray | None:
        """Share off list price this policy gives ``rows`` on every order today (tier or member benefits)."""
        return None

    def placement_order(self, scenario: ScenarioBase) -> Sequence[int] | None:
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

    def offered(self, view: PolicyView) -> np.ndarray:
        """Customers offered today."""
        return segment(view, min_purchases=self.min_purchases, bought_within_days=self.bought_within_days)


def segment(
    view: PolicyView,
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
    m, day, n = view.members, view.day, view.members.n
    mask = np.isin(m.state[:n], states) & (m.tier[:n] >= min_tier) & (m.purchases[:n] >= min_purchases)
    since_purchase = day - m.last_purchase_day[:n]
    if bought_within_days is not None:
        mask &= since_purchase < bought_within_days
    if no_purchase_for_days is not None:
        mask &= since_purchase >= no_purchase_for_days
    if rested_days is not None:
        mask &= day - m.last_contact_day[:n] > rested_days
    return np.flatnonzero(mask)


def tier_rung_problem(field: tuple[str | int, ...], rung: int, scenario: ScenarioBase) -> list[Problem]:
    """A ``check`` problem when ``rung`` is not a rung of the scenario's tier ladder."""
    top = len(scenario.tiers) - 1
    return (
        []
        if rung <= top
        else [(field, rung, f"must be a tier rung from 0 to {top} (the scenario has {top + 1} tiers)")]
    )


def pool_problem(field: tuple[str | int, ...], name: str | None, scenario: ScenarioBase) -> list[Problem]:
    """A ``check`` problem when ``name`` is not one of the scenario's account pools, or is its holding pool."""
    names = [a.name for a in scenario.accounts]
    if name is None:
        return []
    if name not in names:
        return [(field, name, f"must be one of the account pools {names}")]
    if scenario.accounts[names.index(name)].holding:
        return [(field, name, "is a holding pool (no staff account): members cannot be placed on it")]
    return []
