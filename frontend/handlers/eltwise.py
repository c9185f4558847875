"""Element-wise layers: Add, BatchNormalization, Relu, Clip, LeakyRelu, Sigmoid, Softmax.

On floats, BatchNormalization and a bias Add fold into the conv/linear before
them, and an activation fuses into its producer's `activation` when the
producer has no other reader; otherwise each is an op of its own.  On
dequantised integers an Add aligns its operands' scales with integer
multipliers, and a Relu/Clip becomes saturation bounds of the requant the
following QuantizeLinear decides (quant.py).  A Softmax at the end of a
quantised graph is dropped (the argmax is unchanged).
"""

from __future__ import annotations

import math

import numpy as np

from fpga_opt.dialects.dataflow import ActivationAttr, ActivationOp, AddOp, ConvOp, LinearOp, RequantizeOp, SoftmaxOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers.inputs import float_weights, fusable, per_tensor_scale
from fpga_opt.frontend.handlers.quant import narrow
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.values import Const, DroppedSoftmax, IntVal, Pending, QConst, Stream, Value, is_int, onnx_shape

FLOAT_MAX = float(np.finfo(np.float32).max)


# Add ----------------------------------------------------------------------------


def _channel_vector(c: np.ndarray, p: Pending, node: Node) -> np.ndarray:
    """A constant added to a conv/linear output, as one value per channel (or refuse)."""
    rank = len(p.shape)
    if c.ndim > rank:
        raise Unsupported(f"the constant of shape {list(c.shape)} does not broadcast per channel")
    padded = c.reshape((1,) * (rank - c.ndim) + c.shape)
    if any(padded.shape[axis] != 1 for axis in range(rank) if axis != 1):
        raise Unsupported(f"the constant of shape {list(c.shape)} is not a per-channel bias")
    return np.broadcast_to(padded, (1, p.dims[2]) + (1,) * (rank - 2)).reshape(p.dims[2])


def _per_channel_float_layer(ctx: ImportContext, node: Node, x: Value, scale: np.ndarray, shift: np.ndarray) -> Value:
    """`x * scale + shift` per channel on a float stream: a depthwise 1x1 conv (a diagonal linear for vectors)."""
    s = ctx.stream(x, node)
    if s.is_int:
        raise Unsupported("scales or shifts a quantised tensor by a constant; quantise after it (fold it first)")
    c = s.dims[2]
    layer = ctx.b.layer_name(node.name)
    if len(s.shape) == 4:
        params = {"kernel": [1, 1], "stride": [1, 1], "pad": [0, 0, 0, 0], "groups": c}
        return Pending(
            "conv", layer, s.shape, s.dims, [s], params=params,
            weights=scale.reshape(c, 1, 1, 1).astype(np.float32), bias=shift.astype(np.float32),
        )  # fmt: skip
    if s.flat:
        raise Unsupported("scales a flattened feature map per channel")
    return Pending("linear", layer, s.shape, s.dims, [s], weights=np.diag(scale).astype(np.float32), bias=shift)


@handles("Mul", produces=[ConvOp, LinearOp])
def mul(ctx: ImportContext, node: Node) -> Value:
    """A per-channel constant scale (a BatchNormalization written as Mul + Add): folded into the conv/linear
    before it, else a depthwise 1x1 conv."""
    consts = [i for i in (0, 1) if isinstance(node.inputs[i], Const)]
    if not consts:
        raise Unsupported("multiplies two feature maps; only a per-channel constant scale is supported")
    x, c = node.inputs[1 - consts[0]], node.inputs[consts[0]].array
    shape = onnx_shape(x)
    if shape is None:
        raise Unsupported("input shape unknown")
    channels = shape[1] if len(shape) > 1 else 1
    probe = Pending("mul", node.name, tuple(shape), (1, 1, channels), [])
    vec = _channel_vector(c.astype(np.float64), probe, node)
    p = fusable(ctx, node, ("conv", "linear"), 1 - consts[0])
    if p is not None and not p.is_int and not p.has_epilogue:
        k = vec.reshape((-1,) + (1,) * (p.weights.ndim - 1))
        return p.copy(
            weights=(p.weights.astype(np.float64) * k).astype(np.float32),
            bias=None if p.bias is None else (p.bias.astype(np.float64) * vec).astype(np.float32),
        )
    return _per_channel_float_layer(ctx, node, x, vec, np.zeros(channels, np.float32))


@handles("Sum", produces=[AddOp])
def sum_(ctx: ImportContext, node: Node) -> Value:
    """Sum of two feature maps (older exporters' residual add) is an Add."""
    if len([v for v in node.inputs if v is not None]) != 2:
        raise Unsupported(f"sums {len(node.inputs)} inputs; only two are supported")
    return add(ctx, node)


@handles("Add", produces=[AddOp, ConvOp, LinearOp])
def add(ctx: ImportContext, node: Node) -> Value:
    consts = [i for i in (0, 1) if isinstance(node.inputs[i], Const | QConst)]
    if consts:
        other = 1 - consts[0]
        p = fusable(ctx, node, ("conv", "linear"), other)
        c = node.inputs[consts[0]]
        if (p is None or p.has_epilogue) and isinstance(c, Const) and not is_int(node.inputs[other]):
            x = node.inputs[other]
            shape = onnx_shape(x)
            if shape is not None and len(shape) in (2, 4):
                probe = Pending("add", node.name, tuple(shape), (1, 1, shape[1]), [])
                vec = _channel_vector(c.array.astype(np.float64), probe, node)
                return _per_channel_float_layer(ctx, node, x, np.ones(shape[1]), vec)
        if p is None or p.has_epilogue:
            raise Unsupported(
                "adds a constant; only a bias right after a Conv/Gemm/MatMul (with no other reader) is supported"
            )
        if p.is_int:
            vec = _channel_vector(c.ints if isinstance(c, QConst) else c.array, p, node)
            scale = per_tensor_scale(c, node, "the bias") if isinstance(c, QConst) else 1.0
            ints = np.rint(vec.astype(np.float64) * scale / p.scale).astype(np.int64)
            return p.copy(bias=ints if p.bias is None else p.bias + ints)
        vec = _channel_vector(float_weights(c), p, node).astype(np.float32)
        return p.copy(bias=vec if p.bias is None else p.bias + vec)
    a = ctx.stream(node.inputs[0], node, 0)
    b = ctx.stream(node.inputs[1], node, 1)
    if a.shape != b.shape or a.flat or b.flat:
        raise Unsupported(
            f"adds shapes {list(a.shape)} and {list(b.shape)}; only equal feature-map shapes are supported"
        )
    layer = ctx.b.layer_name(node.name)
    if not a.is_int and not b.is_int:
        return Pending("add", layer, a.shape, a.dims, [a, b])
    if not (a.is_int and b.is_int and a.dq and b.dq):
        raise Unsupported("adds a float and a quantised tensor; mixed float/integer graphs are not supported")
    lhs_mult, rhs_mult, acc_scale = _align(a.scale, b.scale)
    # zero points: (a - za) * lm + (b - zb) * rm = a * lm + b * rm + offset
    offset = -(a.zero_point * lhs_mult + b.zero_point * rhs_mult)
    params = {"lhs_mult": lhs_mult, "rhs_mult": rhs_mult, "offset": offset}
    if lhs_mult * acc_scale != a.scale or rhs_mult * acc_scale != b.scale:  # approximate: emit.py rescales
        params["operands"] = (a.scale, a.zero_point, b.scale, b.zero_point)
    return Pending("add", layer, a.shape, a.dims, [a, b], scale=acc_scale, params=params)


ADD_MULTIPLIER_BITS = 22
"""Operand multipliers of an add with unrelated scales have at most this many bits while the add is pending: a
9-bit operand (uint8 minus its zero point) times 2^22, twice, stays below the 2^32 a requant's input may reach
(the HLS lowering's bound).  An add closed by a QuantizeLinear is re-scaled when emitted, each operand straight
to the output scale with 31 bits (emit.exact_add_multipliers), so its rounding follows the exact formula."""


def _align(sa: float, sb: float) -> tuple[int, int, float]:
    """Integer multipliers bringing two scales to a common one (exact when their ratio is a power of two)."""
    small = min(sa, sb)
    ra, rb = sa / small, sb / small
    if ra == round(ra) and rb == round(rb) and max(ra, rb) < 2**ADD_MULTIPLIER_BITS:
        return int(ra), int(rb), small
    common = max(sa, sb) / 2**ADD_MULTIPLIER_BITS
    ma, mb = round(sa / common), round(sb / common)
    if min(ma, mb) == 0:
        raise Unsupported(f"adds tensors whose scales {sa:g} and {sb:g} are more than 2^22 apart")
    while ma % 2 == 0 and mb % 2 == 0:
        ma, mb, common = ma // 2, mb // 2, common * 2
    return ma, mb, common


# BatchNormalization -----------------------------------------------------------------


@handles("BatchNormalization", produces=[ConvOp, LinearOp])
def batch_norm(ctx: ImportContext, node: Node) -> Value:
    if node.attr("training_mode", 0):
        raise Unsupported("training_mode = 1 is not supported (export the model in eval mode)")
    gamma, beta, mean, var = (
        node.const(i, n).astype(np.float64) for i, n in enumerate(("scale", "B", "mean", "var"), 1)
    )
    eps = float(node.attr("epsilon", 1e-5))
    k = gamma / np.sqrt(var + eps)
    shift = beta - mean * k
    p = fusable(ctx, node, ("conv", "linear"))
    if p is not None and not p.is_int and not p.has_epilogue:
        scale = k.reshape((-1,) + (1,) * (p.weights.ndim - 1))
        bias = p.bias.astype(np.float64) if p.bias is not None else np.zeros(len(k))
        return p.copy(
            weights=(p.weights.astype(np.float64) * scale).astype(np.float32),
            bias=(bias * k + shift).astype(np.float32),
        )
    x = ctx.stream(node.inputs[0], node)
    if x.is_int:
        raise Unsupported("normalises a quantised tensor; fold BatchNormalization into the conv before quantising")
    c = x.dims[2]
    layer = ctx.b.layer_name(node.name)
    if len(x.shape) == 4:
        params = {"kernel": [1, 1], "stride": [1, 1], "pad": [0, 0, 0, 0], "groups": c}
        return Pending(
            "conv", layer, x.shape, x.dims, [x], params=params,
            weights=k.reshape(c, 1, 1, 1).astype(np.float32), bias=shift.astype(np.float32),
        )  # fmt: skip
    if x.flat:
        raise Unsupported("normalises a flattened feature map")
    return Pending(
        "linear", layer, x.shape, x.dims, [x], weights=np.diag(k).astype(np.float32), bias=shift.astype(np.float32)
    )


# activations ------------------------------------------------------------------------


def float_activation(lo: float, hi: float) -> ActivationAttr:
    if lo == 0 and hi == math.inf:
        return ActivationAttr("relu")
    if lo == 0 and hi == 6:
        return ActivationAttr("relu6")
    return ActivationAttr("clip", lo=max(lo, -FLOAT_MAX), hi=min(hi, FLOAT_MAX))


def _apply_activation(ctx: ImportContext, node: Node, activation: ActivationAttr) -> Value:
    """A float activation: fused into the producing conv/linear/add, or a dataflow.activation."""
    p = fusable(ctx, node, ("conv", "linear", "add"))
    if p is not None and not p.is_int and p.activation is None:
        return p.copy(activation=activation)
    x = ctx.stream(node.inputs[0], node)
    if x.is_int:
        raise Unsupported(
            f"{activation.kind.data} has no integer form; only Relu and Clip are supported on quantised tensors"
        )
    op = ActivationOp(x.ssa, activation, layer=ctx.b.layer_name(node.name))
    ctx.b.append(op)
    return Stream(op.results[0], x.shape, x.dims)


def _bounded(ctx: ImportContext, node: Node, lo: float, hi: float, explicit_range: bool) -> Value:
    """Relu (lo = 0) or Clip: fused as an activation (float) or saturation bounds (integer)."""
    x = node.inputs[0]
    if isinstance(x, Const):
        clipped = np.clip(x.array, lo, hi).astype(x.array.dtype)
        if np.issubdtype(x.array.dtype, np.integer) and explicit_range:
            old = x.qrange or (int(np.iinfo(x.array.dtype).min), int(np.iinfo(x.array.dtype).max))
            return Const(clipped, (max(old[0], math.ceil(lo)), min(old[1], math.floor(hi))))
        return Const(clipped, x.qrange)
    if isinstance(x, IntVal) or (isinstance(x, Stream) and x.is_int and not x.dq):
        return narrow(ctx, node, lo, hi, explicit_range)
    if isinstance(x, Pending) and x.is_int and ctx.single_use(node.input_name(0)):
        return x.copy(lo=max(x.lo, lo), hi=min(x.hi, hi))
    if is_int(x) or (isinstance(x, Stream) and x.is_int):
        s = ctx.stream(x, node)
        return Pending("requantize", ctx.b.layer_name(node.name), s.shape, s.dims, [s], scale=s.scale, lo=lo, hi=hi)
    return _apply_activation(ctx, node, float_activation(lo, hi))


@handles("Relu", produces=[ActivationOp, RequantizeOp])
def relu(ctx: ImportContext, node: Node) -> Value:
    return _bounded(ctx, node, 0.0, math.inf, False)


@handles("Clip", produces=[ActivationOp, RequantizeOp])
def clip(ctx: ImportContext, node: Node) -> Value:
    if node.opset >= 11:
        lo = node.optional_const(1, "min")
        hi = node.optional_const(2, "max")
        lo = -math.inf if lo is None else float(lo.reshape(-1)[0])
        hi = math.inf if hi is None else float(hi.reshape(-1)[0])
    else:  # pragma: no cover - opsets below 11 are rejected at load time
        lo, hi = float(node.attr("min", -math.inf)), float(node.attr("max", math.inf))
    return _bounded(ctx, node, lo, hi, True)


@handles("LeakyRelu", produces=[ActivationOp])
def leaky_relu(ctx: ImportContext, node: Node) -> Value:
    return _apply_activation(ctx, node, ActivationAttr("leaky_relu", alpha=float(node.attr("alpha", 0.01))))


@handles("Sigmoid", produces=[ActivationOp])
def sigmoid(ctx: ImportContext, node: Node) -> Value:
    return _apply_activation(ctx, node, ActivationAttr("sigmoid"))


# Softmax ------------------------------------------------------------------------------


@handles("Softmax", produces=[SoftmaxOp])
def softmax(ctx: ImportContext, node: Node) -> Value:
    x = node.inputs[0]
    if is_int(x) or (isinstance(x, Stream) and x.is_int):
        # A quantised classifier's final Softmax: dropped (argmax is unchanged), recorded on the func.
        return DroppedSoftmax(x, node.name)
    s = ctx.stream(x, node)
    rank = len(s.shape)
    axis = int(node.attr("axis", -1 if node.opset >= 13 else 1))
    axis = axis + rank if axis < 0 else axis
    per_pixel = rank == 2 and axis == 1 or rank == 4 and axis == 1 and (node.opset >= 13 or s.dims[:2] == (1, 1))
    if not per_pixel or s.flat:
        raise Unsupported(f"softmax over axis {node.attr('axis', 'default')} of {list(s.shape)}; only over channels")
    op = SoftmaxOp(s.ssa, layer=ctx.b.layer_name(node.name))
    ctx.b.append(op)
    return Stream(op.results[0], s.shape, s.dims)
