"""Fit member behaviour from a brand's own order log, forecast it, and start a scenario from it.

The pipeline behind ``privsim fit`` and ``privsim forecast``:

1. :mod:`~privsim.fitting.orders` reads an order export (one row per order:
   customer, date, amount), merges same-customer same-day orders into one
   *transaction*, and summarises each customer of the calibration period.
2. :mod:`~privsim.fitting.bgnbd` and :mod:`~privsim.fitting.paretonbd` fit
   the purchase-count-and-dropout models, :mod:`~privsim.fitting.gammagamma`
   the order values, by maximum likelihood (:mod:`~privsim.fitting.mle`).
3. :mod:`~privsim.fitting.forecast` gives the models' expected repeat
   transactions per week and compares them with the holdout period.
4. :mod:`~privsim.fitting.scenario_block` turns the BG/NBD + Gamma-Gamma fit
   into the simulator's ``population`` block (and a neutral scenario for the
   docking check).
5. :mod:`~privsim.fitting.fitfile` ties it together into ``fit.json``
   (:func:`~privsim.fitting.fitfile.write_fit`, and
   :func:`~privsim.fitting.forecast.write_forecast`, are what the two
   commands of :mod:`privsim.cli.fit` call).
6. :mod:`~privsim.fitting.synthetic` makes order logs with known parameters
   (tests, benchmark, ``scripts/make_orders.py``).

Units and quantities (used by every module of this package)
-----------------------------------------------------------
time
    **Weeks** (7 days). Dates are calendar days; day ``d`` is the number of
    days since the log's first order date (day 0), and a duration of ``k``
    days is ``k / 7`` weeks.
transaction
    All orders of one customer on one calendar day, merged (amounts summed).
    A customer's first transaction is their *first purchase*; every later one
    is a *repeat transaction*.
calibration period
    Days 0 .. ``D_c`` (``--calibration-end``, inclusive); the *holdout* is
    days ``D_c + 1`` .. the log's last day. Customers whose first purchase is
    in the calibration period form the *cohort* that is fitted and forecast.
x (frequency)
    A cohort customer's number of repeat transactions in the calibration period.
time origin
    A customer's clock starts at the *end* of their first-purchase day ``d``:
    purchases later that day cannot be told from the first one (they are
    merged), so repeat transactions can be seen from day ``d + 1`` on, and a
    transaction on day ``k`` is taken to happen mid-day, ``k + 0.5 - (d + 1)``
    days after the origin. (Counting from the start of day ``d`` instead
    overstates recency by half a day and biases ``alpha`` up by a few per
    cent in large logs.)
t_x (recency)
    Weeks from the origin to the customer's last calibration transaction on
    day ``k``: ``(k - d - 0.5) / 7`` (0 when ``x = 0``).
T (age)
    Weeks from the origin to the end of the calibration period (the end of
    day ``D_c``): ``(D_c - d) / 7``. By the end of day ``D`` a customer has
    been exposed ``(D - d) / 7`` weeks; forecasts and the simulator's
    entries use the same clock.
m (mean repeat order value)
    Mean amount of the customer's repeat transactions in the calibration
    period, RMB (defined when ``x > 0``).

Count models (per customer; heterogeneity across customers)
    ``lambda ~ Gamma(r, rate alpha)``: purchase rate while alive, per week
    (``alpha`` in weeks). BG/NBD: after each repeat transaction the customer
    drops out with probability ``p ~ Beta(a, b)``. Pareto/NBD: the customer
    is alive for an exponential time with rate ``mu ~ Gamma(s, rate beta)``
    per week (``beta`` in weeks).
Order values
    Gamma-Gamma: each transaction's amount is ``Gamma(p, rate nu)`` RMB and
    ``nu ~ Gamma(q, rate gamma)`` across customers (``gamma`` in RMB).
"""

from __future__ import annotations

DAYS_PER_WEEK = 7.0
"""Days in the package's time unit."""
