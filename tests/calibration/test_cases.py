"""The five reported cases: every target within its tolerance with the committed calibrated scenarios.

This is issue 6's acceptance test on the repository's own registry
(``scenarios/cases/benchmarks.yaml``) and calibrated files
(``scenarios/cases/*.calibrated.yaml``), run through the library's
``validate`` exactly as ``privsim validate`` runs them, at fewer replications.

Why 3 replications and no extra tolerance: the calibration fitted each case
on replications 0 and 1 of its seed (common random numbers), so those two
reproduce the fit and the third, which the calibration never saw, carries a
third of the mean: this checks that the committed files still give the fit
under the current code, not out-of-sample accuracy (``VALIDATION.md``, at 6
replications of which 4 are new, is the fuller view). Seeds are fixed, so
the test is deterministic: it fails when a change to the model moves a target
out of its band, which is what it is for (recalibrate with ``privsim
calibrate CASE`` and commit the new files, or explain the change); validate
also refuses a calibrated file that the case scenario or the registry has
moved past. The bands are the registry's (reported range widened by each
benchmark's tolerance). Holdouts are compared too but never asserted: they are reported as they are.
"""

from __future__ import annotations

import pytest

from helpers import ROOT
from privsim.calibration.cases import band
from privsim.calibration.registry import load_registry
from privsim.calibration.validate import validate

#: Each case runs its calibrated scenario (10-25 s a case).
pytestmark = pytest.mark.slow

REGISTRY = ROOT / "scenarios" / "cases" / "benchmarks.yaml"
CASES = [case.id for case in load_registry(REGISTRY).cases]
REPLICATIONS = 3


@pytest.mark.parametrize("case", CASES)
def test_every_target_of_the_case_passes_with_the_committed_calibration(case: str) -> None:
    result = validate(REGISTRY, [case], replications=REPLICATIONS, jobs=2)
    assert all(run.calibrated for run in result.runs), (
        f"{case} has no calibrated scenario: run privsim calibrate {case}"
    )
    benchmarks = {b.id: b for b in load_registry(REGISTRY).benchmarks_of(case)}
    targets = result.table[result.table["use"] == "target"]
    assert len(targets) == sum(b.use == "target" for b in benchmarks.values()) > 0
    failing = [
        f"{row.id}: simulated {row.mean:.4g}, band {band(benchmarks[row.id])}"
        for row in targets.itertuples()
        if not row.passes
    ]
    assert not failing, f"{case} targets outside their bands: " + "; ".join(failing)
    assert (targets["n"] == REPLICATIONS).all()
