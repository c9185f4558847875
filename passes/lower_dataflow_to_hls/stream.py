"""`dataflow.fork`, `buffer`, `concat`: the ops that only move streams (`stream_ops.h`).

A fork copies its input to every result.  A buffer is no kernel: its `depth` elements become
`ceil(depth / lanes)` more tokens of the stream it sits on (marked `explicit_buffer`, so that
the join sizing leaves it alone).  A concat of n inputs is a chain of n-1 two-input `concat`s.
"""

from __future__ import annotations

from xdsl.dialects import func

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Handle, Lowering, int_attr, stream_type

KERNEL_HEADERS = {"stream_ops.h": ("fork", "concat")}


@LOWERINGS.register(df.ForkOp)
def lower_fork(lw: Lowering, op: df.ForkOp) -> None:
    name = lw.layer(op)
    lanes = op.output_lanes(0)
    x = lw.take(op.input, op.input_lanes(0), name)
    outs = [lw.produce(r, lanes, f"{name}_{i}") for i, r in enumerate(op.outputs)]
    lw.fork(name, x, outs, stream_type(op.input).numel // lanes, lw.source(op))


@LOWERINGS.register(df.BufferOp)
def lower_buffer(lw: Lowering, op: df.BufferOp) -> None:
    available = lw.handles.get(op.input)
    if not available:
        raise FpgaOptError(f"{who(op)}: input has no stream")
    handle = available.pop(0)
    stream = lw.stream_ops.get(handle.value)
    if stream is None:
        raise FpgaOptError(f"{who(op)}: a buffer directly on an input port is not supported; buffer after a layer")
    stream.depth = int_attr(stream.depth.value.data + -(-op.fifo_depth // handle.lanes))
    stream.attributes["explicit_buffer"] = int_attr(1)
    # The buffer's result is carried by the same stream; read more than once, it is forked.
    uses = list(op.output.uses)
    if len(uses) == 1 and not isinstance(uses[0].operation, func.ReturnOp):
        lw.handles[op.output] = [handle]
        return
    name = lw.layer(op)
    sinks: list[Handle] = [lw.sink_for(u, op.output, handle.lanes, f"{name}_out{i}") for i, u in enumerate(uses)]
    lw.carried[op.input] = stream
    lw.fork(
        f"{name}_fork",
        handle.value,
        [s.value for s in sinks],
        stream_type(op.output).numel // handle.lanes,
        f"{op.name} '{op.layer_name}' feeding {len(uses)} reader(s)",
    )


@LOWERINGS.register(df.ConcatOp)
def lower_concat(lw: Lowering, op: df.ConcatOp) -> None:
    name = lw.layer(op)
    out = stream_type(op.output)
    lanes = op.output_lanes(0)
    parts = [(lw.take(v, op.input_lanes(i), name), stream_type(v).channels) for i, v in enumerate(op.inputs)]
    pix = out.height * out.width
    acc, acc_c = parts[0]
    for i, (nxt, c) in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        total = acc_c + c
        if last:
            dst = lw.produce(op.output, lanes, name)
        else:
            dst = lw.new_stream(f"{name}_part{i}_out", hls.StreamType([lanes], out.element_type), pix * total // lanes)
        params = {
            "T": out.element_type,
            "PIX": int_attr(pix),
            "C0": int_attr(acc_c),
            "C1": int_attr(c),
            "L": int_attr(lanes),
        }
        inst = lw.names.fresh(name if last else f"{name}_part{i}")
        lw.kernels.append(hls.KernelOp("concat", inst, [acc, nxt], [dst], params, source=lw.source(op)))
        acc, acc_c = dst, total
