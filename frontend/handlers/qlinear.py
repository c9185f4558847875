"""The QOperator format (onnxruntime's `QuantFormat.QOperator`): QLinearConv, QLinearMatMul, QGemm,
QLinearAdd, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat.

A QLinear op is `QuantizeLinear(Op(DequantizeLinear(inputs...)))` in one
node, with the scales and zero points as inputs.  Each handler reads its
integer inputs as dequantised views (quant.py), builds the node the float
domain would have (a Conv, a MatMul, ...) and hands it to that op's handler,
then closes the result with the output scale and zero point exactly as a
QuantizeLinear would.  So both formats of one model import to the same IR.
"""

from __future__ import annotations

import numpy as np
import onnx

from fpga_opt.dialects.dataflow import AddOp, ConcatOp, ConvOp, GlobalPoolOp, LinearOp, PoolOp, RequantizeOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers import conv as conv_handlers
from fpga_opt.frontend.handlers import eltwise, linear, pool, stream
from fpga_opt.frontend.handlers.quant import (
    NUMPY_INT_TYPES,
    dequantised_constant,
    dequantised_stream,
    zero_point_of,
)
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.values import Const, IntType, IntVal, Pending, QConst, Stream, Value


def _scalar(node: Node, index: int, what: str) -> float:
    values = np.unique(node.const(index, what).astype(np.float64).reshape(-1))
    if values.size != 1 or not (np.isfinite(values[0]) and values[0] > 0):
        raise Unsupported(f"{what} '{node.input_name(index)}' must be one positive scale")
    return float(values[0])


def _int_input(ctx: ImportContext, node: Node, index: int) -> Stream:
    """Integer input `index` with its scale at `index + 1` and zero point at `index + 2`, as a dequantised view."""
    return dequantised_stream(ctx, node, index, _scalar(node, index + 1, "scale"), zero_point_of(node, index + 2))


def _int_weights(node: Node, index: int) -> QConst:
    """Constant integer weights at `index`, scale(s) at `index + 1`, zero point(s) at `index + 2`."""
    w = node.inputs[index]
    if not isinstance(w, Const):
        raise Unsupported(f"weights '{node.input_name(index)}' are not constant")
    scale = node.const(index + 1, "weight scale").astype(np.float64)
    zero_point = node.optional_const(index + 2, "weight zero point")
    # per-channel scales run along the output channels: axis 0 of a conv's [C_out, ...] and of a
    # transposed Gemm's [N, K], axis 1 of a MatMul's (or an untransposed Gemm's) [K, N]
    out_axis = 0 if node.op == "QLinearConv" or (node.op == "QGemm" and node.attr("transB", 0)) else 1
    return dequantised_constant(w, scale, zero_point, out_axis)


def _bias(node: Node, index: int, acc_scale: np.ndarray | float) -> QConst | None:
    """An int32 bias at scale `x_scale * w_scale` (per output channel when the weights are)."""
    if not node.has_input(index):
        return None
    b = node.inputs[index]
    if not isinstance(b, Const) or not np.issubdtype(b.array.dtype, np.integer):
        raise Unsupported(f"bias '{node.input_name(index)}' must be a constant integer tensor")
    return QConst(b.array.astype(np.int64).reshape(-1), np.asarray(acc_scale, np.float64).reshape(-1), IntType(32), 0)


def _as_node(node: Node, op_type: str, inputs: list[Value | None], names: list[str], **attrs) -> Node:
    """The float-domain node a QLinear op stands for (same name, so the layer is named after the QLinear node)."""
    proto = onnx.NodeProto()
    proto.CopyFrom(node.proto)
    proto.op_type = op_type
    proto.domain = ""
    del proto.input[:]
    proto.input.extend(names)
    merged = {**{k: v for k, v in node.attrs.items() if k != "channels_last"}, **attrs}
    return Node(proto, node.name, node.opset, merged, inputs)


def _output_type(node: Node, index: int, fallback: IntType) -> IntType:
    if node.has_input(index):
        itype = NUMPY_INT_TYPES.get(np.dtype(node.const(index, "output zero point").dtype))
        if itype is not None:
            return itype
    return fallback


_UINT8 = IntType(8, False)


def _close(node: Node, value: Value, scale_index: int, fallback: IntType = _UINT8) -> Value:
    """The layer `value` quantised to the output scale/zero point at `scale_index`, `scale_index + 1`."""
    if not isinstance(value, Pending) or not value.is_int:
        raise Unsupported("the quantised layer did not import as an integer layer")
    itype = _output_type(node, scale_index + 1, fallback)
    scale = _scalar(node, scale_index, "output scale")
    z = zero_point_of(node, scale_index + 1)
    return IntVal(value, scale, itype, itype.lo, itype.hi, "half_even", value.layer, zero_point=z)


def _x_weight_scale(x: Stream, w: QConst) -> np.ndarray | float:
    flat = w.scale.reshape(-1)
    return x.scale * (flat if flat.size > 1 else float(flat[0]))


@handles("QLinearConv", produces=[ConvOp])
def qlinear_conv(ctx: ImportContext, node: Node) -> Value:
    x = _int_input(ctx, node, 0)
    w = _int_weights(node, 3)
    b = _bias(node, 8, _x_weight_scale(x, w))
    names = [node.input_name(0), node.input_name(3)] + ([node.input_name(8)] if b is not None else [])
    inner = _as_node(node, "Conv", [x, w] + ([b] if b is not None else []), names)
    return _close(node, conv_handlers.conv(ctx, inner), 6)


@handles("QLinearMatMul", produces=[LinearOp])
def qlinear_matmul(ctx: ImportContext, node: Node) -> Value:
    x = _int_input(ctx, node, 0)
    w = _int_weights(node, 3)
    inner = _as_node(node, "MatMul", [x, w], [node.input_name(0), node.input_name(3)])
    return _close(node, linear.matmul(ctx, inner), 6)


@handles("QGemm", produces=[LinearOp])
def qgemm(ctx: ImportContext, node: Node) -> Value:
    x = _int_input(ctx, node, 0)
    w = _int_weights(node, 3)
    b = _bias(node, 6, _x_weight_scale(x, w) * float(node.attr("alpha", 1.0)))
    names = [node.input_name(0), node.input_name(3)] + ([node.input_name(6)] if b is not None else [])
    inner = _as_node(node, "Gemm", [x, w] + ([b] if b is not None else []), names, beta=1.0)
    value = linear.gemm(ctx, inner)
    if not node.has_input(7):  # no output scale: the float result, i.e. the raw accumulator
        return value
    return _close(node, value, 7)


@handles("QLinearAdd", produces=[AddOp])
def qlinear_add(ctx: ImportContext, node: Node) -> Value:
    a, b = _int_input(ctx, node, 0), _int_input(ctx, node, 3)
    inner = _as_node(node, "Add", [a, b], [node.input_name(0), node.input_name(3)])
    return _close(node, eltwise.add(ctx, inner), 6)


@handles("QLinearAveragePool", produces=[PoolOp])
def qlinear_average_pool(ctx: ImportContext, node: Node) -> Value:
    if node.attr("channels_last", 0):
        raise Unsupported("channels_last = 1 is not supported")
    x = _int_input(ctx, node, 0)
    inner = _as_node(node, "AveragePool", [x], [node.input_name(0)])
    value = pool.average_pool(ctx, inner)
    if isinstance(value, Pending):  # QLinearAveragePool is not DQ -> AveragePool -> Q: the exact integer mean
        value.params.pop("qdq_scale_in", None)
    return _close(node, value, 3)


@handles("QLinearGlobalAveragePool", produces=[GlobalPoolOp])
def qlinear_global_average_pool(ctx: ImportContext, node: Node) -> Value:
    if node.attr("channels_last", 0):
        raise Unsupported("channels_last = 1 is not supported")
    x = _int_input(ctx, node, 0)
    inner = _as_node(node, "GlobalAveragePool", [x], [node.input_name(0)])
    return _close(node, pool.global_average_pool(ctx, inner), 3)


@handles("QLinearConcat", produces=[ConcatOp, RequantizeOp])
def qlinear_concat(ctx: ImportContext, node: Node) -> Value:
    if (len(node.inputs) - 2) % 3 or len(node.inputs) < 5:
        raise Unsupported("expects Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input")
    views = [_int_input(ctx, node, i) for i in range(2, len(node.inputs), 3)]
    names = [node.input_name(i) for i in range(2, len(node.inputs), 3)]
    value = stream.concat(ctx, _as_node(node, "Concat", views, names))
    if isinstance(value, Stream):  # one scale and zero point throughout: requantise it as a whole
        value = Pending("requantize", ctx.b.layer_name(node.name), value.shape, value.dims, [value], scale=value.scale)
    return _close(node, value, 0)
