"""Random streams: one SeedSequence per run, spawned per replication and stream.

Three kinds of randomness, all derived from ``SeedSequence(seed,
spawn_key=(replication, ...))`` directly, which is what
``SeedSequence(seed).spawn`` would produce but independent of the order in
which replications run or of how many worker processes run them:

- **Sequential streams** (``STREAMS``): one Generator per kind of draw
  (the initial population and new members' traits, order values,
  aggregate events such as invitations and bans, the policies' own choices).
- **Day generators** (:meth:`MemberDayUniforms.day_generator`): a fresh
  counter-based generator per (purpose, day), e.g. the day's leads, so the
  same leads arrive on day d in every strategy of a replication.
- **Member-day uniforms** (:class:`MemberDayUniforms`): counter-based
  (Philox) uniforms addressed by (purpose, day, member row). Member i's
  purchase draw on day d is the same number in every strategy of a
  replication, whatever else happened that day, so strategies compared on
  replication k differ only where the policy made the member behave
  differently: common random numbers that stay aligned.
"""

from __future__ import annotations

import numpy as np

#: Named sequential streams of a replication.
STREAMS = ("population", "orders", "events", "policy")

#: Purposes of member-day uniforms (one independent stream each).
PURPOSES = (
    "purchase",
    "dropout",
    "coupon_topup",
    "block",
    "reactivation",
    "membership",
    "renewal",
    "top_up",
    "group_join",
    "koc_accept",
    "acquisition",
    "delivery",
    "return",
)


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """One independent Generator per name in STREAMS for replication ``replication``."""
    return {
        name: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, i))))
        for i, name in enumerate(STREAMS)
    }


class MemberDayUniforms:
    """Uniforms in [0, 1) addressed by (purpose, day, row), the same in every strategy of a replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self._keys = {
            purpose: np.random.SeedSequence(seed, spawn_key=(replication, len(STREAMS) + i)).generate_state(
                2, np.uint64
            )
            for i, purpose in enumerate(PURPOSES)
        }
        self._cache: dict[str, tuple[int, np.ndarray]] = {}

    def day_generator(self, purpose: str, day: int) -> np.random.Generator:
        """A Generator for ``purpose`` on ``day`` only, the same in every strategy of a replication."""
        counter = np.array([0, 0, day, 0], dtype=np.uint64)
        return np.random.Generator(np.random.Philox(counter=counter, key=self._keys[purpose]))

    def get(self, purpose: str, day: int, n: int) -> np.ndarray:
        """The uniforms of rows ``0 .. n-1`` for ``purpose`` on ``day``."""
        cached = self._cache.get(purpose)
        if cached is not None and cached[0] == day and len(cached[1]) >= n:
            return cached[1][:n]
        values = self.day_generator(purpose, day).random(max(n, 1), dtype=np.float32)
        self._cache[purpose] = (day, values)
        return values[:n]
