"""How the tools print a frame rate and a folding: one rule each, so the same quantity reads the same on every line.

A large model runs at a few frames per second (ResNet-50 on a ZCU102: 7.5 FPS), where a whole-number
rounding says 8 beside the off-chip line's 7.5; a CIFAR-sized one at thousands, where a decimal is
noise.  Below 1000 FPS: one decimal; from 1000: whole frames with thousands separators.
"""

from __future__ import annotations


def fps_text(fps: float) -> str:
    """`fps` as every report line prints it: `7.5`, `689.3`, `1,572,327`."""
    return f"{fps:.1f}" if round(fps, 1) < 1000 else f"{fps:,.0f}"


_FOLDING_SHORT = {
    "coarse_in": "ci",
    "coarse_out": "co",
    "fine": "f",
    "coarse_group": "cg",
    "coarse": "c",
    "reuse": "r",
    "terms": "t",
}
_SHOWN_WHEN_NOT_1 = ("coarse_group", "reuse", "terms")


def folding_text(folding: dict[str, int]) -> str:
    """`ci=4 co=8 f=9`: the folding factors, short (coarse_group, reuse and terms only when not 1)."""
    return " ".join(
        f"{_FOLDING_SHORT.get(k, k)}={v}" for k, v in folding.items() if not (k in _SHOWN_WHEN_NOT_1 and v == 1)
    )
