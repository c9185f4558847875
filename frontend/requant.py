"""Integer rescaling: a real ratio as `multiplier / 2**shift`, and the bounds around it.

The corpus (and most hardware-friendly quantisers) use power-of-two scales,
so every ratio is `2**k` and the requantisation is exact (`multiplier = 1`,
or `2**k` for an upscale).  Other ratios get the closest 31-bit multiplier.
Both forms are canonical: trailing zero bits of the multiplier are moved into
the shift, so `3/8` is `multiplier = 3, shift = 3`, never `6, 4`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from fpga_opt.dialects.dataflow.attrs import fine_bias_limit
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


def exact_add_multipliers(sa: float, sb: float, out_scale: float) -> tuple[int, int, int] | None:
    """`(lm, rm, shift)` with `lm / 2^shift` closest to `sa / out_scale` and `rm / 2^shift` to `sb / out_scale`,
    the larger a full 31-bit multiplier; None when the ratios do not fit (more than 2^31 apart, or a shift
    outside [0, 62])."""
    if not all(math.isfinite(s) and s > 0 for s in (sa, sb, out_scale)):
        return None
    ra, rb = Fraction(sa) / Fraction(out_scale), Fraction(sb) / Fraction(out_scale)  # exact ratios
    _, exponent = math.frexp(float(max(ra, rb)))
    shift = min(MAX_SHIFT, MULTIPLIER_BITS - exponent)
    lm, rm = round(ra * 2**shift), round(rb * 2**shift)
    if max(lm, rm) >= 2**MULTIPLIER_BITS:
        shift -= 1
        lm, rm = round(ra * 2**shift), round(rb * 2**shift)
    if shift < 0 or min(lm, rm) == 0:
        return None
    while shift > 0 and lm % 2 == 0 and rm % 2 == 0:
        lm, rm, shift = lm // 2, rm // 2, shift - 1
    return lm, rm, shift


def fine_bias(
    multipliers: Sequence[int],
    shift: int,
    out_scale: float,
    exact: Sequence[Fraction],
    ints: Sequence[int],
    acc_scales: Sequence[float],
) -> tuple[int, ...]:
    """The requant's `fine_bias`: per channel, what to add to the product so that the bias counts at its
    exact real value.

    A QDQ bias is `q * s_b` with `s_b` the float32 rounding of `s_in * s_w`; the integer bias in the
    accumulator (`ints`, at `acc_scales`) is that value rounded to an accumulator LSB.  The term
    `round(2^shift * exact / out_scale) - ints * m` restores what the rounding dropped, at
    2^-shift of an output LSB.  Empty when every integer bias is already exact (QOperator biases,
    power-of-two scales), or when a term would reach half an output LSB or 2^31: the integer
    bias alone then stands, as without it.
    """
    n = len(exact)
    ms = list(multipliers) if len(multipliers) == n else [multipliers[0]] * n
    if all(e == Fraction(int(b)) * Fraction(float(a)) for e, b, a in zip(exact, ints, acc_scales, strict=True)):
        return ()
    unit = Fraction(2**shift) / Fraction(float(out_scale))
    terms = tuple(round(e * unit) - int(b) * m for e, b, m in zip(exact, ints, ms, strict=True))
    limit = fine_bias_limit(shift)
    if any(abs(t) >= limit for t in terms) or not any(terms):
        return ()
    return terms


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
