"""Policies: what the operator does, one module each, selected in a scenario by ``kind:``.

To add a policy: write a module with a subclass of :class:`Policy` whose
``kind`` is a ``Literal`` of its name, and add the class to ``POLICY_CLASSES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Union, get_args

from pydantic import Field

from privsim.policies.base import Policy
from privsim.policies.brand_swap import BrandSwap
from privsim.policies.channel_routing import ChannelRouting
from privsim.policies.clearance import Clearance
from privsim.policies.groups import Groups
from privsim.policies.incentives import Incentives
from privsim.policies.koc_programme import KocProgramme
from privsim.policies.none import NoPolicy
from privsim.policies.nurture import Nurture
from privsim.policies.paid_membership import PaidMembership
from privsim.policies.promo_calendar import PromoCalendar
from privsim.policies.referral import Referral
from privsim.policies.stored_value import StoredValue
from privsim.policies.tier_coupons import TierCoupons
from privsim.policies.winback import Winback

POLICY_CLASSES: tuple[type[Policy], ...] = (
    NoPolicy,
    Clearance,
    Nurture,
    Referral,
    BrandSwap,
    Groups,
    KocProgramme,
    PaidMembership,
    StoredValue,
    ChannelRouting,
    Incentives,
    PromoCalendar,
    TierCoupons,
    Winback,
)

#: kind name → policy class.
REGISTRY: dict[str, type[Policy]] = {get_args(cls.model_fields["kind"].annotation)[0]: cls for cls in POLICY_CLASSES}

#: Sections of ``behaviour`` that only some levers read (see :attr:`Policy.behaviour_sections`).
LEVER_SECTIONS: frozenset[str] = frozenset(section for cls in POLICY_CLASSES for section in cls.behaviour_sections)


def behaviour_sections_read(kinds: Iterable[str]) -> frozenset[str]:
    """The lever sections of ``behaviour`` that a run whose strategies use the policy ``kinds`` reads."""
    return frozenset(section for kind in kinds if kind in REGISTRY for section in REGISTRY[kind].behaviour_sections)


#: The scenario field type: one of the policy classes, chosen by ``kind:`` (a Policy, to a type checker).
if TYPE_CHECKING:
    PolicySpec = Policy
else:
    PolicySpec = Annotated[Union[POLICY_CLASSES], Field(discriminator="kind")]  # noqa: UP007

__all__ = ["LEVER_SECTIONS", "POLICY_CLASSES", "REGISTRY", "Policy", "PolicySpec", "behaviour_sections_read"]
