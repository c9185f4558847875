"""The arithmetic of every `dataflow` op on numpy arrays: the golden model.

All arrays are batches of feature maps in the streams' order, `(B, H, W, C)`
(channel last).  Integer tensors are computed in int64 and are exact: products,
sums, bias adds and the requantisation product `x * multiplier` never round.
A value is narrowed to its stream's element type only at the op's result,
either by the saturation of a `#dataflow.requant` or, for results with no
saturation (an accumulator), by two's complement wrap-around, as an
`ap_int<N>` in the HLS kernels would.

Float tensors are computed in float64 and rounded to the stream's float type at
each op's result.

Convolutions use im2col and a batched matrix product.  Integer convolutions
run the product in float64 (BLAS) when every partial sum provably stays below
2**53 in magnitude, which makes it exact, and fall back to int64 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fpga_opt.dialects.dataflow import ActivationAttr, RequantAttr

#: Largest magnitude whose integers float64 represents exactly.
_EXACT_F64 = 2.0**53

#: im2col values per matrix product: a larger batch is convolved a slice of samples at a time (a
#: 224x224x64 map's 3x3 windows are 29 M values, 231 MB in float64, per sample).
MAX_COLS = 2**25


# --------------------------------------------------------------------------
# Scalars: requantisation, activation, narrowing
# --------------------------------------------------------------------------


def shift_round(p: np.ndarray, shift: int, rounding: str) -> np.ndarray:
    """`p / 2**shift` rounded as `rounding` says (`p` is an int64 array)."""
    p = np.asarray(p, dtype=np.int64)
    if shift == 0:
        return p.copy()
    half = np.int64(1) << np.int64(shift - 1)
    s = np.int64(shift)
    if rounding == "floor":
        return p >> s
    if rounding == "half_up":
        return (p + half) >> s
    if rounding == "half_away":
        return np.sign(p) * ((np.abs(p) + half) >> s)
    if rounding == "half_even":
        # Add half - 1, plus 1 more when the truncated quotient is odd: a remainder above half
        # carries, exactly half carries only onto an odd quotient (4 array passes; the largest
        # requantised maps are millions of values per sample).
        y = p >> s
        y &= 1
        y += p
        y += half - 1
        y >>= s
        return y
    raise ValueError(f"unknown rounding mode '{rounding}'")


def requantize(x: np.ndarray, rq: RequantAttr) -> np.ndarray:
    """`clamp(round(((x + offset) * multiplier + fine_bias) / 2**shift) + zero_point, min, max)`, exact, as int64.

    A per-channel requant multiplies channel `c` (the last axis) by its own multiplier; a fine
    bias adds channel `c`'s own integer to the product.
    """
    x = np.asarray(x, dtype=np.int64)
    if rq.offset.data:
        x = x + np.int64(rq.offset.data)
    m = np.asarray(rq.multipliers, dtype=np.int64) if rq.per_channel else np.int64(rq.multiplier.data)
    p = x * m
    if rq.fine_bias.data:
        p += np.asarray(rq.fine_biases, dtype=np.int64)
    y = shift_round(p, rq.shift.data, rq.rounding.data)  # a new array: updated in place below
    y += np.int64(rq.zero_point.data)
    return np.clip(y, rq.min.data, rq.max.data, out=y)


def requantize_over_counts(x: np.ndarray, rq: RequantAttr, counts: np.ndarray) -> np.ndarray:
    """`clamp(round((x + offset) * multiplier / (count * 2**shift)) + zero_point, min, max)`, exact.

    The division by the count (a window's real pixels, broadcast against x) is exact: the rounding
    sees `2*floor(2p/count) + sticky` (sticky: a non-zero remainder) shifted by `shift + 2`, which
    keeps the half bit and whether anything lies below it, so ties are decided as `rounding` says.
    A per-tensor requant only (the verifier).
    """
    p = (np.asarray(x, dtype=np.int64) + np.int64(rq.offset.data)) * np.int64(rq.multiplier.data)
    n = np.asarray(counts, dtype=np.int64)
    q = (2 * p) // n
    sticky = (2 * p - q * n != 0).astype(np.int64)
    y = shift_round(2 * q + sticky, rq.shift.data + 2, rq.rounding.data) + np.int64(rq.zero_point.data)
    return np.clip(y, rq.min.data, rq.max.data)


def qdq_float32_mean(
    x: np.ndarray,
    rq: RequantAttr,
    *,
    kernel: Sequence[int],
    stride: Sequence[int],
    pad: Sequence[int],
    out_hw: tuple[int, int],
    zero_in: int,
    scales: tuple[float, float],
    counts: np.ndarray,
) -> np.ndarray:
    """An exclude-pad average of integers in the QDQ reference's float32 arithmetic (`dataflow.pool`'s
    qdq_scales): `(q - zero_in) * s_in` per pixel (the padding, holding `zero_in`, is 0.0), each window
    column summed top to bottom, the column sums left to right (onnxruntime's pooling order), `/ count`,
    `/ s_out`, rounded half to even, then the requant's zero point and saturation, as int64."""
    f32 = np.float32
    s_in, s_out = f32(scales[0]), f32(scales[1])
    xp = pad_hw(np.asarray(x, dtype=np.int64), pad, zero_in)
    real = (xp - np.int64(zero_in)).astype(f32) * s_in  # exact integer difference, one float32 rounding
    win = windows(real, kernel, stride, out_hw)  # (B, Ho, Wo, C, Kh, Kw)
    kh, kw = kernel
    total = np.zeros(win.shape[:4], dtype=f32)
    for c in range(kw):
        column = np.zeros(win.shape[:4], dtype=f32)
        for r in range(kh):
            column = column + win[..., r, c]
        total = total + column
    mean = total / np.asarray(counts, dtype=f32)
    y = np.rint(mean / s_out).astype(np.int64) + np.int64(rq.zero_point.data)
    return np.clip(y, rq.min.data, rq.max.data)


def activate(x: np.ndarray, act: ActivationAttr, integer: bool) -> np.ndarray:
    """A pointwise activation; on integers only relu and clip exist (bounds are integers)."""
    kind = act.kind.data
    if integer:
        if kind == "relu":
            return np.maximum(x, 0)
        if kind in ("clip", "relu6"):
            lo, hi = act.lo_value, act.hi_value
            if kind == "relu6":
                lo, hi = 0.0, 6.0
            return np.clip(x, int(np.ceil(lo)), int(np.floor(hi)))
        raise ValueError(f"activation '{kind}' has no integer form")
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "relu6":
        return np.clip(x, 0.0, 6.0)
    if kind == "clip":
        return np.clip(x, act.lo_value, act.hi_value)
    if kind == "leaky_relu":
        return np.where(x >= 0, x, act.alpha_value * x)
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    raise ValueError(f"unknown activation '{kind}'")


def wrap(x: np.ndarray, bits: int, signed: bool = True) -> np.ndarray:
    """Two's complement wrap-around of int64 values to `bits` bits."""
    x = np.asarray(x, dtype=np.int64)
    if bits >= 64:
        return x
    mask = np.int64((1 << bits) - 1)
    y = x & mask
    if signed:
        y = np.where(y >= (np.int64(1) << np.int64(bits - 1)), y - (np.int64(1) << np.int64(bits)), y)
    return y


# --------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------


def pad_hw(x: np.ndarray, pad: Sequence[int], value) -> np.ndarray:
    """Pad (B, H, W, C) by [top, left, bottom, right] with `value`."""
    top, left, bottom, right = pad
    if not (top or left or bottom or right):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(
    x: np.ndarray,
    kernel: Sequence[int],
    stride: Sequence[int],
    out_hw: tuple[int, int],
    dilation: Sequence[int] = (1, 1),
) -> np.ndarray:
    """Sliding windows of a padded (B, Hp, Wp, C) map: a (B, Ho, Wo, C, Kh, Kw) view (taps `dilation` apart)."""
    kh, kw = kernel
    sh, sw = stride
    dh, dw = dilation
    ho, wo = out_hw
    view = np.lib.stride_tricks.sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    return view[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, :, ::dh, ::dw]


def _exact_in_f64(x: np.ndarray, w: np.ndarray, terms: int) -> bool:
    if x.size == 0 or w.size == 0:
        return True
    bound = float(np.abs(x).max()) * float(np.abs(w).max()) * terms
    return bound < _EXACT_F64


def grouped_matmul(cols: np.ndarray, w: np.ndarray, integer: bool) -> np.ndarray:
    """(G, M, K) @ (G, K, N) -> (G, M, N); exact for integers."""
    if integer:
        if _exact_in_f64(cols, w, cols.shape[-1]):
            out = np.matmul(cols.astype(np.float64), w.astype(np.float64))
            return np.rint(out).astype(np.int64)
        return np.matmul(cols.astype(np.int64), w.astype(np.int64))
    return np.matmul(cols.astype(np.float64), w.astype(np.float64))


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    *,
    stride: Sequence[int],
    pad: Sequence[int],
    groups: int,
    out_hw: tuple[int, int],
    integer: bool,
    pad_value: int = 0,
    dilation: Sequence[int] = (1, 1),
) -> np.ndarray:
    """Σ w·x over each window (padding holds `pad_value`; taps `dilation` apart): x (B, H, W, C_in),
    w [C_out, C_in/groups, Kh, Kw] -> (B, Ho, Wo, C_out).

    The batch goes through in slices of samples whose im2col matrix holds at most MAX_COLS values
    (each sample's result does not depend on the others')."""
    b = x.shape[0]
    c_in = x.shape[3]
    c_out, cg, kh, kw = w.shape
    ho, wo = out_hw
    step = max(1, MAX_COLS // max(1, ho * wo * c_in * kh * kw))
    if b > step:
        options = dict(stride=stride, pad=pad, groups=groups, out_hw=out_hw, integer=integer)
        options.update(pad_value=pad_value, dilation=dilation)
        return np.concatenate([conv2d(x[i : i + step], w, **options) for i in range(0, b, step)])
    xp = pad_hw(x, pad, pad_value)
    win = windows(xp, (kh, kw), stride, out_hw, dilation)  # (B, Ho, Wo, C_in, Kh, Kw)
    cols = win.reshape(b * ho * wo, groups, cg * kh * kw).transpose(1, 0, 2)  # (G, M, Cg*K)
    wg = w.reshape(groups, c_out // groups, cg * kh * kw).transpose(0, 2, 1)  # (G, Cg*K, Cog)
    if groups == c_in and cg == 1 and c_out == groups:
        # depthwise: an elementwise product is faster than G tiny matmuls
        prod = (cols.astype(np.int64 if integer else np.float64) * wg[:, :, 0][:, None, :]).sum(-1)
        out = prod[:, :, None]
    else:
        out = grouped_matmul(cols, wg, integer)  # (G, M, Cog)
    return out.transpose(1, 0, 2).reshape(b, ho, wo, c_out)


def pool2d(
    x: np.ndarray,
    *,
    mode: str,
    kernel: Sequence[int],
    stride: Sequence[int],
    pad: Sequence[int],
    out_hw: tuple[int, int],
    integer: bool,
    lowest,
    pad_value: int = 0,
) -> np.ndarray:
    """Max (padding = `lowest`) or sum (padding = `pad_value`) over each window."""
    xp = pad_hw(x, pad, lowest if mode == "max" else pad_value)
    win = windows(xp, kernel, stride, out_hw)
    if mode == "max":
        return win.max(axis=(-2, -1))
    return win.sum(axis=(-2, -1), dtype=np.int64 if integer else np.float64)


def centre_pixels(
    x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], pad: Sequence[int], out_hw: tuple[int, int]
) -> np.ndarray:
    """The input pixel at the centre of every window: (B, Ho, Wo, C)."""
    kh, kw = kernel
    sh, sw = stride
    ho, wo = out_hw
    r0 = kh // 2 - pad[0]
    c0 = kw // 2 - pad[1]
    rows = r0 + sh * np.arange(ho)
    cols = c0 + sw * np.arange(wo)
    return x[:, rows][:, :, cols]


def softmax_channels(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
