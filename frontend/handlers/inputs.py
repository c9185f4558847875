"""Reading a layer node's inputs: feature maps, constant weights and biases, scales, a producer to fuse into.

Shared by the layer handlers (conv, linear, pool, eltwise).  Integer layers
read dequantised integer weights (`QConst`) and accumulate at scale
`s_in * s_w`; a bias is re-expressed at that scale (exact when its own scale is
`s_in * s_w`, as every quantiser writes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.values import Const, Pending, QConst, Stream


def feature_map(ctx: ImportContext, node: Node, index: int = 0) -> Stream:
    """Input `index` as a stream; it must be a `[1, C, H, W]` feature map."""
    x = ctx.stream(node.inputs[index], node, index)
    if len(x.shape) != 4:
        raise Unsupported(f"input '{node.input_name(index)}' has shape {list(x.shape)}; {node.op} needs [1, C, H, W]")
    return x


def weights(node: Node, index: int, what: str = "weights") -> Const | QConst:
    """Input `index` as constant weights (float, or dequantised integers)."""
    value = node.inputs[index] if index < len(node.inputs) else None
    if not isinstance(value, Const | QConst):
        raise Unsupported(
            f"{what} '{node.input_name(index)}' are not constant; fpga-opt needs constant weights "
            "(an initializer, a Constant node, or a DequantizeLinear/Quant of one)"
        )
    return value


def per_tensor_scale(q: QConst, node: Node, what: str) -> float:
    """The one scale of a quantised constant (a bias added after the layer)."""
    scale = q.per_tensor_scale
    if scale is None:
        raise Unsupported(
            f"{what} '{node.proto.input[1]}' use per-channel scales; only per-tensor scales are supported"
        )
    return scale


def weight_scale(q: QConst, node: Node, n: int, out_axis: int) -> float | np.ndarray:
    """The scale of quantised weights: one, or one per output channel (`n` of them, along `out_axis`)."""
    scale = q.per_tensor_scale
    if scale is not None:
        return scale
    flat = q.scale.reshape(-1)
    if flat.size != n or q.axis % q.ints.ndim != out_axis:
        raise Unsupported(
            f"weights '{node.proto.input[1]}' have {flat.size} scales along axis {q.axis}; per-channel scales "
            f"must be one per output channel ({n} along axis {out_axis})"
        )
    return flat.astype(np.float64)


def float_weights(value: Const | QConst) -> np.ndarray:
    """Constant weights as float32 (dequantised when they are integers)."""
    return value.dequantised() if isinstance(value, QConst) else value.array.astype(np.float32, copy=False)


def int_bias(
    bias: Const | QConst | None,
    acc_scale: float | np.ndarray,
    n: int,
    node: Node,
    factor: float = 1.0,
    correction: np.ndarray | None = None,
) -> np.ndarray | None:
    """The bias in the accumulator's integer domain (exact when its scale is s_in * s_w, as quantisers write it).

    `correction` (integers, one per channel) is added exactly: `-zp * sum(w)`, an input zero point removed.
    """
    if bias is None:
        return correction
    if isinstance(bias, QConst):
        scale = bias.scale.reshape(-1)
        values = bias.ints.reshape(-1).astype(np.float64) * (scale if scale.size > 1 else float(scale[0]))
    else:
        values = bias.array.reshape(-1).astype(np.float64)
    values = per_channel(values, n, node, "bias")
    ints = np.rint(values * factor / np.asarray(acc_scale, dtype=np.float64)).astype(np.int64)
    return ints if correction is None else ints + correction


@dataclass(frozen=True)
class FineBiasSource:
    """What an integer conv/linear knew of its bias when it was created: the requant's fine bias is
    computed from it (emit.py), and only while the layer's bias and scale are still these."""

    exact: list[Fraction] | None
    """The bias's real values (`exact_bias`), or None: no dequantised bias."""
    ints: np.ndarray | None
    """The integer bias in the accumulator (`int_bias`, zero-point correction included)."""
    correction: np.ndarray | None
    """The zero-point correction inside `ints` (exact: not part of the real bias)."""
    acc_scale: float | np.ndarray
    """The accumulator's scale (one per channel with per-channel weight scales)."""


def exact_bias(bias: Const | QConst | None, n: int, node: Node, factor: float = 1.0) -> list[Fraction] | None:
    """A dequantised bias's real values, one per channel, as exact rationals of its stored constants
    (`q * s_b * factor`): what the requant's fine bias makes the layer add (requant.fine_bias)."""
    if not isinstance(bias, QConst):
        return None
    ints = per_channel(bias.ints.reshape(-1), n, node, "bias")
    scales = per_channel(np.asarray(bias.scale, dtype=np.float64).reshape(-1), n, node, "bias")
    f = Fraction(float(factor))
    return [Fraction(int(q)) * Fraction(float(s)) * f for q, s in zip(ints, scales, strict=True)]


def zero_point_correction(weights: np.ndarray, zero_point: int) -> np.ndarray | None:
    """`-zp * sum(w)` per output channel (axis 0): what reading `x` instead of `x - zp` adds to each output."""
    if not zero_point:
        return None
    return -zero_point * weights.reshape(weights.shape[0], -1).astype(np.int64).sum(axis=1)


def per_channel(values: np.ndarray, n: int, node: Node, what: str) -> np.ndarray:
    """`values` as one per channel (a single value is broadcast)."""
    flat = values.reshape(-1)
    if flat.size == 1:
        return np.full(n, flat[0], dtype=flat.dtype)
    if flat.size != n:
        raise Unsupported(f"{what} has {flat.size} values for {n} channels")
    return flat


def fusable(ctx: ImportContext, node: Node, kinds: tuple[str, ...], index: int = 0) -> Pending | None:
    """The pending layer feeding input `index`, when this node may fold into it."""
    value = node.inputs[index]
    if isinstance(value, Pending) and value.kind in kinds and ctx.single_use(node.input_name(index)):
        return value
    return None
