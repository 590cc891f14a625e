"""What the policies' actions do to the world, and how they are booked.

:class:`Mechanics` is a part of :class:`privsim.sim.engine.World`: one method per
kind of action (see :mod:`privsim.policies.base`). Members' responses
(who takes an offer, how many friends they invite, who accepts a KOC role)
come from :mod:`privsim.behaviour` with the scenario's ``behaviour``
parameters, which every strategy shares; the policy only chooses whom to
ask, with what, and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from privsim import behaviour
from privsim.agents.groups import ACTIVE, QUIT, STANDBY
from privsim.agents.members import REFERRAL_CHANNEL, SWAP_CHANNEL, ChurnReason, State
from privsim.policies.base import (
    AwardKocs,
    Contacts,
    HostGroups,
    Invitations,
    JoinGroups,
    MembershipOffer,
    Move,
    RecruitKocs,
    Reward,
    SwapPool,
    TopUpOffer,
)

if TYPE_CHECKING:
    from privsim.sim.engine import World


class Mechanics:
    """Action handlers of the World (mixed into it)."""

    def apply(self: World, action) -> None:
        """Carry out one action of a policy."""
        handler = _HANDLERS.get(type(action))
        if handler is None:
            raise TypeError(f"a policy returned {type(action).__name__}, which is not an action")
        handler(self, action)

    def _reachable(self: World, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return rows[self.members.state[rows] != State.CHURNED]

    # -- contacts -------------------------------------------------------------------------------

    def apply_contacts(self: World, contacts: Contacts) -> None:
        """Deliver contacts: capacity and reach limits, cost, fatigue, trust, offers and coupons, reactivation,
        blocking.

        Blocking and reactivation use the member-day uniforms of privsim.core.rng: a
        member contacted twice in a day is tested against the same number, so
        the second contact blocks only if its higher fatigue raises the chance
        past it.
        """
        m, day, month = self.members, self.day, self.month
        rows = self._reachable(contacts.members)
        if contacts.mode == "personal":
            rows = rows[: self.personal_capacity_left]
            self.personal_capacity_left -= len(rows)
        else:
            rows = self._within_reach(rows)
        if len(rows) == 0:
            return
        f, b = self._flows, self.behaviour
        f["broadcasts" if contacts.mode == "broadcast" else "personal_contacts"][month] += len(rows)
        pools = self.accounts.pool[m.account[rows]]
        f["contact_cost_rmb"][month] += float(self._pool_cost[contacts.mode][pools].sum())
        trust = m.trust[rows]
        if contacts.service:
            trust = behaviour.toward_one(trust, b.trust.gain_per_service_contact)
            m.followed_up_day[rows] = day
        if contacts.mode == "broadcast":
            spammed = m.fatigue[rows] > b.contact.fatigue_threshold
            trust = np.where(spammed, trust * (1.0 - b.trust.loss_per_unwanted_message), trust)
        m.fatigue[rows] += self._fatigue_per[contacts.mode]
        offered = contacts.offer_depth > 0 or contacts.coupon_value_rmb > 0
        if contacts.offer_depth > 0:
            depth = contacts.offer_depth
            trust = trust * (1.0 - behaviour.deep_discount_trust_loss(depth, b))
            start = day + contacts.offer_starts_in_days
            m.offer_depth[rows] = depth
            m.offer_from_day[rows] = start
            m.offer_until_day[rows] = start + contacts.offer_window_days - 1
            m.offer_is_sale[rows] = contacts.sale
            if contacts.offer_starts_in_days > 0:
                m.wait_until_day[rows] = start - 1
            ref = m.reference_discount[rows]
            m.reference_discount[rows] = ref + b.discount.habituation_rate * (depth - ref)
        if contacts.coupon_value_rmb > 0:
            m.coupon_value_rmb[rows] = contacts.coupon_value_rmb
            m.coupon_threshold_rmb[rows] = contacts.coupon_threshold_rmb
            m.coupon_until_day[rows] = day + contacts.coupon_window_days - 1
        if offered:
            silent = rows[m.state[rows] == State.SILENT]
            back = silent[self.uniform("reactivation", silent) < b.silent_reactivation_prob_per_offer]
            m.state[back] = State.CUSTOMER
            f["reactivations"][month] += len(back)
        m.trust[rows] = trust
        m.last_contact_day[rows] = day
        p_block = behaviour.block_probability(m.fatigue[rows], trust, b)
        self._churn_rows(rows[self.uniform("block", rows) < p_block], ChurnReason.BLOCKED, month)

    def _within_reach(self: World, rows: np.ndarray) -> np.ndarray:
        """Drop broadcasts beyond each pool's remaining daily reach (moments cap), keeping priority order."""
        if all(r is None for r in self._reach_left):
            return rows
        pools = self.accounts.pool[self.members.account[rows]]
        keep = np.ones(len(rows), dtype=bool)
        for p, left in enumerate(self._reach_left):
            if left is None:
                continue
            in_pool = np.flatnonzero(pools == p)
            keep[in_pool[left:]] = False
            self._reach_left[p] = max(0, left - len(in_pool))
        return rows[keep]

    # -- paid membership and stored value -------------------------------------------------------

    def _offer_membership(self: World, offer: MembershipOffer) -> None:
        m, month = self.members, self.month
        rows = np.asarray(offer.members, dtype=np.int64)
        eligible = (m.state[rows] != State.CHURNED) & (m.paid_until_day[rows] < self.day)
        rows, savings = rows[eligible], np.asarray(offer.expected_savings_rmb, dtype=float)[eligible]
        p = behaviour.membership_probability(savings, offer.fee_rmb, m.trust[rows], self.behaviour)
        buyers = rows[self.uniform("membership", rows) < p]
        m.paid_until_day[buyers] = self.day + offer.duration_days - 1
        m.paid_savings_rmb[buyers] = 0.0
        self._membership_terms = (offer.fee_rmb, offer.duration_days)
        self._flows["membership_signups"][month] += len(buyers)
        self._flows["membership_fees_rmb"][month] += offer.fee_rmb * len(buyers)

    def _offer_top_up(self: World, offer: TopUpOffer) -> None:
        m, month = self.members, self.month
        rows = self._reachable(offer.members)
        p = behaviour.topup_probability(offer.bonus_rmb / offer.amount_rmb, m.trust[rows], self.behaviour)
        payers = rows[self.uniform("top_up", rows) < p]
        balance, share = m.balance_rmb[payers], m.balance_cash_share[payers]
        new_balance = balance + offer.amount_rmb + offer.bonus_rmb
        m.balance_cash_share[payers] = (balance * share + offer.amount_rmb) / new_balance
        m.balance_rmb[payers] = new_balance
        self._flows["topups"][month] += len(payers)
        self._flows["stored_value_topups_rmb"][month] += offer.amount_rmb * len(payers)

    # -- referral and swaps ---------------------------------------------------------------------

    def _invite(self: World, invitations: Invitations) -> None:
        """Asked members invite friends; accepted invitees join (some fake); inviters earn the reward steps."""
        m, month, f = self.members, self.month, self._flows
        rng = self.rng["events"]
        r = self.behaviour.referral
        asked = self._reachable(invitations.inviters)
        reward = invitations.reward
        invites = rng.poisson(behaviour.mean_invitations(reward.value_rmb, m.trust[asked], self.behaviour))
        accepted = rng.binomial(invites, r.acceptance_rate)
        f["referral_asked"][month] += len(asked)
        f["referral_inviters"][month] += int((invites > 0).sum())
        f["referral_invitations"][month] += int(invites.sum())
        f["referral_reward_cost_rmb"][month] += _reward_cost(reward, accepted)
        self._referred_join(int(accepted.sum()), reward)

    def _referred_join(self: World, accepted: int, reward: Reward) -> None:
        """``accepted`` invitees join (a share fake, behaviour.referral) with a friend's trust bonus."""
        r, f, month = self.behaviour.referral, self._flows, self.month
        genuine, fake = self._admit(accepted, _fraud_share(reward, r), r.quality, r.trust_bonus, REFERRAL_CHANNEL)
        f["referral_joined"][month] += len(genuine)
        f["referral_fake"][month] += fake

    def _admit(
        self: World, accepted: int, fraud_share: float, quality: float, trust_bonus: float, channel: int
    ) -> tuple[np.ndarray, int]:
        """``accepted`` newcomers join as far as accounts have room (the rest: leads_over_capacity);
        a ``fraud_share`` of them are fake: they never buy and leave after behaviour.referral.fake_stay_days.
        Returns the genuine newcomers' rows and the number of fakes."""
        if accepted == 0:
            return np.zeros(0, dtype=np.int64), 0
        m, month = self.members, self.month
        joining = min(accepted, self.room_for_new())
        self._flows["leads_over_capacity"][month] += accepted - joining
        fake = int(self.rng["events"].binomial(joining, fraud_share))
        genuine = np.zeros(0, dtype=np.int64)
        if joining - fake:
            rows = self.join(joining - fake, quality, trust_bonus=trust_bonus)
            m.channel[rows] = channel
            genuine = np.arange(rows.start, rows.stop)
        if fake:
            rows = self.join(fake, 0.0)
            m.channel[rows] = channel
            m.deletion_day[rows] = self.day + self.behaviour.referral.fake_stay_days
        return genuine, fake

    def _swap(self: World, swap: SwapPool) -> None:
        """Exchange pools with a partner: their new contacts join by lottery or through a fission task;
        our members receive the partner's message."""
        rng, f, month = self.rng["events"], self._flows, self.month
        contacts = int(rng.binomial(swap.pool_size, 1.0 - swap.overlap_share))
        f["swap_contacts"][month] += contacts
        quality = self.behaviour.swap.quality
        if swap.fission_reward is None:
            joining = int(rng.binomial(contacts, self.behaviour.swap.lottery_join_rate))
            genuine, fake = self._admit(joining, 0.0, quality, 0.0, SWAP_CHANNEL)
        else:
            # Fission: every swapped contact is invited to a task that needs them to join and invite friends.
            reward = swap.fission_reward
            accepted = int(rng.binomial(contacts, self.behaviour.referral.acceptance_rate))
            genuine, fake = self._admit(
                accepted, _fraud_share(reward, self.behaviour.referral), quality, 0.0, SWAP_CHANNEL
            )
            before = f["referral_joined"][month]
            self._invite(Invitations(genuine, reward))
            f["swap_friends_joined"][month] += f["referral_joined"][month] - before
        f["swap_joined"][month] += len(genuine)
        f["swap_fake"][month] += fake
        if swap.expose_members:
            self.apply_contacts(Contacts(self.members.reachable_rows(), "broadcast"))

    # -- accounts and groups --------------------------------------------------------------------

    def _move(self: World, move: Move) -> None:
        """Move members to pool ``move.pool`` as far as its accounts can add them today."""
        m = self.members
        rows = self._reachable(move.members)
        rows = rows[self.accounts.pool[m.account[rows]] != move.pool]
        room = self.accounts.room_today(self._over_cap_share, [move.pool])
        rows = rows[:room]
        if len(rows) == 0:
            return
        old_offset = self._pool_trust_offset[self.accounts.pool[m.account[rows]]]
        self.accounts.release(m.account[rows])
        m.account[rows] = self.accounts.place_new(len(rows), True, [move.pool], self._over_cap_share)
        new_offset = self._pool_trust_offset[move.pool]
        m.trust[rows] = np.clip(m.trust[rows] + new_offset - old_offset, 0.0, 1.0)
        self._draw_deletion_days(rows)
        self._flows["moved_members"][self.month] += len(rows)

    def _join_groups(self: World, action: JoinGroups) -> None:
        m = self.members
        rows = self._reachable(action.members)
        rows = rows[m.group[rows] < 0]
        rows = rows[self.uniform("group_join", rows) < self.behaviour.group.join_prob]
        if len(rows):
            m.group[rows] = self.groups.place(len(rows), action.segment, action.group_size)

    def _recruit_kocs(self: World, action: RecruitKocs) -> None:
        rows = self._reachable(action.candidates)
        rows = rows[~np.isin(rows, self.kocs.member[self.kocs.status != QUIT])]
        accept = rows[self.uniform("koc_accept", rows) < self.behaviour.koc.accept_prob]
        self.kocs.add(accept, self.day, action.fee_per_month_rmb)
        self._flows["koc_recruited"][self.month] += len(accept)

    def _host_groups(self: World, action: HostGroups) -> None:
        kocs, groups = np.asarray(action.kocs), np.asarray(action.groups)
        usable = self.kocs.status[kocs] != QUIT
        kocs, groups = kocs[usable], groups[usable]
        changed = np.unique(kocs)
        self.groups.host[np.isin(self.groups.host, changed)] = -1
        self.groups.host[groups] = kocs
        self.kocs.status[changed] = ACTIVE
        self.kocs.since_day[changed] = self.day
        self.kocs.hosting_since_day[changed] = self.day
        idle = (self.kocs.status == ACTIVE) & ~np.isin(np.arange(len(self.kocs)), self.groups.host)
        self.kocs.status[idle] = STANDBY

    def _award_kocs(self: World, action: AwardKocs) -> None:
        ids = np.asarray(action.kocs)
        ids = ids[self.kocs.status[ids] == ACTIVE]
        share = self.behaviour.koc.award_recovery_share
        current = self.kocs.activity(self.day, self.behaviour.koc.burnout_half_life_days)[ids]
        self.kocs.level[ids] = current + share * (1.0 - current)
        self.kocs.since_day[ids] = self.day
        self._flows["koc_cost_rmb"][self.month] += action.cost_rmb * len(ids)


def _fraud_share(reward: Reward, referral) -> float:
    """Share of fake newcomers for a reward's kind (behaviour.referral)."""
    return referral.fraud_share_ecard if reward.kind == "ecard" else referral.fraud_share_physical


def _reward_cost(reward: Reward, accepted: np.ndarray) -> float:
    """Cost of the reward steps each inviter reached (each step paid once), RMB."""
    return float(sum(cost * int((accepted >= needed).sum()) for needed, cost in reward.steps))


_HANDLERS = {
    Contacts: Mechanics.apply_contacts,
    MembershipOffer: Mechanics._offer_membership,
    TopUpOffer: Mechanics._offer_top_up,
    Invitations: Mechanics._invite,
    SwapPool: Mechanics._swap,
    Move: Mechanics._move,
    JoinGroups: Mechanics._join_groups,
    RecruitKocs: Mechanics._recruit_kocs,
    HostGroups: Mechanics._host_groups,
    AwardKocs: Mechanics._award_kocs,
}
