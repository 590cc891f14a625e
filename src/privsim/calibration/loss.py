"""The calibration loss of one target: the miss outside its band plus a pull towards its centre.

See :mod:`privsim.calibration.calibrate` for the whole loss and how it is minimised.
"""

from __future__ import annotations

import math

from privsim.calibration.cases import band
from privsim.calibration.registry import Benchmark

#: Weight of the pull towards the centre of the reported range (a passing target costs at most this).
PULL = 0.1
#: Loss of a target whose measure is NaN (e.g. a ratio with nothing in the denominator).
NAN_LOSS = 1000.0


def target_residuals(b: Benchmark, simulated: float) -> tuple[float, float]:
    """One target's two residuals: the miss outside the band, and the scaled pull towards the centre.

    Their squares add up to the target's term of the loss (see the module docstring).
    """
    if not math.isfinite(simulated):
        return math.sqrt(NAN_LOSS), 0.0
    lo, hi = band(b)
    magnitude = max(abs(b.low), abs(b.high))
    scale = b.tolerance * magnitude or magnitude or 1.0
    centre = (b.low + b.high) / 2
    reach = max(centre - lo, hi - centre) or scale
    miss = (simulated - min(max(simulated, lo), hi)) / scale
    weight = math.sqrt(b.weight)
    return weight * miss, weight * math.sqrt(PULL) * (simulated - centre) / reach


def target_loss(b: Benchmark, simulated: float) -> float:
    """One target's term of the loss (see the module docstring)."""
    return sum(r * r for r in target_residuals(b, simulated))
