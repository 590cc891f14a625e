"""Staff time as a resource: each day's operator minutes, the share reserved for the top segment, and what
personal contacts and group posts take from it.

Every personal contact takes ``staff.minutes_per_personal_contact`` minutes
(``staff.minutes_per_service_contact`` for a service contact: a follow-up,
a fix, care advice); every post in a staff-hosted group takes
``staff.minutes_per_group_post``, a post in a KOC-hosted group
``minutes_per_group_post - minutes_saved_per_koc_post``. Broadcasts take no
staff time.

With ``staff.hours_per_person_per_day`` null (the default) time limits
nothing: every contact and post is made and only the minutes are counted.
Otherwise each day starts with ``available = count x hours_per_person_per_day
x 60`` minutes, of which ``reserve = top_segment_effort_share x available``
can be used only by personal contacts to the *top segment*: the members on
the highest ``staff.top_segment_tiers`` tier rungs (tiers are the operator's
own ranking by purchases and spend, STEAK-PARETO's "highest-quality users").
All other work shares ``available - reserve``; a top-segment contact uses
the reserve first, then the shared time.

Work is done in the order the day brings it (:mod:`privsim.sim.calendar`):
the policies' timed events, their daily actions (in the order returned,
each batch in its priority order), then the groups' posts (in group order;
posts use the shared time only). A contact or post that does not fit in the
time left is not made and is counted (``personal_contacts_out_of_time``,
``group_posts_out_of_time``); a KOC post that costs the staff nothing is
always made.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from privsim.config.operations import Staff
from privsim.sim.ledger import Flow, Ledger

MINUTES_PER_HOUR = 60.0
#: Slack for the float sums of minutes when counting how many contacts fit (a millionth of a minute).
_SLACK_MINUTES = 1e-6


class StaffTime:
    """The staff minutes left today, shared and reserved for the top segment; books the minutes used."""

    def __init__(self, staff: Staff, n_tiers: int) -> None:
        self.limited = staff.hours_per_person_per_day is not None
        hours = staff.hours_per_person_per_day or 0.0
        self.available_minutes = staff.count * hours * MINUTES_PER_HOUR
        self.reserve_minutes = staff.top_segment_effort_share * self.available_minutes
        self.operators = staff.count
        #: rungs at or above this one are the top segment
        self.top_from_tier = n_tiers - staff.top_segment_tiers
        #: service contact? → minutes per personal contact
        self.contact_minutes = {False: staff.minutes_per_personal_contact, True: staff.minutes_per_service_contact}
        self.post_minutes = staff.minutes_per_group_post
        self.koc_post_minutes = staff.minutes_per_group_post - staff.minutes_saved_per_koc_post
        self.shared_left = self.available_minutes - self.reserve_minutes
        self.reserve_left = self.reserve_minutes

    def new_day(self, ledger: Ledger, month: int) -> None:
        """Renew today's minutes; book the operator-days (the hours available follow from them)."""
        self.shared_left = self.available_minutes - self.reserve_minutes
        self.reserve_left = self.reserve_minutes
        ledger.add(Flow.STAFF_OPERATOR_DAYS, month, self.operators)

    def contacts(
        self,
        rows: npt.NDArray[np.int64],
        tiers: npt.NDArray[np.integer],
        service: bool,
        ledger: Ledger,
        month: int,
    ) -> npt.NDArray[np.int64]:
        """The personal contacts of ``rows`` (priority order, their tier rungs ``tiers``) that fit in
        today's time, in order; books their hours and the contacts left out."""
        minutes = self.contact_minutes[service]
        top = tiers >= self.top_from_tier
        if not self.limited or minutes == 0:
            made, top_made = rows, int(top.sum())
        else:
            on_reserve = np.zeros(len(rows), dtype=bool)
            on_reserve[np.flatnonzero(top)[: self._fitting(self.reserve_left, minutes)]] = True
            others = np.flatnonzero(~on_reserve)
            keep = on_reserve.copy()
            keep[others[: self._fitting(self.shared_left, minutes)]] = True
            made, top_made = rows[keep], int((keep & top).sum())
            reserved = int(on_reserve.sum())
            self.reserve_left -= reserved * minutes
            self.shared_left -= (len(made) - reserved) * minutes
            ledger.add(Flow.PERSONAL_CONTACTS_OUT_OF_TIME, month, len(rows) - len(made))
        ledger.add(Flow.STAFF_HOURS_USED, month, len(made) * minutes / MINUTES_PER_HOUR)
        ledger.add(Flow.STAFF_HOURS_TOP_SEGMENT, month, top_made * minutes / MINUTES_PER_HOUR)
        return made

    def posts(
        self, posting: npt.NDArray[np.bool_], koc_hosted: npt.NDArray[np.bool_], ledger: Ledger, month: int
    ) -> npt.NDArray[np.bool_]:
        """Which of the groups ``posting`` today post within today's shared time (group order; a post
        costing nothing always fits); books their hours, the posts made and those left out."""
        minutes = np.where(koc_hosted, self.koc_post_minutes, self.post_minutes)
        made = posting
        if self.limited:
            costly = posting & (minutes > 0)
            spent = np.cumsum(np.where(costly, minutes, 0.0))
            made = posting & ~(costly & (spent > self.shared_left + _SLACK_MINUTES))
            self.shared_left -= float(minutes[made].sum())
            ledger.add(Flow.GROUP_POSTS_OUT_OF_TIME, month, int(posting.sum() - made.sum()))
        ledger.add(Flow.GROUP_POSTS, month, int(made.sum()))
        ledger.add(Flow.STAFF_HOURS_USED, month, float(minutes[made].sum()) / MINUTES_PER_HOUR)
        return made

    @staticmethod
    def _fitting(left_minutes: float, minutes: float) -> int:
        """How many tasks of ``minutes`` each fit in ``left_minutes``."""
        return max(0, math.floor((left_minutes + _SLACK_MINUTES) / minutes))
