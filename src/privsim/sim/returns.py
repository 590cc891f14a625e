"""Returns and cancellations: each order's delivery time, whether it comes back, and booking it back.

Only when ``behaviour.returns`` is on (:attr:`~privsim.config.behaviour.ReturnResponse.enabled`);
otherwise nothing here runs and no random number is drawn. For each order:

- its delivery time ``d`` (days, continuous) is Gamma with mean
  ``delivery.mean_days`` (``delivery.priority_mean_days`` if the buyer's
  tier has ``priority_shipping``) and shape ``delivery.shape``, the inverse
  CDF at the order's member-day uniform (purpose ``delivery``);
- it is returned with :func:`privsim.behaviour.return_probability` of ``d``,
  tested against the member-day uniform of purpose ``return``.

Both are decided when the order is placed, so a returned order never counts
toward the buyer's tier progress or its paid membership's savings (see
:func:`privsim.sim.purchases.record_purchases`). Its money is booked back
on day ``order day + ceil(d) + delivery.return_window_days`` (a queue of
pending returns, settled in that day's tick after the purchases): the
flows ``returns``, ``returned_gmv_list_rmb``, ``refunds_rmb``,
``stored_value_refunded_rmb`` and ``returned_cogs_rmb`` (defined in
:mod:`privsim.metrics`), and the stored value the order used goes back to
the member's balance. Returns falling due after the horizon are not booked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import special

from privsim import behaviour
from privsim.sim.ledger import Flow, TierStep

if TYPE_CHECKING:
    from privsim.sim.world import World


@dataclass(frozen=True)
class PendingReturns:
    """Orders placed on one day that come back on one later day: one entry per order."""

    rows: npt.NDArray[np.int64]  #: the buyers' member rows
    tier: npt.NDArray[np.int64]  #: the buyer's tier rung at the order
    gmv_list_rmb: npt.NDArray[np.float64]  #: list value
    refund_rmb: npt.NDArray[np.float64]  #: list value minus the discounts (what the order added to gmv_rmb, as paid)
    from_balance_rmb: npt.NDArray[np.float64]  #: stored value the order used (goes back to the balance)

    def select(self, mask: npt.NDArray[np.bool_]) -> PendingReturns:
        """The orders where ``mask`` holds."""
        return PendingReturns(*(getattr(self, f.name)[mask] for f in fields(self)))


def delivery_days(world: World, buyers: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Today's orders' delivery times, days (Gamma, priority by tier; see the module docstring)."""
    d = world.scenario.delivery
    mean = np.where(world.tier_priority_shipping[world.members.tier[buyers]], d.priority_mean_days, d.mean_days)
    u = world.uniform("delivery", buyers).astype(np.float64)
    days: npt.NDArray[np.float64] = special.gammaincinv(d.shape, u) * mean / d.shape
    return days


def decide(world: World, buyers: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """(which of today's orders are returned, the day each return is booked)."""
    days = delivery_days(world, buyers)
    p = behaviour.return_probability(days, world.behaviour.returns)
    returned = world.uniform("return", buyers) < p
    due = world.day + np.ceil(days).astype(np.int64) + world.scenario.delivery.return_window_days
    return returned, due


def schedule(world: World, due: npt.NDArray[np.int64], orders: PendingReturns) -> None:
    """Queue returned ``orders`` (``due``: the day each is booked) until their day."""
    for day in np.unique(due):
        world.pending_returns.setdefault(int(day), []).append(orders.select(due == day))


def settle(world: World, month: int) -> None:
    """Book the returns due today and refund their stored value to the balances."""
    due = world.pending_returns.pop(world.day, None)
    if not due:
        return
    ledger, m = world.ledger, world.members
    cost_share = 1.0 - world.scenario.population.gross_margin_share
    for orders in due:
        gmv = float(orders.gmv_list_rmb.sum())
        ledger.add(Flow.RETURNS, month, len(orders.rows))
        ledger.add(Flow.RETURNED_GMV_LIST_RMB, month, gmv)
        ledger.add(Flow.REFUNDS_RMB, month, float(orders.refund_rmb.sum()))
        ledger.add(Flow.STORED_VALUE_REFUNDED_RMB, month, float(orders.from_balance_rmb.sum()))
        ledger.add(Flow.RETURNED_COGS_RMB, month, gmv * cost_share)
        ledger.add_by_tier(
            TierStep.RETURNED_GMV_LIST_RMB,
            month,
            np.bincount(orders.tier, weights=orders.gmv_list_rmb, minlength=len(world.tier_names)),
        )
        m.balance_rmb[orders.rows] += orders.from_balance_rmb.astype(np.float32)  # one order per member and day
