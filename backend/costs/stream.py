"""The cost models of the stream plumbing: `dataflow.concat`, `dataflow.fork`, `dataflow.buffer`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import IO_LATENCY, kernel_control
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import fifo_cost, stream_cycles, stream_lanes, stream_type
from fpga_opt.backend.target.resources import Resources, fifo_resources
from fpga_opt.dialects.dataflow import BufferOp, ConcatOp, ForkOp

#: A fork writes every word to all its outputs: a few LUTs of handshake per output.
FORK_LUT, FORK_LUT_PER_OUTPUT, FORK_FF, FORK_FF_PER_OUTPUT = 4, 2, 2, 1


def concat_cost(*, h: int, w: int, channels: Sequence[int], bits: int = 8, coarse: int = 1) -> LayerCost:
    """Channel concatenation: for each pixel, the inputs' channels in turn.

    cycles = H*W*sum(C_i) / coarse; coarse must divide every C_i.  Cost: an
    n-way multiplexer per output bit and the control.
    """
    checks.positive(h=h, w=w, bits=bits, coarse=coarse)
    channels = list(channels)
    if len(channels) < 1:
        raise ValueError("concat needs at least one input")
    for i, ci in enumerate(channels):
        checks.positive(**{f"channels[{i}]": ci})
        checks.divides("coarse", coarse, f"channels[{i}]", ci)
    n = len(channels)
    mux_lut = coarse * bits * -(-(n - 1) // 3) if n > 1 else 0  # a LUT6 is a 4:1 mux
    control = kernel_control(h * w * sum(channels) // coarse, ports=n + 1)
    resources = Resources(lut=mux_lut, ff=coarse * bits) + control
    return LayerCost(h * w * sum(channels) // coarse, IO_LATENCY, resources)


def fork_cost(*, h: int, w: int, c: int, bits: int = 8, coarse: int = 1, n_outputs: int = 2) -> LayerCost:
    """Fan-out of one stream to `n_outputs` consumers: cycles = H*W*C / coarse, tiny logic."""
    checks.positive(h=h, w=w, c=c, bits=bits, coarse=coarse, n_outputs=n_outputs)
    checks.divides("coarse", coarse, "C", c)
    resources = Resources(
        lut=FORK_LUT + FORK_LUT_PER_OUTPUT * n_outputs,
        ff=FORK_FF + FORK_FF_PER_OUTPUT * n_outputs,
    )
    return LayerCost(h * w * c // coarse, 1, resources)


def buffer_cost(*, h: int, w: int, c: int, depth: int, bits: int = 8, coarse: int = 1) -> LayerCost:
    """A FIFO/buffer of `depth` words, each `coarse` elements of `bits` (see `fifo_resources`)."""
    checks.positive(h=h, w=w, c=c, depth=depth, bits=bits, coarse=coarse)
    checks.divides("coarse", coarse, "C", c)
    return LayerCost(h * w * c // coarse, 1, fifo_resources(bits * coarse, depth))


@COST_MODELS.register(ConcatOp)
def concat_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.concat`: `concat_cost`."""
    assert isinstance(op, ConcatOp)
    out = stream_type(op.output)
    return concat_cost(
        h=out.height,
        w=out.width,
        channels=[stream_type(v).channels for v in op.inputs],
        bits=out.bitwidth,
        coarse=ctx.folding(op)["coarse"],
    )


@COST_MODELS.register(ForkOp)
def fork_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.fork`: `fork_cost`."""
    assert isinstance(op, ForkOp)
    t = stream_type(op.input)
    h, w, c = t.dims
    return fork_cost(h=h, w=w, c=c, bits=t.bitwidth, coarse=ctx.folding(op)["coarse"], n_outputs=len(op.outputs))


@COST_MODELS.register(BufferOp)
def buffer_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.buffer`: a FIFO of `depth` elements as words of the stream's lanes (`fifo_cost`).

    It moves its stream at the width of the op that drives it (`stream_lanes`),
    so it is never slower than its producer.  Depth 0 is a wire.
    """
    assert isinstance(op, BufferOp)
    depth = op.fifo_depth
    cycles = stream_cycles(stream_type(op.input), stream_lanes(op.input, ctx))
    return LayerCost(cycles, 1 if depth else 0, fifo_cost(op.input, depth, ctx))
