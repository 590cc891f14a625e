"""privsim: agent-based simulation and strategy testing for private-domain (私域) member operations.

Library API (what the CLI calls)::

    import privsim
    scenario, text = privsim.load_scenario("scenarios/quickstart.yaml")
    run = privsim.run_scenario(scenario, text, replications=5)
    run.tables.summary       # mean and 95 % CI per strategy and metric (pandas)
    run.tables.differences   # paired differences against the first strategy
    run.write("results/my-run")
    results = privsim.load_results("results/my-run")   # manifest and tables of a written run
    results.summary

Bad input raises a :class:`PrivsimError` with a one-line message:
:class:`ScenarioError` for a scenario file, :class:`OptionError` for an
argument such as ``replications``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("privsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

import importlib
from typing import TYPE_CHECKING

#: The library API: name → the module that defines it. Imported on first use, so that
#: ``import privsim.results`` (or ``privsim check``) does not load the simulator, simpy or scipy.
_API = {
    "OptionError": "privsim.core.errors",
    "PrivsimError": "privsim.core.errors",
    "ScenarioError": "privsim.core.errors",
    "Results": "privsim.results",
    "load_results": "privsim.results",
    "Run": "privsim.runner",
    "run_scenario": "privsim.runner",
    "Scenario": "privsim.scenario",
    "load_scenario": "privsim.scenario",
    "parse_scenario": "privsim.scenario",
}

if TYPE_CHECKING:
    from privsim.core.errors import OptionError, PrivsimError, ScenarioError
    from privsim.results import Results, load_results
    from privsim.runner import Run, run_scenario
    from privsim.scenario import Scenario, load_scenario, parse_scenario


def __getattr__(name: str) -> object:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'privsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = [
    "OptionError",
    "PrivsimError",
    "Results",
    "Run",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_results",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
]
