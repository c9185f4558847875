"""Conv: 2-D convolutions (grouped and depthwise included) as `dataflow.conv`.

The conv is held back as a `Pending` layer: a BatchNormalization, a bias Add,
a Relu/Clip or the QuantizeLinear after it may still fold into its epilogue
(eltwise.py, quant.py).  On dequantised integer input and weights it
accumulates exactly at `s_in * s_w`.
"""

from __future__ import annotations

from fpga_opt.dialects.dataflow import ConvOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers.inputs import (
    FineBiasSource,
    exact_bias,
    feature_map,
    float_weights,
    int_bias,
    per_channel,
    weight_scale,
    weights,
    zero_point_correction,
)
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.layout import dilations, window
from fpga_opt.frontend.values import Pending, QConst, Value


@handles("Conv", produces=[ConvOp])
def conv(ctx: ImportContext, node: Node) -> Value:
    w = weights(node, 1)
    b = weights(node, 2, "bias") if node.has_input(2) else None
    w_shape = w.ints.shape if isinstance(w, QConst) else w.array.shape
    if len(w_shape) != 4:
        raise Unsupported(f"weights of shape {list(w_shape)}: only 2-D convolutions are supported")
    x = feature_map(ctx, node)
    groups = int(node.attr("group", 1))
    c_out, c_in_per_group, kh, kw = (int(d) for d in w_shape)
    if c_in_per_group * groups != x.dims[2]:
        raise Unsupported(f"weights {list(w_shape)} with group = {groups} do not match {x.dims[2]} input channels")
    if "kernel_shape" in node.attrs and list(node.attrs["kernel_shape"]) != [kh, kw]:
        raise Unsupported(f"kernel_shape {list(node.attrs['kernel_shape'])} differs from the weights' {[kh, kw]}")
    kernel, stride, pad, (ho, wo) = window(node.attrs, (x.dims[0], x.dims[1]), [kh, kw], "Conv", dilated=True)
    params = {"kernel": kernel, "stride": stride, "pad": pad, "groups": groups, "dilation": dilations(node.attrs)}
    shape, dims = (1, c_out, ho, wo), (ho, wo, c_out)
    layer = ctx.b.layer_name(node.name)
    if x.is_int:
        if not isinstance(w, QConst):
            raise Unsupported("reads a quantised input but its weights are float (dequantise integer weights)")
        acc_scale = x.scale * weight_scale(w, node, c_out, 0)
        # an input zero point: the padding holds it (the real 0.0) and the bias removes zp * sum(w)
        params["pad_value"] = x.zero_point
        correction = zero_point_correction(w.ints, x.zero_point)
        bias = int_bias(b, acc_scale, c_out, node, correction=correction)
        params["fine"] = FineBiasSource(exact_bias(b, c_out, node), bias, correction, acc_scale)
        return Pending(
            "conv", layer, shape, dims, [x], scale=acc_scale, params=params,
            weights=w.ints, weight_type=w.itype, bias=bias,
        )  # fmt: skip
    bias = per_channel(float_weights(b), c_out, node, "bias") if b is not None else None
    return Pending("conv", layer, shape, dims, [x], params=params, weights=float_weights(w), bias=bias)
