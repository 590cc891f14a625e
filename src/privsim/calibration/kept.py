"""The evaluations of a calibration, kept beside the calibrated file as they finish (``privsim calibrate --resume``).

The optimiser is deterministic for a seed (:mod:`privsim.calibration.calibrate`), so a calibration that answers
the points it evaluated before from this file follows the same path and ends with the same fitted values and loss
as an uninterrupted one. ``<case>.calibration-evaluations.json`` holds what the path depends on (the case, its
free parameters and targets, the case scenario's SHA-256, the seed, the budget and the calibration replications)
and, in the order they finished, each evaluated point's values and the targets' simulated means (JSON numbers,
which read back to the same floats; NaN as ``NaN``). It is rewritten atomically after each evaluation
(:func:`privsim.core.io.write_file`) and removed when the calibration has written its files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from privsim.core.errors import OptionError, PrivsimError
from privsim.core.io import write_file

#: One kept evaluation: the parameter values and each target's simulated mean.
Evaluation = tuple[tuple[float, ...], np.ndarray]


@dataclass
class KeptEvaluations:
    """The kept evaluations file ``path`` of a calibration whose identity is ``identity``."""

    path: Path
    identity: dict
    evaluations: list[Evaluation] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, identity: dict, resume: bool, resume_command: str) -> KeptEvaluations:
        """The kept evaluations to resume from (``resume``), or none for a new calibration.

        PrivsimError, one line: ``resume`` without the file, or with a file of another calibration; a new
        calibration where an interrupted one left its file (``resume_command`` finishes it).
        """
        if not resume:
            if path.exists():
                raise PrivsimError(
                    f"{path}: kept evaluations of an interrupted calibration; finish it with {resume_command}, "
                    "or remove the file to start again"
                )
            return cls(path, identity)
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            kept = [
                (tuple(float(v) for v in e["values"]), np.array(e["simulated"], dtype=float))
                for e in found["evaluations"]
            ]
            recorded = found["calibration"]
        except FileNotFoundError:
            raise OptionError(
                "--resume", True, f"no interrupted calibration to resume: {path} does not exist"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise PrivsimError(f"{path}: cannot be read ({err}); remove it to start the calibration again") from None
        if recorded != identity:
            differ = ", ".join(k for k in identity if recorded.get(k) != identity[k]) or "its fields"
            raise PrivsimError(
                f"{path}: kept evaluations of another calibration (different {differ}); resume with the same "
                "case scenario, registry entries, --seed and --budget, or remove the file to start again"
            )
        return cls(path, identity, kept)

    def keep(self, values: tuple[float, ...], simulated: np.ndarray) -> None:
        """Add an evaluation and rewrite the file with it."""
        self.evaluations.append((values, simulated))
        document = {
            "calibration": self.identity,
            "evaluations": [{"values": list(v), "simulated": [float(s) for s in sim]} for v, sim in self.evaluations],
        }
        write_file(self.path, json.dumps(document, indent=1) + "\n")

    def remove(self) -> None:
        """Remove the file (the calibration finished)."""
        self.path.unlink(missing_ok=True)
