"""``koc_programme``: recruit heavy buyers as group hosts, rotate them, award the best."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.agents.groups import KocStatus
from privsim.config.base import Count, Days, MoneyRmb, PerYear, Share
from privsim.core.units import DAYS_PER_YEAR
from privsim.policies.actions import Action, AwardKocs, HostGroups, RecruitKocs
from privsim.policies.base import Policy, Problem, StrategyLike, segment
from privsim.policies.groups import Groups

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class KocProgramme(Policy):
    """Recruit heavy buyers as group hosts monthly, give standbys groups and rotate hosts daily, award the best.

    A KOC buys more than `min_purchases_per_year` times and spends more than
    `min_spend_per_year_rmb` a year (APPAREL-KOC-CRITERIA), counted over the
    member's tenure; asked members accept with behaviour.koc.accept_prob.
    A KOC hosts one high-tier group or `groups_per_koc` ordinary groups
    (APPAREL-KOC-COVERAGE); their posts carry more trust than staff posts
    (behaviour.group), but their activity wears off the longer they host the
    same groups (behaviour.koc.burnout_half_life_days), so every
    `rotation_days` they move on to other groups and standbys come in.
    Each month the `awards_per_month` KOCs whose groups had the most
    recent buyers get an award that restores their activity. KOCs quit at
    behaviour.koc.quit_rate_per_year. Costs: fees and awards (koc_cost_rmb).
    Needs a ``groups`` policy in the same strategy.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("koc", "group")
    kind: Literal["koc_programme"] = Field(description="Policy selector.")
    target_kocs: Count = Field(50, ge=1, description="KOCs the programme aims to have hosting.")
    standby_share: Share = Field(0.2, description="Extra KOCs kept on standby, as a share of the target.")
    min_purchases_per_year: PerYear = Field(5.0, ge=0.0, description="Purchases per year a KOC must exceed.")
    min_spend_per_year_rmb: MoneyRmb = Field(10000.0, ge=0.0, description="Spend per year a KOC must exceed, RMB.")
    groups_per_koc: Count = Field(4, ge=1, description="Ordinary groups one KOC hosts (one high-tier group instead).")
    fee_per_month_rmb: MoneyRmb = Field(
        300.0, ge=0.0, description="Fee or perks (coupons, gifts) per KOC per month, RMB."
    )
    rotation_days: Days = Field(90, ge=1, description="Days after which KOCs move to other groups.")
    awards_per_month: Count = Field(10, ge=0, description="KOCs awarded each month (top-10 awards).")
    award_cost_rmb: MoneyRmb = Field(500.0, ge=0.0, description="Cost of one award, RMB.")
    first_day: Days = Field(30, ge=0, description="Day (0-based) the programme starts (groups need to exist).")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return range(self.first_day, scenario.horizon_days, 30)

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        if any(isinstance(p, Groups) for p in strategy.policies):
            return []
        return [(("kind",), self.kind, f"needs a `groups` policy in the same strategy ({strategy.name!r})")]

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        """Monthly: recruit up to the target plus standbys; award the month's best KOCs."""
        kocs, m = view.kocs, view.members
        actions: list[Action] = []
        live = int((kocs.status != KocStatus.QUIT).sum()) if len(kocs) else 0
        wanted = round(self.target_kocs * (1 + self.standby_share)) - live
        if wanted > 0:
            years = np.maximum((view.day - m.joined_day[: m.n]) / DAYS_PER_YEAR, 0.25)
            candidates = segment(view, bought_within_days=60)
            per_year = years[candidates]
            qualifies = (m.purchases[candidates] / per_year > self.min_purchases_per_year) & (
                m.spend_rmb[candidates] / per_year > self.min_spend_per_year_rmb
            )
            candidates = candidates[qualifies]
            candidates = candidates[np.argsort(-m.spend_rmb[candidates], kind="stable")][: 2 * wanted]
            actions.append(RecruitKocs(candidates, self.fee_per_month_rmb))
        if self.awards_per_month and len(kocs):
            actions.append(AwardKocs(self._top_kocs(view), self.award_cost_rmb))
        return actions

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        """Hosting: standbys take groups without a host; KOCs due for rotation move on to other groups."""
        kocs, groups = view.kocs, view.groups
        if view.day < self.first_day or len(kocs) == 0 or len(groups) == 0:
            return []
        active = kocs.status == KocStatus.ACTIVE
        due = active & (view.day - kocs.hosting_since_day >= self.rotation_days)
        keep = np.flatnonzero(active & ~due)
        free = np.flatnonzero(~np.isin(groups.host, keep) & (groups.size > 0))
        standby = np.flatnonzero(kocs.status == KocStatus.STANDBY)
        if not due.any() and (len(standby) == 0 or not (groups.host[free] < 0).any()):
            return []
        hosts = np.concatenate([standby, np.flatnonzero(due)])[: max(self.target_kocs - len(keep), 0)]
        free = free[np.argsort(-groups.segment[free], kind="stable")]  # high-tier groups first
        taken = np.zeros(len(free), dtype=bool)
        koc_of: list[int] = []
        group_of: list[int] = []
        for k in hosts:
            # a rotating KOC moves to groups it did not host; if none are left, any free group
            order = np.flatnonzero(~taken & (groups.host[free] != k))
            if len(order) == 0:
                order = np.flatnonzero(~taken)
            if len(order) == 0:
                break
            take = 1 if groups.segment[free[order[0]]] == 1 else self.groups_per_koc
            chosen = order[:take]
            taken[chosen] = True
            koc_of.extend([k] * len(chosen))
            group_of.extend(free[chosen])
        return [HostGroups(np.asarray(koc_of, dtype=np.int64), np.asarray(group_of, dtype=np.int64))]

    def _top_kocs(self, view: PolicyView) -> np.ndarray:
        """Active KOCs whose groups had the most buyers in the last 30 days."""
        m, groups, kocs = view.members, view.groups, view.kocs
        group = m.group[: m.n]
        recent = (group >= 0) & (view.day - m.last_purchase_day[: m.n] < 30)
        buyers = np.bincount(group[recent], minlength=len(groups))
        hosted = groups.host >= 0
        per_koc = np.bincount(groups.host[hosted], weights=buyers[hosted], minlength=len(kocs))
        active = np.flatnonzero(kocs.status == KocStatus.ACTIVE)
        return active[np.argsort(-per_koc[active], kind="stable")][: self.awards_per_month]
