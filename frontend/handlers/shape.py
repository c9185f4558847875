"""Ops that move no data on a stream: Identity, Dropout, Cast, Flatten, Reshape, Squeeze, Unsqueeze.

A stream is raster-order H x W x C whatever its ONNX shape, so these only
change the ONNX view.  Flattening a feature map `[1, C, H, W]` to
`[1, C*H*W]` keeps the stream and marks it *flat*: the linear layer that reads
it permutes its weight columns to HWC order.  Going between `[1, N]` and
`[1, N, 1, 1]` changes nothing at all.  Any other reshape is a real data
movement and is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import helper

from fpga_opt.frontend.constant_fold import flatten_shape, reshape_target, squeeze_shape, unsqueeze_shape
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.values import DroppedSoftmax, Pending, Stream, Value, onnx_shape


@handles("Identity", "Dropout", produces=[])
def identity(ctx: ImportContext, node: Node) -> Value:
    value = node.inputs[0]
    if value is None:
        raise Unsupported("has no input")
    return value


@handles("Cast", produces=[])
def cast(ctx: ImportContext, node: Node) -> Value:
    x = node.inputs[0]
    target = np.dtype(helper.tensor_dtype_to_np_dtype(int(node.attr("to"))))
    if isinstance(x, Stream | Pending) and not x.is_int and np.issubdtype(target, np.floating):
        return x
    raise Unsupported(f"casts a feature map to {target}; only float-to-float casts are supported")


def _view(ctx: ImportContext, node: Node, shape: Sequence[int]) -> Value:
    """`node.inputs[0]` seen with ONNX shape `shape` (same stream)."""
    x = node.inputs[0]
    if isinstance(x, DroppedSoftmax):
        raise Unsupported(f"reshapes the output of the dropped Softmax '{x.node}'")
    shape = tuple(int(d) for d in shape)
    old = onnx_shape(x)
    if old == shape:
        return x
    s = ctx.stream(x, node)
    h, w, c = s.dims
    new_dims: tuple[int, int, int] | None = None
    if len(shape) == 2 and shape == (1, h * w * c):
        new_dims = s.dims  # a flatten (if h*w > 1 the stream is now 'flat')
    elif len(shape) == 4 and shape[0] == 1 and shape[2:] == (1, 1) and h * w == 1 and shape[1] == c:
        new_dims = s.dims  # [1, N] <-> [1, N, 1, 1]
    elif len(shape) == 4 and s.flat and shape == (1, c, h, w):
        new_dims = s.dims  # un-flattening back to the feature map
    if new_dims is None:
        raise Unsupported(
            f"reshapes {list(s.shape)} to {list(shape)}; only flattening a feature map for a linear layer "
            "(or adding/removing unit dimensions of a vector) is supported"
        )
    return Stream(s.ssa, shape, new_dims, s.scale, s.itype, s.dq, s.zero_point)


def _shape(ctx: ImportContext, node: Node) -> tuple[int, ...]:
    shape = onnx_shape(node.inputs[0])
    if shape is None:
        raise Unsupported("input shape unknown")
    return shape


@handles("Flatten", produces=[])
def flatten(ctx: ImportContext, node: Node) -> Value:
    return _view(ctx, node, flatten_shape(_shape(ctx, node), int(node.attr("axis", 1))))


@handles("Reshape", produces=[])
def reshape(ctx: ImportContext, node: Node) -> Value:
    target = node.const(1, "shape")
    return _view(ctx, node, reshape_target(_shape(ctx, node), target, int(node.attr("allowzero", 0))))


def _axes(node: Node) -> list[int] | None:
    if node.opset >= 13:
        return [int(a) for a in node.const(1, "axes").reshape(-1)] if node.has_input(1) else None
    axes = node.attr("axes")
    return None if axes is None else [int(a) for a in axes]


@handles("Squeeze", produces=[])
def squeeze(ctx: ImportContext, node: Node) -> Value:
    return _view(ctx, node, squeeze_shape(_shape(ctx, node), _axes(node)))


@handles("Unsqueeze", produces=[])
def unsqueeze(ctx: ImportContext, node: Node) -> Value:
    axes = _axes(node)
    if axes is None:
        raise Unsupported("has no axes")
    return _view(ctx, node, unsqueeze_shape(_shape(ctx, node), axes))
