"""``none``: the operator does nothing; members buy on their own latent rate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from privsim.policies.base import Policy


class NoPolicy(Policy):
    """No contact, no offers, no tier benefits: the do-nothing baseline."""

    kind: Literal["none"] = Field(description="Policy selector.")
