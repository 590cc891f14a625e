"""The shipped Chinese font, cut down to one report's characters and embedded in it as CSS ``@font-face``.

The report's font list starts with :data:`FAMILY`, whose ``unicode-range``
holds only the report's Chinese characters (Latin text keeps the system
font), so Chinese renders the same on every machine, with or without
Chinese system fonts: Noto Sans CJK SC Regular and Bold (the fonts
of :data:`privsim.reporting.style.SHIPPED_CJK_FONTS`, SIL OFL 1.1) cut down
with fontTools to the characters the report uses, as WOFF (zlib) in
``data:`` URIs. A report with a few Chinese names carries tens of kilobytes
of font instead of 3 MB a weight, and the same text gives the same bytes.
"""

from __future__ import annotations

import base64
import io

from fontTools import subset
from fontTools.ttLib import TTFont

from privsim.reporting.style import SHIPPED_CJK_FONTS

#: The CSS family name of the embedded font (not a system font's name, so it never shadows one).
FAMILY = "privsim Noto Sans SC"
#: CSS weight of each shipped font, in the order of SHIPPED_CJK_FONTS (Regular, Bold).
WEIGHTS = (400, 700)


#: The first code point the embedded font is for: CJK radicals, symbols and punctuation, kana, hanzi and the
#: full-width forms are from here on; Latin letters, digits and the usual punctuation keep the page's font.
FIRST_CJK = 0x2E80


def font_face_css(text: str) -> str:
    """``@font-face`` rules (Regular and Bold) embedding the shipped font cut down to the CJK characters of
    ``text`` that it has (code points from FIRST_CJK), with a ``unicode-range`` of exactly those; empty when
    ``text`` has none. The page lists FAMILY first: it draws those characters, and only those, on any machine."""
    characters = "".join(sorted({c for c in text if ord(c) >= FIRST_CJK}))
    rules = []
    for font, weight in zip(SHIPPED_CJK_FONTS, WEIGHTS, strict=True):
        data, covered = subset_font(font.read_bytes(), characters)
        if not covered:
            return ""
        url = f"data:font/woff;base64,{base64.b64encode(data).decode('ascii')}"
        ranges = ", ".join(f"U+{code:04X}" for code in covered)
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; font-style: normal; '
            f'unicode-range: {ranges}; src: url("{url}") format("woff"); }}'
        )
    return "\n".join(rules) + "\n"


def subset_font(font: bytes, text: str) -> tuple[bytes, list[int]]:
    """``font`` (OpenType bytes) cut down to the characters of ``text`` it has, as WOFF, and those characters'
    code points (none: empty bytes)."""
    face = TTFont(io.BytesIO(font), lazy=True)
    wanted = sorted({ord(c) for c in text if not c.isspace()} & set(face.getBestCmap()))
    face.close()
    if not wanted:
        return b"", []
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence names the OFL asks to keep
    options.notdef_outline = True
    face = TTFont(io.BytesIO(font), lazy=False, recalcTimestamp=False)  # the same text, the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(face)
    face.flavor = "woff"
    out = io.BytesIO()
    face.save(out, reorderTables=False)
    return out.getvalue(), wanted
