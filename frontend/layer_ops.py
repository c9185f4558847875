"""Handlers of the layer ops: Conv, Gemm/MatMul, Add, BatchNormalization, pools, Concat, activations, Softmax.

Each handler serves both worlds.  On float inputs it builds float layers
(BatchNormalization folded into the conv before it, a bias Add folded into
the conv/linear before it, Relu/Clip/LeakyRelu fused into the producer's
`activation` when the producer has no other reader).  On dequantised
integer inputs (a DequantizeLinear's output) with dequantised integer
weights it builds integer layers that accumulate exactly at scale
`s_in * s_w`; the QuantizeLinear that follows decides their requant
(quant_ops.py), and a Relu/Clip in between becomes saturation bounds.
"""

from __future__ import annotations

import math

import numpy as np

from fpga_opt.dialects.dataflow import ActivationAttr, ActivationOp, ConcatOp, GlobalPoolOp, PoolOp, SoftmaxOp
from fpga_opt.frontend import quant_ops
from fpga_opt.frontend.emit import stream_type
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.layout import chw_to_hwc_columns, window
from fpga_opt.frontend.lowering import Lowering, Node, handles
from fpga_opt.frontend.values import (
    Const,
    DroppedSoftmax,
    IntVal,
    Pending,
    QConst,
    Stream,
    Value,
    is_int,
)

FLOAT_MAX = float(np.finfo(np.float32).max)


# helpers ------------------------------------------------------------------------


def _feature_map(ctx: Lowering, node: Node, index: int = 0) -> Stream:
    x = ctx.stream(node.inputs[index], node, index)
    if len(x.shape) != 4:
        raise Unsupported(f"input '{node.input_name(index)}' has shape {list(x.shape)}; {node.op} needs [1, C, H, W]")
    return x


def _weights(node: Node, index: int, what: str = "weights") -> Const | QConst:
    value = node.inputs[index] if index < len(node.inputs) else None
    if not isinstance(value, Const | QConst):
        raise Unsupported(
            f"{what} '{node.input_name(index)}' are not constant; fpga-opt needs constant weights "
            "(an initializer, a Constant node, or a DequantizeLinear/Quant of one)"
        )
    return value


def _per_tensor(q: QConst, node: Node, what: str) -> float:
    scale = q.per_tensor_scale
    if scale is None:
        raise Unsupported(
            f"{what} '{node.proto.input[1]}' use per-channel scales; only per-tensor scales are supported "
            "(the requant is per tensor)"
        )
    return scale


def _float_array(value: Const | QConst) -> np.ndarray:
    return value.dequantised() if isinstance(value, QConst) else value.array.astype(np.float32, copy=False)


def _int_bias(
    bias: Const | QConst | None, acc_scale: float, n: int, node: Node, factor: float = 1.0
) -> np.ndarray | None:
    """The bias in the accumulator's integer domain (exact when its scale is s_in * s_w, as quantisers write it)."""
    if bias is None:
        return None
    if isinstance(bias, QConst):
        scale = bias.scale.reshape(-1)
        values = bias.ints.reshape(-1).astype(np.float64) * (scale if scale.size > 1 else float(scale[0]))
    else:
        values = bias.array.reshape(-1).astype(np.float64)
    ints = np.rint(values * factor / acc_scale).astype(np.int64)
    return _per_channel(ints, n, node, "bias")


def _per_channel(values: np.ndarray, n: int, node: Node, what: str) -> np.ndarray:
    flat = values.reshape(-1)
    if flat.size == 1:
        return np.full(n, flat[0], dtype=flat.dtype)
    if flat.size != n:
        raise Unsupported(f"{what} has {flat.size} values for {n} channels")
    return flat


def _fusable(ctx: Lowering, node: Node, kinds: tuple[str, ...], index: int = 0) -> Pending | None:
    """The pending layer feeding input `index`, when this node may fold into it."""
    value = node.inputs[index]
    if isinstance(value, Pending) and value.kind in kinds and ctx.single_use(node.input_name(index)):
        return value
    return None


# Conv ---------------------------------------------------------------------------


@handles("Conv")
def conv(ctx: Lowering, node: Node) -> Value:
    w = _weights(node, 1)
    b = _weights(node, 2, "bias") if node.has_input(2) else None
    w_shape = w.ints.shape if isinstance(w, QConst) else w.array.shape
    if len(w_shape) != 4:
        raise Unsupported(f"weights of shape {list(w_shape)}: only 2-D convolutions are supported")
    x = _feature_map(ctx, node)
    groups = int(node.attr("group", 1))
    c_out, c_in_per_group, kh, kw = (int(d) for d in w_shape)
    if c_in_per_group * groups != x.dims[2]:
        raise Unsupported(f"weights {list(w_shape)} with group = {groups} do not match {x.dims[2]} input channels")
    if "kernel_shape" in node.attrs and list(node.attrs["kernel_shape"]) != [kh, kw]:
        raise Unsupported(f"kernel_shape {list(node.attrs['kernel_shape'])} differs from the weights' {[kh, kw]}")
    kernel, stride, pad, (ho, wo) = window(node.attrs, (x.dims[0], x.dims[1]), [kh, kw], "Conv")
    params = {"kernel": kernel, "stride": stride, "pad": pad, "groups": groups}
    shape, dims = (1, c_out, ho, wo), (ho, wo, c_out)
    layer = ctx.b.layer_name(node.name)
    if x.is_int:
        if not isinstance(w, QConst):
            raise Unsupported("reads a quantised input but its weights are float (dequantise integer weights)")
        acc_scale = x.scale * _per_tensor(w, node, "weights")
        return Pending(
            "conv", layer, shape, dims, [x], scale=acc_scale, params=params,
            weights=w.ints, weight_type=w.itype, bias=_int_bias(b, acc_scale, c_out, node),
        )  # fmt: skip
    bias = _per_channel(_float_array(b), c_out, node, "bias") if b is not None else None
    return Pending("conv", layer, shape, dims, [x], params=params, weights=_float_array(w), bias=bias)


# Gemm / MatMul ------------------------------------------------------------------


def _vector_input(ctx: Lowering, node: Node) -> Stream:
    x = ctx.stream(node.inputs[0], node)
    if len(x.shape) != 2 or x.shape[0] != 1:
        raise Unsupported(
            f"input '{node.input_name(0)}' has shape {list(x.shape)}; a linear layer needs [1, K] "
            "(a Flatten/Reshape of a feature map is absorbed)"
        )
    return x


def _linear(
    ctx: Lowering,
    node: Node,
    x: Stream,
    w: Const | QConst,
    rows: np.ndarray,
    alpha: float,
    bias: Const | QConst | None,
    beta: float,
) -> Value:
    """A linear layer with `rows` = the `[N, K]` weight matrix (CHW column order when `x` is flattened)."""
    n, k = rows.shape
    if k != x.shape[1]:
        raise Unsupported(f"weights [{n}, {k}] do not match the input's {x.shape[1]} features")
    if x.flat:
        rows = chw_to_hwc_columns(rows, x.dims)
    layer = ctx.b.layer_name(node.name)
    shape, dims = (1, n), (1, 1, n)
    if x.is_int:
        if not isinstance(w, QConst):
            raise Unsupported("reads a quantised input but its weights are float (dequantise integer weights)")
        acc_scale = x.scale * _per_tensor(w, node, "weights") * alpha
        return Pending(
            "linear", layer, shape, dims, [x], scale=acc_scale, weights=rows,
            weight_type=w.itype, bias=_int_bias(bias, acc_scale, n, node, beta),
        )  # fmt: skip
    b = _per_channel(_float_array(bias) * np.float32(beta), n, node, "bias") if bias is not None else None
    return Pending("linear", layer, shape, dims, [x], weights=rows * np.float32(alpha), bias=b)


def _matrix(w: Const | QConst) -> np.ndarray:
    m = w.ints if isinstance(w, QConst) else w.array.astype(np.float32)
    if m.ndim != 2:
        raise Unsupported(f"weights of shape {list(m.shape)}: a linear layer needs a 2-D weight matrix")
    return m


@handles("Gemm")
def gemm(ctx: Lowering, node: Node) -> Value:
    if node.attr("transA", 0):
        raise Unsupported("transA = 1 is not supported")
    w = _weights(node, 1)
    c = _weights(node, 2, "bias") if node.has_input(2) else None
    x = _vector_input(ctx, node)
    m = _matrix(w)
    rows = m if node.attr("transB", 0) else m.T
    return _linear(ctx, node, x, w, rows, float(node.attr("alpha", 1.0)), c, float(node.attr("beta", 1.0)))


@handles("MatMul")
def matmul(ctx: Lowering, node: Node) -> Value:
    w = _weights(node, 1)
    x = _vector_input(ctx, node)
    return _linear(ctx, node, x, w, _matrix(w).T, 1.0, None, 1.0)


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


@handles("Add")
def add(ctx: Lowering, node: Node) -> Value:
    consts = [i for i in (0, 1) if isinstance(node.inputs[i], Const | QConst)]
    if consts:
        other = 1 - consts[0]
        p = _fusable(ctx, node, ("conv", "linear"), other)
        if p is None or p.has_epilogue:
            raise Unsupported(
                "adds a constant; only a bias right after a Conv/Gemm/MatMul (with no other reader) is supported"
            )
        c = node.inputs[consts[0]]
        if p.is_int:
            vec = _channel_vector(c.ints if isinstance(c, QConst) else c.array, p, node)
            scale = _per_tensor(c, node, "the bias") if isinstance(c, QConst) else 1.0
            ints = np.rint(vec.astype(np.float64) * scale / p.scale).astype(np.int64)
            return p.copy(bias=ints if p.bias is None else p.bias + ints)
        vec = _channel_vector(_float_array(c), p, node).astype(np.float32)
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
    return Pending(
        "add", layer, a.shape, a.dims, [a, b], scale=acc_scale, params={"lhs_mult": lhs_mult, "rhs_mult": rhs_mult}
    )


def _align(sa: float, sb: float, bits: int = 16) -> tuple[int, int, float]:
    """Integer multipliers bringing two scales to a common one (exact when their ratio is a power of two)."""
    small = min(sa, sb)
    ra, rb = sa / small, sb / small
    if ra == round(ra) and rb == round(rb):
        return int(ra), int(rb), small
    ma, mb = round(ra * 2**bits), round(rb * 2**bits)
    common = small / 2**bits
    while ma % 2 == 0 and mb % 2 == 0:
        ma, mb, common = ma // 2, mb // 2, common * 2
    return ma, mb, common


# BatchNormalization -----------------------------------------------------------------


@handles("BatchNormalization")
def batch_norm(ctx: Lowering, node: Node) -> Value:
    if node.attr("training_mode", 0):
        raise Unsupported("training_mode = 1 is not supported (export the model in eval mode)")
    gamma, beta, mean, var = (
        node.const(i, n).astype(np.float64) for i, n in enumerate(("scale", "B", "mean", "var"), 1)
    )
    eps = float(node.attr("epsilon", 1e-5))
    k = gamma / np.sqrt(var + eps)
    shift = beta - mean * k
    p = _fusable(ctx, node, ("conv", "linear"))
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


# pooling ----------------------------------------------------------------------------


@handles("MaxPool")
def max_pool(ctx: Lowering, node: Node) -> Value:
    x = _feature_map(ctx, node)
    if not node.attrs.get("kernel_shape"):
        raise Unsupported("MaxPool without kernel_shape")
    kernel, stride, pad, (ho, wo) = window(node.attrs, x.dims[:2], node.attrs["kernel_shape"], "MaxPool")
    dims = (ho, wo, x.dims[2])
    layer = ctx.b.layer_name(node.name)
    op = PoolOp(x.ssa, stream_type(dims, x.itype), mode="max", kernel=kernel, stride=stride, pad=pad, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], (1, x.dims[2], ho, wo), dims, x.scale, x.itype, x.dq)


@handles("AveragePool")
def average_pool(ctx: Lowering, node: Node) -> Value:
    x = _feature_map(ctx, node)
    if not node.attrs.get("kernel_shape"):
        raise Unsupported("AveragePool without kernel_shape")
    kernel, stride, pad, (ho, wo) = window(node.attrs, x.dims[:2], node.attrs["kernel_shape"], "AveragePool")
    if any(pad) and not node.attr("count_include_pad", 0):
        raise Unsupported(
            "pads with count_include_pad = 0 are not supported: dataflow.pool divides by Kh*Kw "
            "(export with count_include_pad=True, or pad explicitly)"
        )
    dims = (ho, wo, x.dims[2])
    shape = (1, x.dims[2], ho, wo)
    layer = ctx.b.layer_name(node.name)
    params = {"kernel": kernel, "stride": stride, "pad": pad}
    if x.is_int:
        _dequantised(x, node)
        return Pending("pool", layer, shape, dims, [x], scale=x.scale / (kernel[0] * kernel[1]), params=params)
    op = PoolOp(x.ssa, stream_type(dims, None), mode="avg", kernel=kernel, stride=stride, pad=pad, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], shape, dims)


def _dequantised(x: Stream, node: Node) -> None:
    if not x.dq:
        raise Unsupported(f"{node.op} reads integers; it needs a DequantizeLinear before it")


def _global_pool(ctx: Lowering, node: Node, mode: str, keepdims: bool) -> Value:
    x = _feature_map(ctx, node)
    c = x.dims[2]
    shape = (1, c, 1, 1) if keepdims else (1, c)
    dims = (1, 1, c)
    layer = ctx.b.layer_name(node.name)
    if mode == "avg" and x.is_int:
        _dequantised(x, node)
        return Pending("global_pool", layer, shape, dims, [x], scale=x.scale / (x.dims[0] * x.dims[1]))
    op = GlobalPoolOp(x.ssa, stream_type(dims, x.itype), mode=mode, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], shape, dims, x.scale, x.itype, x.dq)


@handles("GlobalAveragePool")
def global_average_pool(ctx: Lowering, node: Node) -> Value:
    return _global_pool(ctx, node, "avg", True)


@handles("GlobalMaxPool")
def global_max_pool(ctx: Lowering, node: Node) -> Value:
    return _global_pool(ctx, node, "max", True)


def _reduce_axes(node: Node) -> list[int] | None:
    if node.opset >= 18:
        return [int(a) for a in node.const(1, "axes").reshape(-1)] if node.has_input(1) else None
    axes = node.attr("axes")
    return None if axes is None else [int(a) for a in axes]


@handles("ReduceMean", "ReduceMax")
def reduce_spatial(ctx: Lowering, node: Node) -> Value:
    axes = _reduce_axes(node)
    shape = ctx.stream(node.inputs[0], node).shape
    norm = sorted({a + len(shape) if a < 0 else a for a in axes}) if axes is not None else None
    if len(shape) != 4 or norm != [2, 3]:
        raise Unsupported(f"reduces axes {axes} of a {list(shape)} tensor; only the spatial axes [2, 3] are supported")
    mode = "avg" if node.op == "ReduceMean" else "max"
    return _global_pool(ctx, node, mode, bool(node.attr("keepdims", 1)))


# Concat -----------------------------------------------------------------------------


@handles("Concat")
def concat(ctx: Lowering, node: Node) -> Value:
    streams = [ctx.stream(v, node, i) for i, v in enumerate(node.inputs) if v is not None]
    rank = len(streams[0].shape)
    axis = int(node.attr("axis"))
    axis = axis + rank if axis < 0 else axis
    if axis != 1 or any(len(s.shape) != rank for s in streams):
        raise Unsupported(f"concatenates along axis {node.attr('axis')}; only channels (axis 1) are supported")
    if any(s.flat for s in streams) or len({s.dims[:2] for s in streams}) != 1:
        raise Unsupported("concatenates feature maps of different heights/widths (or flattened ones)")
    if len(streams) == 1:
        return streams[0]
    c = sum(s.dims[2] for s in streams)
    dims = (streams[0].dims[0], streams[0].dims[1], c)
    shape = (1, c) + tuple(streams[0].shape[2:])
    layer = ctx.b.layer_name(node.name)
    kinds = {s.is_int for s in streams}
    if kinds == {False}:
        op = ConcatOp([s.ssa for s in streams], stream_type(dims, None), layer=layer)
        ctx.b.append(op)
        return Stream(op.results[0], shape, dims)
    if kinds != {True} or len({s.dq for s in streams}) != 1:
        raise Unsupported("concatenates float and quantised tensors; mixed float/integer graphs are not supported")
    if len({(s.scale, s.itype) for s in streams}) == 1:
        first = streams[0]
        op = ConcatOp([s.ssa for s in streams], stream_type(dims, first.itype), layer=layer)
        ctx.b.append(op)
        return Stream(op.results[0], shape, dims, first.scale, first.itype, first.dq)
    if not streams[0].dq:
        raise Unsupported("concatenates integer tensors of different types or scales")
    return Pending("concat", layer, shape, dims, streams, scale=min(s.scale for s in streams))


# activations ------------------------------------------------------------------------


def float_activation(lo: float, hi: float) -> ActivationAttr:
    if lo == 0 and hi == math.inf:
        return ActivationAttr("relu")
    if lo == 0 and hi == 6:
        return ActivationAttr("relu6")
    return ActivationAttr("clip", lo=max(lo, -FLOAT_MAX), hi=min(hi, FLOAT_MAX))


def _apply_activation(ctx: Lowering, node: Node, activation: ActivationAttr) -> Value:
    """A float activation: fused into the producing conv/linear/add, or a dataflow.activation."""
    p = _fusable(ctx, node, ("conv", "linear", "add"))
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


def _bounded(ctx: Lowering, node: Node, lo: float, hi: float, explicit_range: bool) -> Value:
    """Relu (lo = 0) or Clip: fused as an activation (float) or saturation bounds (integer)."""
    x = node.inputs[0]
    if isinstance(x, Const):
        clipped = np.clip(x.array, lo, hi).astype(x.array.dtype)
        if np.issubdtype(x.array.dtype, np.integer) and explicit_range:
            old = x.qrange or (int(np.iinfo(x.array.dtype).min), int(np.iinfo(x.array.dtype).max))
            return Const(clipped, (max(old[0], math.ceil(lo)), min(old[1], math.floor(hi))))
        return Const(clipped, x.qrange)
    if isinstance(x, IntVal) or (isinstance(x, Stream) and x.is_int and not x.dq):
        return quant_ops.narrow(ctx, node, lo, hi, explicit_range)
    if isinstance(x, Pending) and x.is_int and ctx.single_use(node.input_name(0)):
        return x.copy(lo=max(x.lo, lo), hi=min(x.hi, hi))
    if is_int(x) or (isinstance(x, Stream) and x.is_int):
        s = ctx.stream(x, node)
        return Pending("requantize", ctx.b.layer_name(node.name), s.shape, s.dims, [s], scale=s.scale, lo=lo, hi=hi)
    return _apply_activation(ctx, node, float_activation(lo, hi))


@handles("Relu")
def relu(ctx: Lowering, node: Node) -> Value:
    return _bounded(ctx, node, 0.0, math.inf, False)


@handles("Clip")
def clip(ctx: Lowering, node: Node) -> Value:
    if node.opset >= 11:
        lo = node.optional_const(1, "min")
        hi = node.optional_const(2, "max")
        lo = -math.inf if lo is None else float(lo.reshape(-1)[0])
        hi = math.inf if hi is None else float(hi.reshape(-1)[0])
    else:  # pragma: no cover - opsets below 11 are rejected at load time
        lo, hi = float(node.attr("min", -math.inf)), float(node.attr("max", math.inf))
    return _bounded(ctx, node, lo, hi, True)


@handles("LeakyRelu")
def leaky_relu(ctx: Lowering, node: Node) -> Value:
    return _apply_activation(ctx, node, ActivationAttr("leaky_relu", alpha=float(node.attr("alpha", 0.01))))


@handles("Sigmoid")
def sigmoid(ctx: Lowering, node: Node) -> Value:
    return _apply_activation(ctx, node, ActivationAttr("sigmoid"))


# Softmax ------------------------------------------------------------------------------


@handles("Softmax")
def softmax(ctx: Lowering, node: Node) -> Value:
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
