"""What the policies' actions do to the world, and how they are booked: one handler per kind of action.

Members' responses (who takes an offer, how many friends they invite, who
accepts a KOC role) come from :mod:`privsim.behaviour` with the scenario's
``behaviour`` parameters, which every strategy shares; the policy only
chooses whom to ask, with what, and when (:mod:`privsim.policies.actions`).

- :mod:`~privsim.sim.handlers.contacts`: broadcasts and personal contacts
  with their offers and coupons;
- :mod:`~privsim.sim.handlers.offers`: paid membership and stored-value top-ups;
- :mod:`~privsim.sim.handlers.referral`: invitations and brand swaps;
- :mod:`~privsim.sim.handlers.accounts`: moving members between account pools;
- :mod:`~privsim.sim.handlers.groups`: groups, staff posting and KOCs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from privsim.policies.actions import (
    Action,
    AwardKocs,
    Contacts,
    HostGroups,
    Invitations,
    JoinGroups,
    MembershipOffer,
    Move,
    RecruitKocs,
    StaffPosting,
    SwapPool,
    TopUpOffer,
)
from privsim.sim.handlers import accounts, contacts, groups, offers, referral

if TYPE_CHECKING:
    from privsim.sim.world import World

_HANDLERS: dict[type, Callable[[World, Any], None]] = {
    Contacts: contacts.deliver,
    MembershipOffer: offers.offer_membership,
    TopUpOffer: offers.offer_top_up,
    Invitations: referral.invite,
    SwapPool: referral.swap,
    Move: accounts.move,
    JoinGroups: groups.join_groups,
    StaffPosting: groups.staff_posting,
    RecruitKocs: groups.recruit_kocs,
    HostGroups: groups.host_groups,
    AwardKocs: groups.award_kocs,
}


def apply(world: World, action: Action) -> None:
    """Carry out one action of a policy."""
    handler = _HANDLERS.get(type(action))
    if handler is None:
        raise TypeError(f"a policy returned {type(action).__name__}, which is not an action")
    handler(world, action)
