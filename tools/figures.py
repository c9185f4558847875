"""How the tools print a frame rate: one rule, so the same quantity reads the same on every line.

A large model runs at a few frames per second (ResNet-50 on a ZCU102: 7.5 FPS), where a whole-number
rounding says 8 beside the off-chip line's 7.5; a CIFAR-sized one at thousands, where a decimal is
noise.  Below 1000 FPS: one decimal; from 1000: whole frames with thousands separators.
"""

from __future__ import annotations


def fps_text(fps: float) -> str:
    """`fps` as every report line prints it: `7.5`, `689.3`, `1,572,327`."""
    return f"{fps:.1f}" if round(fps, 1) < 1000 else f"{fps:,.0f}"
