"""Invitations (referral, fission) and brand swaps: newcomers who come through members or a partner brand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from privsim import behaviour
from privsim.agents.members import REFERRAL_CHANNEL, SWAP_CHANNEL
from privsim.config.behaviour import ReferralResponse
from privsim.policies.actions import Contacts, Invitations, Reward, SwapPool
from privsim.sim.acquisition import admit
from privsim.sim.handlers.contacts import deliver
from privsim.sim.ledger import Flow

if TYPE_CHECKING:
    from privsim.sim.world import World


def invite(world: World, invitations: Invitations) -> None:
    """Asked members invite friends; accepted invitees join (some fake); inviters earn the reward steps."""
    month, ledger = world.month, world.ledger
    rng = world.rng["events"]
    r = world.behaviour.referral
    asked = world.reachable(invitations.inviters)
    reward = invitations.reward
    value_rmb = reward.value_rmb
    if r.invitation_value == "ladder":
        value_rmb *= behaviour.ladder_reach_share(reward.steps, world.behaviour)
    invites = rng.poisson(behaviour.mean_invitations(value_rmb, world.trust_for_effects(asked), world.behaviour))
    accepted = rng.binomial(invites, r.acceptance_rate)
    ledger.add(Flow.REFERRAL_ASKED, month, len(asked))
    ledger.add(Flow.REFERRAL_INVITERS, month, int((invites > 0).sum()))
    ledger.add(Flow.REFERRAL_INVITATIONS, month, int(invites.sum()))
    if not r.reward_joined_only:
        ledger.add(Flow.REFERRAL_REWARD_COST_RMB, month, _reward_cost(reward, accepted))
    added = _referred_join(world, int(accepted.sum()), reward)
    if r.reward_joined_only:
        # which inviters' friends were added: the added invitees drawn at random among the accepted ones
        added_by_inviter = rng.multivariate_hypergeometric(accepted, added) if added else np.zeros_like(accepted)
        ledger.add(Flow.REFERRAL_REWARD_COST_RMB, month, _reward_cost(reward, added_by_inviter))


def _referred_join(world: World, accepted: int, reward: Reward) -> int:
    """``accepted`` invitees join (a share fake, behaviour.referral) with a friend's trust bonus, as far as
    accounts have room; returns how many were added (genuine and fake)."""
    r, month = world.behaviour.referral, world.month
    fraud_share, quality = _reward_terms(reward, r)
    genuine, fake = admit(world, accepted, fraud_share, r.quality * quality, r.trust_bonus, REFERRAL_CHANNEL)
    world.ledger.add(Flow.REFERRAL_JOINED, month, len(genuine))
    world.ledger.add(Flow.REFERRAL_FAKE, month, fake)
    return len(genuine) + fake


def swap(world: World, swap: SwapPool) -> None:
    """Exchange pools with a partner: their new contacts join by lottery or through a fission task;
    our members receive the partner's message."""
    rng, ledger, month = world.rng["events"], world.ledger, world.month
    contacts = int(rng.binomial(swap.pool_size, 1.0 - swap.overlap_share))
    ledger.add(Flow.SWAP_CONTACTS, month, contacts)
    quality = world.behaviour.swap.quality
    if swap.fission_reward is None:
        joining = int(rng.binomial(contacts, world.behaviour.swap.lottery_join_rate))
        genuine, fake = admit(world, joining, 0.0, quality, 0.0, SWAP_CHANNEL)
    else:
        # Fission: every swapped contact is invited to a task that needs them to join and invite friends.
        reward = swap.fission_reward
        accepted = int(rng.binomial(contacts, world.behaviour.referral.acceptance_rate))
        fraud_share, reward_quality = _reward_terms(reward, world.behaviour.referral)
        genuine, fake = admit(world, accepted, fraud_share, quality * reward_quality, 0.0, SWAP_CHANNEL)
        before = ledger.total(Flow.REFERRAL_JOINED, month)
        invite(world, Invitations(genuine, reward))
        ledger.add(Flow.SWAP_FRIENDS_JOINED, month, ledger.total(Flow.REFERRAL_JOINED, month) - before)
    ledger.add(Flow.SWAP_JOINED, month, len(genuine))
    ledger.add(Flow.SWAP_FAKE, month, fake)
    if swap.expose_members:
        deliver(world, Contacts(world.members.reachable_rows(), "broadcast"))


def _reward_terms(reward: Reward, referral: ReferralResponse) -> tuple[float, float]:
    """(share of fake newcomers, purchase-rate multiplier of the genuine ones) for a reward's kind
    (behaviour.referral ``fraud_share_<kind>``, ``quality_<kind>``)."""
    if reward.kind == "ecard":
        return referral.fraud_share_ecard, referral.quality_ecard
    return referral.fraud_share_physical, referral.quality_physical


def _reward_cost(reward: Reward, accepted: npt.NDArray[np.int64]) -> float:
    """Cost of the reward steps each inviter reached (each step paid once), RMB."""
    return float(sum(cost * int((accepted >= needed).sum()) for needed, cost in reward.steps))
