"""Concat along channels as `dataflow.concat`.

Inputs of one type and scale concatenate as they are.  Integer inputs of
different scales are each requantised (`dataflow.requantize`, layer
`<concat>.in<i>`) to the scale of the QuantizeLinear after the concat, so the
concat is held back until that QuantizeLinear is seen.  (Forks, the other
plumbing the frontend emits, come from the builder: builder.py.)
"""

from __future__ import annotations

from fpga_opt.dialects.dataflow import ConcatOp, RequantizeOp
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.emit import stream_type
from fpga_opt.frontend.handlers.registry import handles
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.values import Pending, Stream, Value


@handles("Concat", produces=[ConcatOp, RequantizeOp])
def concat(ctx: ImportContext, node: Node) -> Value:
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
    if len({(s.scale, s.itype, s.zero_point) for s in streams}) == 1:
        first = streams[0]
        op = ConcatOp([s.ssa for s in streams], stream_type(dims, first.itype), layer=layer)
        ctx.b.append(op)
        return Stream(op.results[0], shape, dims, first.scale, first.itype, first.dq, first.zero_point)
    if not streams[0].dq:
        raise Unsupported("concatenates integer tensors of different types or scales")
    return Pending("concat", layer, shape, dims, streams, scale=min(s.scale for s in streams))
