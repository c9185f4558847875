"""QuantizeLinear, DequantizeLinear (QDQ / QCDQ) and QONNX `Quant`: where integers come from.

The mapping (docs/frontend.md has the long form):

* `DequantizeLinear(int constant)` is a weight or bias: its integers are
  stored, its scale is remembered (`QConst`).
* `DequantizeLinear(x)` on an integer tensor makes no op: the stream is the
  same, the value it stands for is `q * scale`.
* `QuantizeLinear(v)` after an integer layer closes that layer's epilogue:
  `requant` = accumulator scale / output scale (exact for power-of-two
  scales), rounding half to even (ONNX's rule), saturation to the output
  type, raised to 0 by a Relu in between, narrowed by a Clip in between (on
  floats, before the QuantizeLinear) or after it (on the integers, QCDQ:
  that Clip also gives the type its bit width, e.g. [-8, 7] is i4).
  After an op that does not rescale (MaxPool, Flatten) it is usually the
  identity and disappears; otherwise it becomes a `dataflow.requantize`.
* On a graph input, QuantizeLinear decides the function argument's type;
  the host quantises the float input (`dataflow.input_scales`).
* QONNX `Quant` is QuantizeLinear + Clip + DequantizeLinear in one node, with
  its bit width, signedness, narrow range and rounding mode as inputs and
  attributes.

Zero points are carried on the streams: an integer `q` with zero point `z`
stands for `(q - z) * scale`.  Layers reading such a stream remove `z`
exactly (a conv or linear in its bias, with the padding holding `z`; an add or
average in the requant's `offset`), and a QuantizeLinear's zero point becomes
the requant's `zero_point` (docs/frontend.md).
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper

from fpga_opt.dialects.dataflow import RequantizeOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.requant import quantise
from fpga_opt.frontend.values import (
    NUMPY_INT_TYPES,
    Const,
    DroppedSoftmax,
    GraphInput,
    IntType,
    IntVal,
    Pending,
    QConst,
    Stream,
    Value,
)

QONNX_ROUNDING = {"ROUND": "half_even", "HALF_EVEN": "half_even", "HALF_UP": "half_up", "FLOOR": "floor"}


def _int_type_of(dtype: np.dtype, node: Node) -> IntType:
    itype = NUMPY_INT_TYPES.get(np.dtype(dtype))
    if itype is None:
        raise Unsupported(f"quantises to {np.dtype(dtype)}; only 8/16/32-bit integers are supported")
    return itype


def zero_point_of(node: Node, index: int) -> int:
    """A feature map's zero point (one integer; 0 when absent)."""
    if not node.has_input(index):
        return 0
    values = np.unique(node.const(index, "zero point").reshape(-1))
    if values.size != 1:
        raise Unsupported("per-channel zero points on a feature map are not supported (only one per tensor)")
    return int(values[0])


def _scale(node: Node, index: int = 1) -> np.ndarray:
    scale = node.const(index, "scale").astype(np.float64)
    if np.any(scale <= 0) or not np.all(np.isfinite(scale)):
        raise Unsupported("scales must be positive and finite")
    return scale


def _tensor_scale(scale: np.ndarray) -> float:
    values = np.unique(scale.reshape(-1))
    if values.size != 1:
        raise Unsupported("per-channel scales on a feature map are not supported (only on constant weights)")
    return float(values[0])


def _broadcast_axis(scale: np.ndarray, rank: int, axis: int) -> np.ndarray:
    """A 1-D per-axis scale reshaped to broadcast along `axis` of a rank-`rank` tensor."""
    if scale.ndim != 1 or scale.size == 1 or rank <= 1:
        return scale
    shape = [1] * rank
    shape[axis + rank if axis < 0 else axis] = scale.size
    return scale.reshape(shape)


def _source(ctx: ImportContext, node: Node, itype: IntType, scale: float, zero_point: int = 0) -> Pending:
    """What a QuantizeLinear/Quant closes: the pending integer layer before it, or a requantize of a stream."""
    x = node.inputs[0]
    if isinstance(x, GraphInput):
        stream = ctx.input_stream(x, itype, scale, zero_point)
    elif isinstance(x, Pending) and x.is_int and ctx.single_use(node.input_name(0)):
        return x
    else:
        stream = ctx.stream(x, node)
    if not stream.is_int:
        raise Unsupported(
            f"quantises '{node.input_name(0)}', which is computed in float: mixed float/integer graphs are not "
            "supported (every layer between two QuantizeLinear nodes needs dequantised integer inputs and weights)"
        )
    if not stream.dq:
        raise Unsupported(f"quantises '{node.input_name(0)}', which is already an integer tensor")
    return Pending("requantize", ctx.b.layer_name(node.name), stream.shape, stream.dims, [stream], scale=stream.scale)


@handles("QuantizeLinear", produces=[RequantizeOp])
def quantize_linear(ctx: ImportContext, node: Node) -> Value:
    scale = _scale(node)
    zero_point = node.optional_const(2, "zero point")
    if zero_point is not None:
        itype = _int_type_of(zero_point.dtype, node)
        dtype = zero_point.dtype
    else:
        onnx_type = int(node.attr("output_dtype", 0)) or 2  # default uint8
        dtype = helper.tensor_dtype_to_np_dtype(onnx_type)
        itype = _int_type_of(dtype, node)
    x = node.inputs[0]
    if isinstance(x, DroppedSoftmax):
        return x
    if isinstance(x, Const):
        axis = int(node.attr("axis", 1))
        s = _broadcast_axis(scale, x.array.ndim, axis)
        z = _broadcast_axis(zero_point.astype(np.int64), x.array.ndim, axis) if zero_point is not None else 0
        return Const((quantise(x.array, s, itype.lo - z, itype.hi - z) + z).astype(dtype))
    s = _tensor_scale(scale)
    z = zero_point_of(node, 2)
    return int_value(ctx, node, s, z, itype)


def int_value(ctx: ImportContext, node: Node, scale: float, zero_point: int, itype: IntType) -> IntVal:
    """The integers `node` quantises its input 0 to (QuantizeLinear, or the output side of a QLinear op)."""
    source = _source(ctx, node, itype, scale, zero_point)
    return IntVal(source, scale, itype, itype.lo, itype.hi, "half_even", source.layer, zero_point=zero_point)


@handles("DequantizeLinear", produces=[])
def dequantize_linear(ctx: ImportContext, node: Node) -> Value:
    scale = _scale(node)
    x = node.inputs[0]
    if isinstance(x, DroppedSoftmax):
        return x
    axis = int(node.attr("axis", 1))
    if isinstance(x, Const):
        zero_point = node.optional_const(2, "zero point")
        return dequantised_constant(x, scale, zero_point, axis)
    return dequantised_stream(ctx, node, 0, _tensor_scale(scale), zero_point_of(node, 2))


def dequantised_constant(x: Const, scale: np.ndarray, zero_point: np.ndarray | None, axis: int) -> QConst:
    """Integer weights or biases (`q - zero_point`, exactly, in a type wide enough) and their scale."""
    if not np.issubdtype(x.array.dtype, np.integer):
        raise Unsupported("dequantises a float constant")
    base = NUMPY_INT_TYPES.get(np.dtype(x.array.dtype))
    if base is None:
        raise Unsupported(f"dequantises {x.array.dtype} integers; only 8/16/32-bit integers are supported")
    itype = IntType.for_range(*x.qrange, base.signed) if x.qrange is not None else base
    ints = x.array.astype(np.int64)
    if zero_point is not None and np.any(zero_point != 0):
        ints = ints - _broadcast_axis(zero_point.astype(np.int64), ints.ndim, axis)
        itype = IntType.for_range(int(ints.min()), int(ints.max()), True) if ints.size else itype
    return QConst(ints, _broadcast_axis(scale, x.array.ndim, axis), itype, axis)


def dequantised_stream(ctx: ImportContext, node: Node, index: int, scale: float, zero_point: int) -> Stream:
    """Input `index` of `node`, integers from a QuantizeLinear, read as `(q - zero_point) * scale`."""
    x = node.inputs[index]
    if isinstance(x, IntVal):
        stream = ctx.materialise_int(x)
    elif isinstance(x, Stream) and x.is_int and not x.dq:
        stream = x
    else:
        raise Unsupported(f"dequantises '{node.input_name(index)}', which is not the output of a QuantizeLinear")
    return stream.viewed(scale, zero_point)


def narrow(ctx: ImportContext, node: Node, lo: float, hi: float, retype: bool) -> Value:
    """A Relu/Clip on the integers of a QuantizeLinear: narrower saturation (and, for a Clip, bit width)."""
    x = node.inputs[0]
    if isinstance(x, IntVal) and x.result is None and ctx.single_use(node.input_name(0)):
        iv = x
    else:
        stream = ctx.materialise_int(x) if isinstance(x, IntVal) else x
        assert isinstance(stream, Stream)
        source = Pending(
            "requantize", ctx.b.layer_name(node.name), stream.shape, stream.dims,
            [stream.viewed(stream.scale, stream.zero_point)], scale=stream.scale,
        )  # fmt: skip
        iv = IntVal(
            source, stream.scale, stream.itype, stream.itype.lo, stream.itype.hi, "half_even", source.layer,
            zero_point=stream.zero_point,
        )  # fmt: skip
    qmin = max(iv.qmin, math.ceil(lo)) if lo != -math.inf else iv.qmin
    qmax = min(iv.qmax, math.floor(hi)) if hi != math.inf else iv.qmax
    if qmin > qmax:
        raise Unsupported(f"clips to an empty range [{lo}, {hi}]")
    itype = iv.itype
    if retype:
        narrower = IntType.for_range(qmin, qmax, iv.itype.signed)
        if narrower.bits < itype.bits:
            itype = narrower
    return IntVal(iv.source, iv.scale, itype, qmin, qmax, iv.rounding, iv.layer, zero_point=iv.zero_point)


@handles("qonnx.Quant", produces=[RequantizeOp])
def qonnx_quant(ctx: ImportContext, node: Node) -> Value:
    scale = _scale(node)
    zero_point = node.const(2, "zero point")
    bit_width = node.const(3, "bit width").reshape(-1)
    if bit_width.size != 1 or bit_width[0] != round(float(bit_width[0])) or not 2 <= bit_width[0] <= 32:
        raise Unsupported(f"bit width {bit_width.tolist()}: only one whole bit width in [2, 32] is supported")
    bits = int(bit_width[0])
    signed = bool(node.attr("signed", 1))
    narrow_range = bool(node.attr("narrow", 0))
    mode = node.attr("rounding_mode", b"ROUND")
    mode = (mode.decode() if isinstance(mode, bytes) else str(mode)).upper()
    if mode not in QONNX_ROUNDING:
        raise Unsupported(f"rounding_mode '{mode}' is not supported ({', '.join(QONNX_ROUNDING)})")
    rounding = QONNX_ROUNDING[mode]
    itype = IntType(bits, signed)
    qmin = itype.lo + (1 if narrow_range and signed else 0)
    qmax = itype.hi - (1 if narrow_range and not signed else 0)
    x = node.inputs[0]
    if isinstance(x, Const):
        z = np.asarray(zero_point, dtype=np.float64)
        if np.any(z != np.round(z)):
            raise Unsupported("a fractional zero point is not supported")
        ints = quantise(x.array, scale, qmin - z, qmax - z, rounding)
        return QConst(ints, scale, itype, 0)
    if isinstance(x, DroppedSoftmax):
        return x
    s = _tensor_scale(scale)
    z = zero_point_of(node, 2)
    source = _source(ctx, node, itype, s, z)
    stream = ctx.materialise_int(IntVal(source, s, itype, qmin, qmax, rounding, source.layer, zero_point=z))
    return stream.viewed(s, z)
