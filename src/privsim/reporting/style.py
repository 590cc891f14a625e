"""The look shared by every figure and the report: sizes, colours, fonts, compact numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from typing import Any, cast

import matplotlib
from matplotlib import font_manager
from matplotlib.colors import ListedColormap
from matplotlib.typing import RcKeyType

#: Size of every figure: inches and dots per inch (1100 × 600 pixels as PNG).
FIGSIZE = (11.0, 6.0)
DPI = 100

#: Colours of the member states (distinct from the strategy colours, tab10).
STATE_COLOURS = {
    "added": "#e3cf8f",
    "customer": "#4d9a6a",
    "silent": "#b8b8b8",
    "churned": "#c8604a",
}
#: The Chinese fonts privsim ships (Noto Sans CJK SC Regular and Bold cut down to GB 2312 and punctuation, SIL
#: OFL 1.1: fonts/OFL.txt; made by scripts/subset_cjk_font.py), registered with matplotlib on import: no set-up.
SHIPPED_CJK_FONTS = [
    resources.files("privsim.reporting") / "fonts" / f"NotoSansSC-{weight}-subset.otf" for weight in ("Regular", "Bold")
]
SHIPPED_CJK_FAMILY = "Noto Sans CJK SC"
#: Further fonts for Chinese characters outside the shipped subset (traditional hanzi ...), used when installed.
CJK_FONTS = ("Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK TC")


def _register_shipped_fonts() -> None:
    """Add the shipped fonts to matplotlib's font list (in memory: no cache file is written, nothing is logged)."""
    for font in SHIPPED_CJK_FONTS:
        with resources.as_file(font) as path:
            if not any(entry.fname == str(path) for entry in font_manager.fontManager.ttflist):
                font_manager.fontManager.addfont(str(path))


_register_shipped_fonts()
INSTALLED_FONTS = {font.name for font in font_manager.fontManager.ttflist}
#: The font list of every figure: DejaVu Sans for Latin letters and digits, then (glyph by glyph) Chinese.
FONT_FAMILY = ["DejaVu Sans", SHIPPED_CJK_FAMILY, *(name for name in CJK_FONTS if name in INSTALLED_FONTS)]
STYLE: dict[RcKeyType, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "svg.hashsalt": "privsim",  # stable SVG ids: same results, same file
}
GREY = "#555555"


def strategy_colours(strategies: Sequence[str]) -> dict[str, tuple]:
    """One colour per strategy, from matplotlib's tab10 in run order (tab20 beyond ten strategies)."""
    colormap = matplotlib.colormaps["tab10" if len(strategies) <= 10 else "tab20"]
    assert isinstance(colormap, ListedColormap)
    palette = cast(Sequence[tuple[float, float, float]], colormap.colors)  # tab10 and tab20 list RGB triples
    return {name: palette[i % len(palette)] for i, name in enumerate(strategies)}


def hex_colour(colour: Sequence[float]) -> str:
    """``(0.12, 0.47, 0.71)`` → ``#1f77b4``."""
    return "#" + "".join(f"{round(c * 255):02x}" for c in colour[:3])


def compact(value: float, signed: bool = False) -> str:
    """``1234567`` → ``1.23M``; three significant digits with k, M or B; ``n/a`` for NaN."""
    if not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    scaled, suffix = value, ""
    for unit, name in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= unit:
            scaled, suffix = value / unit, name
            break
    text = f"{scaled:.3g}"
    if "e" in text:  # .3g switches to exponents from 1000 on (1000k and up)
        text = f"{scaled:.0f}"
    return f"{sign}{text}{suffix}"
