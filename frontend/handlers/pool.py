"""Pooling: MaxPool, AveragePool as `dataflow.pool`; GlobalAveragePool, GlobalMaxPool, ReduceMean/Max over
H and W as `dataflow.global_pool`.

Max pooling keeps the type and scale, so it is emitted at once.  Integer
average pooling sums its window and rescales by `1/(Kh*Kw)` (`1/(H*W)`): it
is held back as a `Pending` layer until the QuantizeLinear after it gives the
requant.  Without one it emits its i32 sum, and a Relu/Clip fused into it
becomes a `dataflow.activation` named `<pool>.act` (emit.py).  AveragePool with pads and
`count_include_pad = 0` divides each window by its real pixels (`exclude_pad`); on integers the
requant does that division, so it needs the QuantizeLinear after it; between a DequantizeLinear
and a QuantizeLinear the mean is then computed in float32 as the QDQ reference does (`qdq_scales`:
its exact ties, x.5, land where onnxruntime's float32 sum puts them).
"""

from __future__ import annotations

from fpga_opt.dialects.dataflow import ActivationOp, GlobalPoolOp, PoolOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.emit import stream_type
from fpga_opt.frontend.handlers.inputs import feature_map
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.layout import window
from fpga_opt.frontend.values import Pending, Stream, Value


@handles("MaxPool", produces=[PoolOp])
def max_pool(ctx: ImportContext, node: Node) -> Value:
    x = feature_map(ctx, node)
    if not node.attrs.get("kernel_shape"):
        raise Unsupported("MaxPool without kernel_shape")
    kernel, stride, pad, (ho, wo) = window(node.attrs, x.dims[:2], node.attrs["kernel_shape"], "MaxPool", True)
    dims = (ho, wo, x.dims[2])
    layer = ctx.b.layer_name(node.name)
    op = PoolOp(x.ssa, stream_type(dims, x.itype), mode="max", kernel=kernel, stride=stride, pad=pad, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], (1, x.dims[2], ho, wo), dims, x.scale, x.itype, x.dq, x.zero_point)


@handles("AveragePool", produces=[PoolOp, ActivationOp])
def average_pool(ctx: ImportContext, node: Node) -> Value:
    x = feature_map(ctx, node)
    if not node.attrs.get("kernel_shape"):
        raise Unsupported("AveragePool without kernel_shape")
    kernel, stride, pad, (ho, wo) = window(node.attrs, x.dims[:2], node.attrs["kernel_shape"], "AveragePool")
    # count_include_pad = 0 (the default): a window is divided by its real pixels, not Kh*Kw
    exclude_pad = any(pad) and not node.attr("count_include_pad", 0)
    dims = (ho, wo, x.dims[2])
    shape = (1, x.dims[2], ho, wo)
    layer = ctx.b.layer_name(node.name)
    params = {"kernel": kernel, "stride": stride, "pad": pad, "exclude_pad": exclude_pad}
    area = kernel[0] * kernel[1]
    if x.is_int:
        _dequantised(x, node)
        # an input zero point: the padding holds it, and the sum of a window loses Kh*Kw of it (with
        # exclude_pad too: the padding's zero points cancel, the real pixels lose theirs)
        params.update(pad_value=x.zero_point, offset=-x.zero_point * area)
        # exclude_pad: the requant divides by each window's count itself; its multiplier is the ratio alone
        scale = x.scale if exclude_pad else x.scale / area
        if exclude_pad:  # DQ -> AveragePool -> Q: the mean in the reference's float32 arithmetic (emit.py)
            params["qdq_scale_in"] = x.scale
        return Pending("pool", layer, shape, dims, [x], scale=scale, params=params)
    op = PoolOp(
        x.ssa, stream_type(dims, None), mode="avg", kernel=kernel, stride=stride, pad=pad, exclude_pad=exclude_pad,
        layer=layer,
    )  # fmt: skip
    ctx.b.append(op)
    return Stream(op.results[0], shape, dims)


def _dequantised(x: Stream, node: Node) -> None:
    if not x.dq:
        raise Unsupported(f"{node.op} reads integers; it needs a DequantizeLinear before it")


def _global_pool(ctx: ImportContext, node: Node, mode: str, keepdims: bool) -> Value:
    x = feature_map(ctx, node)
    c = x.dims[2]
    shape = (1, c, 1, 1) if keepdims else (1, c)
    dims = (1, 1, c)
    layer = ctx.b.layer_name(node.name)
    if mode == "avg" and x.is_int:
        _dequantised(x, node)
        pixels = x.dims[0] * x.dims[1]
        params = {"offset": -x.zero_point * pixels}
        return Pending("global_pool", layer, shape, dims, [x], scale=x.scale / pixels, params=params)
    op = GlobalPoolOp(x.ssa, stream_type(dims, x.itype), mode=mode, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], shape, dims, x.scale, x.itype, x.dq, x.zero_point)


@handles("GlobalAveragePool", produces=[GlobalPoolOp, ActivationOp])
def global_average_pool(ctx: ImportContext, node: Node) -> Value:
    return _global_pool(ctx, node, "avg", True)


@handles("GlobalMaxPool", produces=[GlobalPoolOp])
def global_max_pool(ctx: ImportContext, node: Node) -> Value:
    return _global_pool(ctx, node, "max", True)


def _reduce_axes(node: Node) -> list[int] | None:
    if node.opset >= 18:
        return [int(a) for a in node.const(1, "axes").reshape(-1)] if node.has_input(1) else None
    axes = node.attr("axes")
    return None if axes is None else [int(a) for a in axes]


@handles("ReduceMean", produces=[GlobalPoolOp, ActivationOp])
@handles("ReduceMax", produces=[GlobalPoolOp])
def reduce_spatial(ctx: ImportContext, node: Node) -> Value:
    axes = _reduce_axes(node)
    shape = ctx.stream(node.inputs[0], node).shape
    norm = sorted({a + len(shape) if a < 0 else a for a in axes}) if axes is not None else None
    if len(shape) != 4 or norm != [2, 3]:
        raise Unsupported(f"reduces axes {axes} of a {list(shape)} tensor; only the spatial axes [2, 3] are supported")
    mode = "avg" if node.op == "ReduceMean" else "max"
    return _global_pool(ctx, node, mode, bool(node.attr("keepdims", 1)))
