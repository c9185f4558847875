"""Binarised networks: QONNX BipolarQuant and MultiThreshold, and the streamlined binarised layers.

Binarised layers arrive here already streamlined (binary_streamline.py):
one `fpga_opt.binary.XnorLayer` / `LutLayer` node per layer, its batch norm
and sign folded into integer popcount thresholds.  They become
`dataflow.xnor_linear`, `xnor_conv` and `lut_linear` on `ui1` streams (bit b
stands for 2b - 1).

A sign that binarises something else -- the network's input -- becomes a
`dataflow.threshold`: `BipolarQuant` (x >= 0) or a one-step bipolar
`MultiThreshold` (x >= T[c]).  On the integers of a quantised input the
threshold is moved into the integer domain exactly: the smallest integer q
whose float32 value `q * scale` passes it.  On a float input it stays a float
comparison.  `BipolarQuant` of a constant is the constant's signs (the
streamliner has already folded the weights of binarised layers).
"""

from __future__ import annotations

import numpy as np

from fpga_opt.dialects.dataflow import LutLinearOp, ThresholdOp, XnorConvOp, XnorLinearOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.emit import stream_type
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.layout import chw_to_hwc_columns
from fpga_opt.frontend.values import ACC, Const, GraphInput, IntType, Stream, Value

BIT_TYPE = IntType(1, False)
"""A binarised stream's element type (`ui1`)."""

MAX_THRESHOLD_SEARCH = 2**16
"""Integer inputs whose type has more values than this are not binarised by a threshold search."""


def _bit_stream(ctx: ImportContext, node: Node) -> Stream:
    x = ctx.stream(node.inputs[0], node)
    if x.itype != BIT_TYPE:
        raise Unsupported(f"input '{node.input_name(0)}' is not binarised (+-1); a binarised layer needs +-1 inputs")
    return x


def _result(op, shape: tuple[int, ...], dims: tuple[int, int, int], node: Node, thresholded: bool) -> Stream:
    scale = float(node.attr("scale", 1.0))
    if thresholded:
        return Stream(op.results[0], shape, dims, scale, BIT_TYPE, dq=False)
    return Stream(op.results[0], shape, dims, scale, ACC, dq=True)


def _output_type(dims: tuple[int, int, int], thresholded: bool):
    return stream_type(dims, BIT_TYPE if thresholded else ACC)


@handles("fpga_opt.binary.XnorLayer", produces=[XnorLinearOp, XnorConvOp])
def xnor_layer(ctx: ImportContext, node: Node) -> Value:
    x = _bit_stream(ctx, node)
    bits = node.const(1, "weights").astype(np.uint8)
    thresholded = node.has_input(2)
    layer = ctx.b.layer_name(node.name)
    w_name = ctx.b.add_weight(layer, "w", bits if bits.ndim == 4 else _dense_columns(bits, x))
    t_name = ctx.b.add_weight(layer, "t", node.const(2, "thresholds").astype(np.int64)) if thresholded else None
    c_out = bits.shape[0]
    kind = node.attr("kind", b"dense")
    if (kind.decode() if isinstance(kind, bytes) else kind) == "conv":
        if len(x.shape) != 4:
            raise Unsupported(f"input '{node.input_name(0)}' has shape {list(x.shape)}; a conv needs [1, C, H, W]")
        _, _, kh, kw = bits.shape
        sh, sw = (int(s) for s in node.attr("strides", [1, 1]))
        ho, wo = (x.dims[0] - kh) // sh + 1, (x.dims[1] - kw) // sw + 1
        dims = (ho, wo, c_out)
        op = XnorConvOp(
            x.ssa, _output_type(dims, thresholded), kernel=[kh, kw], stride=[sh, sw],
            weights=w_name, thresholds=t_name, layer=layer,
        )  # fmt: skip
        ctx.b.append(op)
        return _result(op, (1, c_out, ho, wo), dims, node, thresholded)
    _check_vector(x, bits.shape[1], node)
    op = XnorLinearOp(x.ssa, _output_type((1, 1, c_out), thresholded), weights=w_name, thresholds=t_name, layer=layer)
    ctx.b.append(op)
    return _result(op, (1, c_out), (1, 1, c_out), node, thresholded)


def _check_vector(x: Stream, n: int, node: Node) -> None:
    if len(x.shape) != 2 or x.shape[0] != 1 or x.shape[1] != n:
        raise Unsupported(f"input '{node.input_name(0)}' has shape {list(x.shape)}; the layer reads [1, {n}]")


def _dense_columns(bits: np.ndarray, x: Stream) -> np.ndarray:
    """Weight columns in the stream's HWC order (ONNX flattens a feature map in CHW order)."""
    return chw_to_hwc_columns(bits, x.dims) if x.flat else bits


def _hwc_indices(indices: np.ndarray, x: Stream) -> np.ndarray:
    """Input indices of a LUT layer renumbered from ONNX's CHW flattening to the stream's HWC order."""
    if not x.flat:
        return indices
    h, w, c = x.dims
    chw = np.arange(h * w * c).reshape(c, h, w)
    hwc_of_chw = np.empty(h * w * c, dtype=np.int64)
    hwc_of_chw[chw.transpose(1, 2, 0).reshape(-1)] = np.arange(h * w * c)
    return hwc_of_chw[indices]


@handles("fpga_opt.binary.LutLayer", produces=[LutLinearOp])
def lut_layer(ctx: ImportContext, node: Node) -> Value:
    x = _bit_stream(ctx, node)
    indices = node.const(1, "indices").astype(np.int64)
    tables = node.const(2, "tables").astype(np.uint8)
    thresholded = node.has_input(3)
    c_out, luts, k = indices.shape
    n = x.shape[1] if len(x.shape) == 2 else 0
    _check_vector(x, n, node)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise Unsupported(f"LUT input indices must lie in [0, {n}), found {int(indices.min())}..{int(indices.max())}")
    layer = ctx.b.layer_name(node.name)
    i_name = ctx.b.add_weight(layer, "idx", _hwc_indices(indices, x))
    tab_name = ctx.b.add_weight(layer, "tab", tables)
    t_name = ctx.b.add_weight(layer, "t", node.const(3, "thresholds").astype(np.int64)) if thresholded else None
    op = LutLinearOp(
        x.ssa, _output_type((1, 1, c_out), thresholded), k=k, luts=luts, indices=i_name, tables=tab_name,
        thresholds=t_name, layer=layer,
    )  # fmt: skip
    ctx.b.append(op)
    return _result(op, (1, c_out), (1, 1, c_out), node, thresholded)


# Signs of things that are not binarised layers ------------------------------------------


def bipolar_quant(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """QONNX BipolarQuant: +scale where x >= 0, -scale elsewhere."""
    return (np.where(np.asarray(x) >= 0, 1.0, -1.0) * np.asarray(scale)).astype(np.float32)


def _binarise(ctx: ImportContext, node: Node, thresholds: np.ndarray, out_scale: float) -> Value:
    """A `dataflow.threshold`: bit = x >= T[c] on the value x stands for (float32), per channel."""
    value = node.inputs[0]
    x = ctx.input_stream(value) if isinstance(value, GraphInput) else ctx.stream(value, node)
    c = x.dims[2]
    t = (
        np.broadcast_to(np.asarray(thresholds, dtype=np.float32).reshape(-1), (c,))
        if thresholds.size in (1, c)
        else None
    )
    if t is None:
        raise Unsupported(f"{thresholds.size} thresholds for {c} channels")
    if x.is_int:
        if not x.dq:
            raise Unsupported(
                f"binarises '{node.input_name(0)}', the integers of a QuantizeLinear; dequantise them first"
            )
        t = _integer_thresholds(x, t)
    layer = ctx.b.layer_name(node.name)
    name = ctx.b.add_weight(layer, "t", t)
    op = ThresholdOp(x.ssa, thresholds=name, layer=layer)
    ctx.b.append(op)
    return Stream(op.results[0], x.shape, x.dims, out_scale, BIT_TYPE, dq=False)


def _integer_thresholds(x: Stream, t: np.ndarray) -> np.ndarray:
    """Per channel, the smallest integer q of x's type whose float32 value q * scale is >= t (exact)."""
    lo, hi = x.itype.lo, x.itype.hi
    if hi - lo + 1 > MAX_THRESHOLD_SEARCH:
        raise Unsupported(f"binarises a {x.itype} tensor; only integer inputs of up to 16 bits are supported")
    q = np.arange(lo, hi + 1, dtype=np.int64)
    values = q.astype(np.float32) * np.float32(x.scale)
    out = np.empty(len(t), dtype=np.int64)
    for c, tc in enumerate(t.tolist()):
        passing = np.flatnonzero(values >= np.float32(tc))
        out[c] = q[passing[0]] if passing.size else hi + 1
    return out


@handles("qonnx.BipolarQuant", produces=[ThresholdOp])
def bipolar_quant_node(ctx: ImportContext, node: Node) -> Value:
    scale = node.const(1, "scale")
    if scale.size != 1 or float(scale.reshape(-1)[0]) <= 0:
        raise Unsupported("BipolarQuant needs one positive scale")
    if isinstance(node.inputs[0], Const):
        return Const(bipolar_quant(node.inputs[0].array, scale))
    return _binarise(ctx, node, np.zeros(1, dtype=np.float32), float(scale.reshape(-1)[0]))


@handles("qonnx.MultiThreshold", produces=[ThresholdOp])
def multi_threshold(ctx: ImportContext, node: Node) -> Value:
    thresholds = node.const(1, "thresholds")
    if thresholds.ndim != 2 or thresholds.shape[1] != 1:
        raise Unsupported(
            f"thresholds of shape {list(thresholds.shape)}: only one threshold per channel (a binarisation) is supported"
        )
    layout = node.attr("data_layout", b"NCHW")
    layout = layout.decode() if isinstance(layout, bytes) else str(layout)
    if layout not in ("NCHW", "NC"):
        raise Unsupported(f"data_layout '{layout}' is not supported (NCHW)")
    out_scale, out_bias = float(node.attr("out_scale", 1.0)), float(node.attr("out_bias", 0.0))
    if out_scale <= 0 or out_bias != -out_scale / 2:
        raise Unsupported(
            f"MultiThreshold to {{{out_bias:g}, {out_bias + out_scale:g}}}: only a bipolar output (-s, +s) is supported"
        )
    return _binarise(ctx, node, thresholds, out_scale / 2)


@handles("Sign", produces=[])
def sign(ctx: ImportContext, node: Node) -> Value:
    raise Unsupported(
        "Sign is supported only as the activation of a binarised layer (MatMul/Gemm/Conv of +-1 values and "
        "weights); binarise other tensors with BipolarQuant or MultiThreshold"
    )
