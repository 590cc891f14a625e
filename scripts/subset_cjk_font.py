"""Build the Chinese fonts privsim ships (src/privsim/reporting/fonts/NotoSansSC-{Regular,Bold}-subset.otf).

Noto Sans CJK SC Regular and Bold (SIL Open Font License 1.1, no Reserved Font
Name; Debian's fonts-noto-cjk: ``apt-get install fonts-noto-cjk``) cut
down with fontTools to the characters Chinese names and labels use: ASCII
and Latin-1, general punctuation, the CJK symbols and punctuation, the
full-width forms and every character of GB 2312 (its 6,763 simplified
hanzi and its symbols). About 3 MB a weight instead of 19 MB; the same
bytes on every build from the same source.

    python scripts/subset_cjk_font.py [FOLDER holding NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto")
FACE = "Noto Sans CJK SC"
WEIGHTS = ("Regular", "Bold")
OUT = Path(__file__).resolve().parents[1] / "src/privsim/reporting/fonts"
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x21FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]


def gb2312() -> set[int]:
    """Every character GB 2312 encodes (rows 0xA1-0xF7, cells 0xA1-0xFE)."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([row, cell]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def main(source: Path) -> None:
    for weight in WEIGHTS:
        build(source / f"NotoSansCJK-{weight}.ttc", OUT / f"NotoSansSC-{weight}-subset.otf")


def build(source: Path, out: Path) -> None:
    collection = TTCollection(str(source))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE)
    codepoints = gb2312() | {c for lo, hi in RANGES for c in range(lo, hi + 1)}
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    font.recalcTimestamp = False  # keep the source's timestamp: same bytes on every build
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    print(f"{out}: {len(font.getBestCmap())} characters, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
