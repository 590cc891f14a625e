"""The simulation engine: one replication of one strategy.

:mod:`~privsim.sim.world` (the state), :mod:`~privsim.sim.calendar` (the
simpy calendar and the tick's order), the tick's stages
(:mod:`~privsim.sim.acquisition`, :mod:`~privsim.sim.purchases`,
:mod:`~privsim.sim.upkeep`), the action handlers
(:mod:`~privsim.sim.handlers`) and the books (:mod:`~privsim.sim.ledger`).
This package imports nothing itself, so reading results does not load simpy.
"""
