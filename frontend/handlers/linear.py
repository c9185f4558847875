"""Gemm and MatMul with constant weights as `dataflow.linear`.

The input is a vector `[1, K]`; a flattened feature map is read in the
stream's HWC order, so the weight columns are permuted from ONNX's CHW order
(layout.py).  Like a conv, the layer is held back as a `Pending` one so that
a bias Add, an activation or a QuantizeLinear can fold into it.
"""

from __future__ import annotations

import numpy as np

from fpga_opt.dialects.dataflow import LinearOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers.inputs import (
    FineBiasSource,
    exact_bias,
    float_weights,
    int_bias,
    per_channel,
    weight_scale,
    weights,
    zero_point_correction,
)
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.layout import chw_to_hwc_columns
from fpga_opt.frontend.values import Const, Pending, QConst, Stream, Value


def _vector_input(ctx: ImportContext, node: Node) -> Stream:
    x = ctx.stream(node.inputs[0], node)
    if len(x.shape) != 2 or x.shape[0] != 1:
        raise Unsupported(
            f"input '{node.input_name(0)}' has shape {list(x.shape)}; a linear layer needs [1, K] "
            "(a Flatten/Reshape of a feature map is absorbed)"
        )
    return x


def _linear(
    ctx: ImportContext,
    node: Node,
    x: Stream,
    w: Const | QConst,
    rows: np.ndarray,
    alpha: float,
    bias: Const | QConst | None,
    beta: float,
    out_axis: int,
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
        acc_scale = x.scale * weight_scale(w, node, n, out_axis) * alpha
        correction = zero_point_correction(rows, x.zero_point)
        ints = int_bias(bias, acc_scale, n, node, beta, correction)
        fine = FineBiasSource(exact_bias(bias, n, node, beta), ints, correction, acc_scale)
        return Pending(
            "linear", layer, shape, dims, [x], scale=acc_scale, weights=rows,
            weight_type=w.itype, bias=ints, params={"fine": fine},
        )  # fmt: skip
    b = per_channel(float_weights(bias) * np.float32(beta), n, node, "bias") if bias is not None else None
    return Pending("linear", layer, shape, dims, [x], weights=rows * np.float32(alpha), bias=b)


def _matrix(w: Const | QConst) -> np.ndarray:
    m = w.ints if isinstance(w, QConst) else w.array.astype(np.float32)
    if m.ndim != 2:
        raise Unsupported(f"weights of shape {list(m.shape)}: a linear layer needs a 2-D weight matrix")
    return m


@handles("Gemm", produces=[LinearOp])
def gemm(ctx: ImportContext, node: Node) -> Value:
    if node.attr("transA", 0):
        raise Unsupported("transA = 1 is not supported")
    w = weights(node, 1)
    c = weights(node, 2, "bias") if node.has_input(2) else None
    x = _vector_input(ctx, node)
    m = _matrix(w)
    rows = m if node.attr("transB", 0) else m.T
    alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
    return _linear(ctx, node, x, w, rows, alpha, c, beta, 0 if node.attr("transB", 0) else 1)


@handles("MatMul", produces=[LinearOp])
def matmul(ctx: ImportContext, node: Node) -> Value:
    w = weights(node, 1)
    x = _vector_input(ctx, node)
    return _linear(ctx, node, x, w, _matrix(w).T, 1.0, None, 1.0, 1)
