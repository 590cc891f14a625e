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

from privsim.core.errors import OptionError, PrivsimError, ScenarioError
from privsim.results import Results, load_results
from privsim.runner import Run, run_scenario
from privsim.scenario import Scenario, load_scenario, parse_scenario

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
