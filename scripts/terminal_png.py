"""Render a command's terminal output to a PNG, as a screenshot of an 80-column terminal.

Runs the command with ``COLUMNS`` set (the output is the command's own,
unedited), then draws the text in a monospace font with matplotlib, a
prompt line with the command first::

    python scripts/terminal_png.py --out docs/img/run_table_80.png -- privsim show results/quickstart
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BACKGROUND = "#1e1e1e"
FOREGROUND = "#d4d4d4"
PROMPT = "#6a9955"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--columns", type=int, default=80, help="terminal width (COLUMNS)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    args = parser.parse_args()
    command = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command
    env = {**os.environ, "COLUMNS": str(args.columns), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", env=env, check=True)
    lines = proc.stdout.rstrip("\n").splitlines()
    draw([f"$ {shlex.join(command)}", *lines], args.columns, args.out)
    print(f"{args.out}: {len(lines)} lines of {shlex.join(command)} at {args.columns} columns")


def draw(lines: list[str], columns: int, out: Path) -> None:
    """``lines`` in a ``columns``-wide monospace box; the first line (the prompt) in green."""
    size_pt, line_height = 10.0, 1.25
    char_w_in, line_h_in = size_pt * 0.6 / 72, size_pt * line_height / 72  # DejaVu Sans Mono advance: 0.6 em
    margin_in = 0.2
    width_in = columns * char_w_in + 2 * margin_in
    height_in = len(lines) * line_h_in + 2 * margin_in
    fig = plt.figure(figsize=(width_in, height_in), dpi=150, facecolor=BACKGROUND)
    for i, line in enumerate(lines):
        fig.text(
            margin_in / width_in,
            1 - (margin_in + (i + 0.8) * line_h_in) / height_in,
            line,
            family="DejaVu Sans Mono",
            size=size_pt,
            color=PROMPT if i == 0 else FOREGROUND,
            usetex=False,
            parse_math=False,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, facecolor=BACKGROUND, metadata={"Software": None})
    plt.close(fig)


if __name__ == "__main__":
    main()
