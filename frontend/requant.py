"""Integer rescaling: a real ratio as `multiplier / 2**shift`, and the bounds around it.

The corpus (and most hardware-friendly quantisers) use power-of-two scales,
so every ratio is `2**k` and the requantisation is exact (`multiplier = 1`,
or `2**k` for an upscale).  Other ratios get the closest 31-bit multiplier.
Both forms are canonical: trailing zero bits of the multiplier are moved into
the shift, so `3/8` is `multiplier = 3, shift = 3`, never `6, 4`.
"""

from __future__ import annotations

import math

import numpy as np

from fpga_opt.frontend.issues import Unsupported

MULTIPLIER_BITS = 31
MAX_SHIFT = 62


def multiplier_shift(ratio: float) -> tuple[int, int]:
    """`(m, s)` with `m < 2**31`, `0 <= s <= 62` and `m / 2**s` equal to `ratio`, or closest to it."""
    if not (math.isfinite(ratio) and ratio > 0):
        raise Unsupported(f"cannot rescale by {ratio!r}: scales must be positive and finite")
    mantissa, exponent = math.frexp(ratio)  # ratio = mantissa * 2**exponent, 0.5 <= mantissa < 1
    m, s = int(mantissa * 2**53), 53 - exponent  # exact: ratio = m / 2**s
    m, s = _reduce(m, s)
    if s < 0:
        m, s = m << -s, 0
    if m < 2**MULTIPLIER_BITS and s <= MAX_SHIFT:
        return m, s
    # Not representable exactly: the closest multiplier of at most 31 bits.
    s = min(MAX_SHIFT, MULTIPLIER_BITS - exponent)
    if s < 0:
        raise Unsupported(f"rescale ratio {ratio:g} is too large for a 31-bit multiplier")
    m = round(ratio * 2**s)
    if m >= 2**MULTIPLIER_BITS:
        s -= 1
        m = round(ratio * 2**s)
    if m == 0:
        raise Unsupported(f"rescale ratio {ratio:g} is too small for a shift of at most {MAX_SHIFT}")
    return _reduce(m, s)


def channel_multipliers_shift(ratios: np.ndarray) -> tuple[list[int], int]:
    """Per-channel multipliers sharing one shift: the largest ratio gets a full 31-bit multiplier.

    The others keep `31 - log2(max / ratio)` significant bits; onnxruntime's
    per-channel weight scales span a factor of ~10-100, so every channel keeps
    24 bits or more, as many as the float32 scales themselves hold.
    """
    ratios = np.asarray(ratios, dtype=np.float64).reshape(-1)
    if not (np.all(np.isfinite(ratios)) and np.all(ratios > 0)):
        raise Unsupported("cannot rescale by a non-positive or non-finite per-channel ratio")
    _, exponent = math.frexp(float(ratios.max()))
    shift = min(MAX_SHIFT, MULTIPLIER_BITS - exponent)
    if shift < 0:
        raise Unsupported(f"rescale ratio {ratios.max():g} is too large for a 31-bit multiplier")
    multipliers = [int(round(float(r) * 2.0**shift)) for r in ratios]
    if max(multipliers) >= 2**MULTIPLIER_BITS:
        shift -= 1
        multipliers = [int(round(float(r) * 2.0**shift)) for r in ratios]
    if min(multipliers) == 0:
        raise Unsupported(
            f"per-channel rescale ratios from {ratios.min():g} to {ratios.max():g} are too far apart for one shift"
        )
    while shift > 0 and all(m % 2 == 0 for m in multipliers):
        multipliers = [m // 2 for m in multipliers]
        shift -= 1
    return multipliers, shift


def _reduce(m: int, s: int) -> tuple[int, int]:
    while m % 2 == 0 and s > 0:
        m //= 2
        s -= 1
    return m, s


def quantise(x: np.ndarray, scale: np.ndarray | float, lo: int, hi: int, rounding: str = "half_even") -> np.ndarray:
    """`clamp(round(x / scale), lo, hi)` in float64, as int64."""
    y = np.asarray(x, dtype=np.float64) / np.asarray(scale, dtype=np.float64)
    if rounding == "half_even":
        y = np.rint(y)
    elif rounding == "half_up":
        y = np.floor(y + 0.5)
    elif rounding == "floor":
        y = np.floor(y)
    else:  # pragma: no cover - callers map every mode they accept
        raise ValueError(rounding)
    return np.clip(y, lo, hi).astype(np.int64)


def bound(value: float, scale: float, rounding: str, lo: int, hi: int, zero_point: int = 0) -> int:
    """Where a float-domain bound (a Relu's 0, a Clip's limits) lands after quantising by `scale`."""
    return int(quantise(np.array(value), scale, lo - zero_point, hi - zero_point, rounding)) + zero_point
