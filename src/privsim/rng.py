"""Random streams: one SeedSequence per run, one child per replication and stream.

Replication k of every strategy uses the same seeds (common random numbers),
so strategy differences are paired. Children are built from
``SeedSequence(seed, spawn_key=(k, stream))`` directly, which is what
``SeedSequence(seed).spawn`` would produce, but independent of the order in
which replications run or of how many worker processes run them.
"""

from __future__ import annotations

import numpy as np

#: Named streams of a replication; each drives one kind of randomness.
STREAMS = ("population", "acquisition", "behaviour", "policy")


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """One independent Generator per name in STREAMS for replication ``replication``."""
    return {
        name: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, i))))
        for i, name in enumerate(STREAMS)
    }
