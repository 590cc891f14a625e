"""The standard figures of a results folder, drawn from its tables alone (no re-run).

Every figure function takes a :class:`privsim.results.Results` (from
:func:`privsim.load_results`) and returns a matplotlib ``Figure`` (made
without pyplot, so nothing is shown and nothing leaks), for example::

    import privsim
    from privsim.reporting import plots

    results = privsim.load_results("results/quickstart-20250101-120000")
    fig = plots.gmv_profit(results)
    fig.savefig("gmv.png")

=====================  =====================================================
``gmv_profit``         monthly GMV and profit per strategy: mean and 95 % CI band over replications
``members_by_state``   month-end members by state (added, customer, silent, churned), stacked, one panel per strategy
``tier_mix``           share of reachable members in each tier, stacked, one panel per strategy
``cohort_retention``   share of a monthly acquisition cohort active n months after joining
``differences``        paired difference of each strategy against the baseline (forest plot)
``funnel``             acquisition funnel per channel: leads → added → first purchase → repeat orders
=====================  =====================================================

In a notebook a figure shows as its image (it has ``_repr_png_``); draw
your own figures in privsim's order and colours with :func:`colours`::

    results.summary.query("metric == 'gmv_rmb'").plot.bar(
        x="strategy", y="mean", color=list(plots.colours(results).values()))

Every figure has a title, axis labels with units, a legend and a footer
with the scenario name and seed; a strategy has the same colour in every
figure (:func:`strategy_colours`, in the manifest's strategy order). The
funnel uses the per-channel flows ``leads.<channel>``, ``added.<channel>``,
``first_orders.<channel>`` and ``repeat_orders.<channel>`` of the
timeseries table; a results folder without them gets one funnel of the
totals (channel "all": ``leads``, ``added``, ``first_orders``,
``orders - first_orders``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import matplotlib

# The CLI draws without a display. Leave the backend alone where one was chosen
# (a notebook sets MPLBACKEND or has imported pyplot): these figures never use pyplot.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.typing import HashableList

import privsim
from privsim.core.errors import PrivsimError
from privsim.core.io import check_folder, write_files
from privsim.reporting import figure_data
from privsim.reporting.style import (
    DPI,
    FIGSIZE,
    GREY,
    STATE_COLOURS,
    STYLE,
    compact,
    hex_colour,
    strategy_colours,
)
from privsim.results import Results

#: Image formats ``privsim plot --format`` writes.
FORMATS = ("png", "svg", "pdf")
#: Paired differences shown in the forest plot: metric → (panel title, axis label).
DIFFERENCE_METRICS = {
    "gmv_rmb": ("GMV over the horizon", "Δ GMV (RMB)"),
    "profit_rmb": ("profit over the horizon", "Δ profit (RMB)"),
    "active_members": ("active members at the end", "Δ active members (members)"),
    "members_churned": ("churned members at the end", "Δ churned members (members)"),
}


# ---------------------------------------------------------------------------
# Figures


class PrivsimFigure(Figure):
    """A matplotlib Figure that shows as its PNG in a notebook (privsim's figures are made without pyplot,
    so IPython's pyplot hooks do not apply to them)."""

    def _repr_png_(self) -> bytes:
        return render(self, "png")


def colours(results: Results) -> dict[str, str]:
    """Each strategy's colour in privsim's figures (``#rrggbb``), in the run's strategy order (baseline first)."""
    return {name: hex_colour(colour) for name, colour in strategy_colours(results.strategies).items()}


def _styled(draw: Callable[[Results], Figure]) -> Callable[[Results], Figure]:
    """Draw with privsim's style without changing the caller's matplotlib settings."""

    @functools.wraps(draw)
    def wrapper(results: Results) -> Figure:
        with matplotlib.rc_context(STYLE):
            return draw(results)

    return wrapper


@_styled
def gmv_profit(results: Results) -> Figure:
    """Monthly GMV and monthly profit per strategy: mean and 95 % CI band over replications."""
    title = "Monthly GMV and profit: mean and 95 % CI band over replications"
    fig, axes = _figure(results, title, ncols=2, sharex=True)
    colours = strategy_colours(results.strategies)
    for ax, metric, label in zip(axes, ("gmv_rmb", "profit_rmb"), ("GMV", "profit"), strict=True):
        stats = figure_data.monthly_mean_ci(results, metric)
        for name in results.strategies:
            rows = stats[stats["strategy"] == name]
            dates = _dates(rows["month_start"])
            ax.fill_between(dates, rows["ci_low"], rows["ci_high"], color=colours[name], alpha=0.2, linewidth=0)
            ax.plot(dates, rows["mean"], color=colours[name], linewidth=2, label=name)
        ax.axhline(0, color=GREY, linewidth=0.8, label="_zero")
        ax.set_title(f"{label} per month")
        ax.set_xlabel("month")
        ax.set_ylabel(f"{label} (RMB per month)")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
        _date_axis(ax)
    _legend(fig, axes[0])
    return fig


@_styled
def members_by_state(results: Results) -> Figure:
    """Month-end members by state, stacked (mean over replications), one panel per strategy."""
    states = list(STATE_COLOURS)
    return _stacked_by_strategy(
        results,
        "Members by state at each month end (mean over replications)",
        lambda name: figure_data.monthly_means(results, name, [f"members_{s}" for s in states]),
        labels=states,
        colours=list(STATE_COLOURS.values()),
        ylabel="members at month end (mean over replications)",
        formatter=FuncFormatter(lambda v, _: compact(v)),
    )


@_styled
def tier_mix(results: Results) -> Figure:
    """Share of reachable members in each tier, stacked (mean over replications), one panel per strategy."""
    tiers = [m for m in results.timeseries["metric"].unique() if m.startswith("tier.")]
    if not tiers:
        raise PrivsimError(f"{results.path}: timeseries.csv has no tier.<name> metrics")
    fig = _stacked_by_strategy(
        results,
        "Tier mix of reachable members (mean over replications)",
        lambda name: figure_data.tier_shares(results, name, tiers),
        labels=[t.removeprefix("tier.") for t in tiers],
        colours=list(matplotlib.colormaps["YlGnBu"](np.linspace(0.25, 0.9, len(tiers)))),
        ylabel="share of reachable members at month end",
        formatter=PercentFormatter(1.0),
    )
    fig.axes[0].set_ylim(0, 1)  # shared by the panels
    return fig


@_styled
def cohort_retention(results: Results) -> Figure:
    """Share of each monthly acquisition cohort active n months after joining.

    Top: all cohorts pooled (active ÷ joined over the cohorts old enough),
    mean and 95 % CI band over replications, one line per strategy. Below:
    one panel per strategy with one line per cohort (darker = earlier).
    """
    strategies = results.strategies
    mosaic: list[HashableList[str]] = [["pooled"] * len(strategies), [*strategies]]
    fig = _new_figure(results, "Cohort retention: share of a monthly acquisition cohort that is active")
    axd = fig.subplot_mosaic(mosaic, height_ratios=[3, 2], sharey=True)
    colours = strategy_colours(strategies)
    pooled_ax = axd["pooled"]
    if results.cohorts.empty:
        pooled_ax.text(
            0.5, 0.5, "no members joined during the run", ha="center", va="center", transform=pooled_ax.transAxes
        )
    stats = figure_data.pooled_retention(results)
    for name in strategies:
        rows = stats[stats["strategy"] == name]
        n = rows["months_since_join"]
        pooled_ax.fill_between(n, rows["ci_low"], rows["ci_high"], color=colours[name], alpha=0.2, linewidth=0)
        pooled_ax.plot(n, rows["mean"], color=colours[name], linewidth=2, marker="o", markersize=3, label=name)
    pooled_ax.set_title("all cohorts pooled: active ÷ joined, mean and 95 % CI over replications")
    pooled_ax.set_xlabel("months since joining")
    pooled_ax.set_ylabel("share of cohort active")
    for name in strategies:
        ax = axd[name]
        per_cohort = results.cohorts[results.cohorts["strategy"] == name]
        curves = per_cohort.groupby(["cohort_month", "months_since_join"])["retention"].mean().unstack(0)
        for i, cohort in enumerate(curves.columns):
            fade = 0.25 + 0.75 * (1 - i / max(len(curves.columns) - 1, 1))
            ax.plot(curves.index, curves[cohort], color=colours[name], alpha=fade, linewidth=0.8, label="_cohort")
        _strategy_title(ax, f"{name}: one line per cohort", colours, name)
        ax.set_xlabel("months since joining")
        ax.set_xlim(pooled_ax.get_xlim())
    axd[strategies[0]].set_ylabel("share active")
    for ax in axd.values():
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(bottom=0)
    _legend(fig, pooled_ax)
    return fig


@_styled
def differences(results: Results) -> Figure:
    """Forest plot: paired difference of each strategy against the baseline, mean and 95 % CI."""
    baseline = results.baseline
    title = f"Difference against {baseline}, paired by replication: mean and 95 % CI"
    others = results.strategies[1:]
    if not others:
        fig, (ax,) = _figure(results, title)
        ax.text(0.5, 0.5, f"only one strategy ({baseline}): nothing to compare", ha="center", va="center")
        ax.set_axis_off()
        return fig
    fig, axes = _figure(results, title, nrows=2, ncols=2, sharey=True)
    colours = strategy_colours(results.strategies)
    table = results.differences.set_index(["strategy", "metric"])
    positions = np.arange(len(others))[::-1]  # first strategy on top
    for ax, (metric, (label, unit)) in zip(axes, DIFFERENCE_METRICS.items(), strict=True):
        ax.axvline(0, color=GREY, linewidth=1, linestyle="--", label="_zero")
        for y, name in zip(positions, others, strict=True):
            row = cast(pd.Series, table.loc[(name, metric)]) if (name, metric) in table.index else None
            mean, low, high = (np.nan,) * 3 if row is None else (row["mean"], row["ci_low"], row["ci_high"])
            err = [[mean - low], [high - mean]] if math.isfinite(low) and math.isfinite(high) else None
            ax.errorbar([mean], [y], xerr=err, fmt="o", color=colours[name], markersize=7, capsize=4, label=name)
            text = compact(mean, signed=True)
            if err is not None:
                text += f"\n[{compact(low)}, {compact(high)}]"
            ax.annotate(
                text, (mean, y), xytext=(0, 9), textcoords="offset points", ha="center", va="bottom", fontsize=8
            )
        ax.set_title(label)
        ax.set_xlabel(unit)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v, signed=True)))
        ax.grid(axis="y", visible=False)
        ax.margins(x=0.25)
        ax.set_ylim(-0.6, len(others) - 0.2)
    axes[0].set_yticks(positions, [f"{name} − {baseline}" for name in others])
    for ax in axes[::2]:
        ax.set_ylabel("strategy")
    _legend(fig, axes[0])
    return fig


@_styled
def funnel(results: Results) -> Figure:
    """Acquisition funnel per channel: totals over the horizon, mean and 95 % CI over replications."""
    table = figure_data.funnel_table(results)
    channels = list(dict.fromkeys(table["channel"]))
    total_only = channels == ["all"]
    title = "Acquisition funnel per channel: totals over the horizon (mean, 95 % CI)"
    if total_only:
        title = "Acquisition funnel, all channels (no per-channel counts in these results)"
    fig, axes = _figure(results, title, ncols=len(channels), sharey=True)
    colours = strategy_colours(results.strategies)
    steps = list(figure_data.FUNNEL_STEPS)
    height = 0.8 / len(results.strategies)
    for ax, channel in zip(axes, channels, strict=True):
        rows = table[table["channel"] == channel].set_index(["strategy", "step"])
        for k, name in enumerate(results.strategies):
            y = np.arange(len(steps))[::-1] + 0.4 - height * (k + 0.5)
            stats = rows.loc[name].reindex(steps)
            err = np.array([stats["mean"] - stats["ci_low"], stats["ci_high"] - stats["mean"]])
            bars = ax.barh(y, stats["mean"], height=height * 0.92, color=colours[name], label=name)
            if np.isfinite(err).all():
                ax.errorbar(stats["mean"], y, xerr=err, fmt="none", ecolor=GREY, elinewidth=0.8, capsize=2)
            # totals mix in the day-0 members (their first and repeat orders), so no conversion rates then
            labels = _funnel_labels(stats["mean"].to_numpy()) if not total_only else map(compact, stats["mean"])
            ax.bar_label(bars, labels=list(labels), padding=3, fontsize=7)
        ax.set_title("all channels (totals; day-0 members included)" if total_only else f"channel {channel}")
        ax.set_xlabel("count over the horizon")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
        ax.margins(x=0.3)
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(np.arange(len(steps))[::-1], list(figure_data.FUNNEL_STEPS.values()))
    axes[0].set_ylabel("funnel step")
    _legend(fig, axes[0])
    return fig


#: name → figure function, in the order ``privsim plot`` and the report show them.
FIGURES: dict[str, Callable[[Results], Figure]] = {
    "gmv_profit": gmv_profit,
    "members_by_state": members_by_state,
    "tier_mix": tier_mix,
    "cohort_retention": cohort_retention,
    "differences": differences,
    "funnel": funnel,
}


# ---------------------------------------------------------------------------
# Writing


def render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as an image file's bytes (no timestamps, so the same figure gives the same bytes)."""
    if fmt not in FORMATS:
        raise PrivsimError(f"image format {fmt!r} — must be one of {', '.join(FORMATS)}")
    metadata = {
        "png": {"Software": f"privsim {privsim.__version__}"},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None},
    }
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata[fmt])
    return buffer.getvalue()


def render_all(results: Results, fmt: str = "png") -> dict[str, bytes]:
    """Every figure of :data:`FIGURES` rendered as ``fmt``, keyed by figure name."""
    if fmt not in FORMATS:
        raise PrivsimError(f"image format {fmt!r} — must be one of {', '.join(FORMATS)}")
    return {name: render(draw(results), fmt) for name, draw in FIGURES.items()}


def write_figures(results: Results, out: str | Path, fmt: str = "png") -> list[Path]:
    """Write every figure to ``out/<name>.<fmt>`` (replacing earlier ones); return the paths.

    All figures are drawn before anything is written.
    """
    out = Path(out)
    check_folder(out)
    images = render_all(results, fmt)
    return write_files(out, {f"{name}.{fmt}": data for name, data in images.items()})


# ---------------------------------------------------------------------------
# Helpers


def _new_figure(results: Results, title: str) -> Figure:
    fig = PrivsimFigure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    # The footer is the figure's supxlabel, so the layout keeps it clear of the panels and the legend.
    fig.supxlabel(_footer(results), x=0.01, ha="left", fontsize=8, color=GREY)
    return fig


def _figure(results: Results, title: str, nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, list]:
    """A new figure (see _new_figure) and its axes as a flat list, row by row."""
    fig = _new_figure(results, title)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, list(axes.flat)


def _footer(results: Results) -> str:
    m = results.manifest
    parts = [f"scenario {results.scenario_name}", f"seed {results.seed}", f"{m.get('replications', '?')} replications"]
    if "horizon_days" in m and "start_date" in m:
        parts.append(f"{m['horizon_days']} days from {m['start_date']}")
        partial = _partial_last_month(m["start_date"], int(m["horizon_days"]))
        if partial:
            parts.append(partial)
    parts.append(f"privsim {m.get('privsim_version', '?')}")
    parts.append(str(results.path))
    return " · ".join(parts)


def _partial_last_month(start_date: str, horizon_days: int) -> str | None:
    """``last month partial (29 of 30 days)`` when the horizon ends inside a month."""
    try:
        last = dt.date.fromisoformat(start_date) + dt.timedelta(days=horizon_days - 1)
    except ValueError:
        return None
    next_month = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    days_in_month = (next_month - last.replace(day=1)).days
    if last.day == days_in_month:
        return None
    return f"last month partial ({last.day} of {days_in_month} days)"


def _stacked_by_strategy(
    results: Results,
    title: str,
    layers: Callable[[str], pd.DataFrame],
    labels: list[str],
    colours: list,
    ylabel: str,
    formatter,
) -> Figure:
    """One stacked-area panel per strategy; ``layers(strategy)`` is month_start × layer, bottom layer first."""
    fig, axes = _figure(results, title, ncols=len(results.strategies), sharey=True)
    strategy_colour = strategy_colours(results.strategies)
    for ax, name in zip(axes, results.strategies, strict=True):
        table = layers(name)
        ax.stackplot(_dates(table.index), table.to_numpy().T, labels=labels, colors=colours, linewidth=0)
        _strategy_title(ax, name, strategy_colour)
        ax.set_xlabel("month")
        ax.margins(x=0)
        ax.yaxis.set_major_formatter(formatter)
        _date_axis(ax)
    axes[0].set_ylabel(ylabel)
    _legend(fig, axes[0], stacked=True)
    return fig


def _dates(month_starts) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(pd.Index(month_starts)))


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _strategy_title(ax, text: str, colours: dict, name: str | None = None) -> None:
    ax.set_title(text, color=colours[name or text], fontweight="bold")


def _legend(fig: Figure, ax, stacked: bool = False) -> None:
    """One legend for the figure, right of the panels; ``stacked``: top layer first, like the stack."""
    handles, labels = ax.get_legend_handles_labels()
    if stacked:
        handles, labels = handles[::-1], labels[::-1]
    fig.legend(handles, labels, loc="outside right upper")


def _funnel_labels(values: np.ndarray) -> list[str]:
    """Bar labels: the count, and the conversion from the step before (orders per buyer for repeat orders)."""
    labels = []
    for i, value in enumerate(values):
        text = compact(value)
        before = values[i - 1] if i else np.nan
        if i in (1, 2) and before > 0:
            text += f" ({value / before:.1%})"
        elif i == 3 and before > 0:
            text += f" ({value / before:.2f} per buyer)"
        labels.append(text)
    return labels
