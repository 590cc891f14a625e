"""The `stored_value` lever: accounting and direction (the kinds of test: tests/levers.py)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import FIXED_BASE, assert_positive, strategy
from levers import (
    assert_books,
    metric,
    paired,
    parse,
    run_world,
    spy_purchases,
    stored_value,
    total,
)
from privsim.agents.members import State
from privsim.scenario import Scenario
from privsim.sim.ledger import ReplicationResult
from privsim.sim.world import World


def test_stored_value_liability_is_cash_in_minus_cash_value_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    # Top-ups bring cash (stored_value_topups_rmb: the amounts paid);
    # orders are paid from the balance first, the bonus part of what is spent
    # being a discount. A spy on the purchase booking reads each buyer's
    # balance and cash share before and after: spent = balance decrease
    # (= stored_value_spent_rmb), its bonus part (spent x (1 - cash share))
    # is the whole of discounts_rmb (no other discount in the strategy), and
    # the liability at each month end (cash value of unspent balances) =
    # cumulative cash in - cumulative cash value spent (spent x cash share).
    # Balances are float32: sums are compared to 1e-5 relative, far above
    # float32 rounding of ~1e5 RMB totals (~1 RMB would be 1e-5 of them) --
    # observed agreement ~1e-7. Two offers, 500 + 100 bonus every 30 days
    # and 300 + 10 every 45 days, so balances mix cash shares.
    scenario = parse(
        horizon_days=240,
        **FIXED_BASE,
        behaviour={"stored_value": {"takeup_at_reference_bonus": 0.2}},
        strategies=[
            strategy("stored", stored_value(), stored_value(amount_rmb=300.0, bonus_rmb=10.0, offer_every_days=45))
        ],
    )
    months = scenario.month_of_day()[-1] + 1
    spent, cash_spent, bonus_spent = np.zeros(months), np.zeros(months), np.zeros(months)

    def before(world: World, buyers: np.ndarray, percent: np.ndarray) -> tuple:
        m = world.members
        return m.balance_rmb[buyers].astype(float), m.balance_cash_share[buyers].astype(float)

    def after(world: World, buyers: np.ndarray, state: tuple) -> None:
        balance, share = state
        m = world.members
        out = balance - m.balance_rmb[buyers].astype(float)
        assert np.all(out >= 0)
        np.testing.assert_array_equal(
            m.balance_cash_share[buyers], share.astype(np.float32)
        )  # spending keeps the share
        spent[world.month] += out.sum()
        cash_spent[world.month] += (out * share).sum()
        bonus_spent[world.month] += (out * (1 - share)).sum()

    spy_purchases(monkeypatch, before, after)
    world, result = run_world(scenario, "stored")
    assert_books(world, result)
    mo = result.monthly
    assert total(result, "topups") > 0 and spent.sum() > 0
    assert np.all(mo["stored_value_topups_rmb"] >= 300.0 * mo["topups"])
    assert np.all(mo["stored_value_topups_rmb"] <= 500.0 * mo["topups"])
    np.testing.assert_allclose(mo["stored_value_spent_rmb"], spent, rtol=1e-5)
    np.testing.assert_allclose(mo["discounts_rmb"], bonus_spent, rtol=1e-5)
    liability = np.cumsum(mo["stored_value_topups_rmb"]) - np.cumsum(cash_spent)
    np.testing.assert_allclose(mo["stored_value_liability_rmb"], liability, rtol=1e-5)
    # a balance is 500/600 cash, 300/310 cash, or a mix in between (members who took both offers)
    m = world.members
    share = m.balance_cash_share[: m.n][m.balance_rmb[: m.n] > 0]
    low, high = 500 / 600, 300 / 310
    assert np.all((share >= low - 1e-6) & (share <= high + 1e-6))
    assert ((share > low + 1e-4) & (share < high - 1e-4)).any()


def test_stored_value_bigger_bonus_more_topups() -> None:
    # Take-up scales with min(1, (bonus share / 0.1) ** 1.5): a 5 % bonus
    # (25 on 500) draws 0.35 of the reference take-up, a 20 % bonus (100)
    # the full reference. Observed over 12 replications: ~210 vs ~610
    # top-ups (paired difference ~390, sd ~26). 3 replications: the CI
    # excludes 0 by > 5 half-widths; ratio margin > 2 (observed 2.85, sd
    # 0.15: > 5 sd).
    scenario = parse(
        horizon_days=180,
        **FIXED_BASE,
        strategies=[strategy("small", stored_value(bonus_rmb=25.0)), strategy("big", stored_value(bonus_rmb=100.0))],
    )
    topups = paired({s: (scenario, s) for s in ("small", "big")}, 3, metric("topups"))
    assert_positive(topups["big"] - topups["small"], "top-ups, bonus 100 - 25")
    assert np.all(topups["big"] > 2 * topups["small"]), topups


def test_stored_value_balance_lowers_dropouts() -> None:
    # Half the offered customers top up (take-up 0.5 at the reference bonus).
    # While a member holds a balance the dropout chance is multiplied by
    # (1 - dropout_reduction). With reduction 1 no member holding a balance
    # can turn silent, so every silent member has a zero balance (exact: a
    # silent member neither buys nor is offered top-ups); with reduction 0
    # some do. Observed over 12 replications: ~150 vs ~480 dropouts
    # (paired difference ~330, sd ~17). 3 replications: the CI excludes 0
    # by > 7 half-widths.
    def scenario(reduction: float) -> Scenario:
        return parse(
            horizon_days=240,
            **FIXED_BASE,
            behaviour={"stored_value": {"takeup_at_reference_bonus": 0.5, "dropout_reduction": reduction}},
            strategies=[strategy("stored", stored_value())],
        )

    def silent_with_balance(world: World, result: ReplicationResult) -> tuple[float, float]:
        m = world.members
        silent = m.state[: m.n] == State.SILENT
        return total(result, "dropouts"), float((m.balance_rmb[: m.n][silent] > 0).sum())

    out = paired({"kept": (scenario(1.0), "stored"), "none": (scenario(0.0), "stored")}, 3, silent_with_balance)
    assert_positive(out["none"][:, 0] - out["kept"][:, 0], "dropouts, reduction 0 - 1")
    assert np.all(out["kept"][:, 1] == 0), out["kept"]
    assert np.all(out["none"][:, 1] > 0), out["none"]
