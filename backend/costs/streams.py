"""Streams: how many elements per cycle each carries, and what a FIFO on one costs.

FIFOs are words of a stream's lanes: the default 2-deep `hls::stream` on an
edge, a `dataflow.buffer`, and a windowed op's deepened window stream.
A stream is as wide as the op that drives it: its producer's output lanes,
looking through FIFOs (`FifoOp`s have no lanes of their own), or, for a
function argument, its first reader's input lanes (the input is delivered
as fast as the first layer reads it).  The lanes are the ops' own facts
(`input_lanes` / `output_lanes`), at the folding the context costs.
"""

from __future__ import annotations

from xdsl.ir import OpResult, SSAValue

from fpga_opt.backend.costs.registry import REFERENCE_CONTEXT, CostContext
from fpga_opt.backend.target.resources import Resources, fifo_resources
from fpga_opt.dialects.dataflow import DataflowOp, FifoOp, StreamType, WindowedOp, int_range

#: Depth of the `hls::stream` Vitis HLS creates for an edge without a `dataflow.buffer`.
DEFAULT_FIFO_DEPTH = 2


def stream_type(value: SSAValue) -> StreamType:
    t = value.type
    assert isinstance(t, StreamType), f"not a stream: {t}"
    return t


def value_bits(t: StreamType) -> int:
    """Bits of one value of `t` in a datapath: 32 for floats (float32 operators), else the element width."""
    return 32 if not t.is_integer else t.bitwidth


def is_unsigned(t: StreamType) -> bool:
    """Whether the stream's elements are unsigned integers (an 8-bit one reaches 255, not 127)."""
    return t.is_integer and int_range(t.element_type)[0] == 0  # type: ignore[arg-type]


def stream_cycles(t: StreamType, lanes: int) -> int:
    """Cycles to move one frame of `t` at `lanes` elements per cycle."""
    return -(-t.numel // lanes)


def _upstream_origin(value: SSAValue) -> SSAValue:
    """`value`, or, if a FIFO op produced it, that FIFO's input (repeatedly)."""
    seen: set[SSAValue] = set()
    while isinstance(value, OpResult) and isinstance(value.op, FifoOp) and value not in seen:
        seen.add(value)
        value = value.op.operands[0]
    return value


def _downstream_reader(value: SSAValue) -> DataflowOp | None:
    """The first dataflow op reading `value`, looking through FIFO ops."""
    seen: set[SSAValue] = set()
    while value not in seen:
        seen.add(value)
        for use in value.uses:
            user = use.operation
            if isinstance(user, FifoOp) and use.index == 0:
                value = user.results[0]
                break
            if isinstance(user, DataflowOp):
                return user
        else:
            return None
    return None


def lanes_driver(value: SSAValue) -> DataflowOp | None:
    """The op whose folding sets how many elements per cycle `value` carries.

    An op result: its producer, looking through FIFOs (`dataflow.buffer`,
    `dataflow.conditional_buffer`) to the op that feeds them.  A function
    argument: its first reader (through FIFOs).  None when no op sets it (1 lane).
    """
    origin = _upstream_origin(value)
    if isinstance(origin, OpResult):
        return origin.op if isinstance(origin.op, DataflowOp) else None
    return _downstream_reader(origin)


def stream_lanes(value: SSAValue, ctx: CostContext = REFERENCE_CONTEXT) -> int:
    """Elements per cycle on stream `value`: the lanes of the op that drives it, at `ctx`'s folding."""
    driver, port = ctx.static_facts(value, _driver_port) if ctx.static is not None else _driver_port(value)
    if driver is None:
        return 1
    kind, index = port
    folding = ctx.folding(driver)
    return driver.output_lanes(index, folding) if kind == "result" else driver.input_lanes(index, folding)


def _driver_port(value: SSAValue) -> tuple[DataflowOp | None, tuple[str, int]]:
    """The op whose lanes `value` carries, and which of its ports: ("result", j) or ("operand", i)."""
    driver = lanes_driver(value)
    if driver is None:
        return None, ("result", 0)
    origin = _upstream_origin(value)
    if isinstance(origin, OpResult) and origin.op is driver:
        return driver, ("result", origin.index)
    for index, operand in enumerate(driver.operands):
        if _upstream_origin(operand) is origin:
            return driver, ("operand", index)
    return None, ("result", 0)


def fifo_cost(value: SSAValue, depth: int, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """A FIFO of `depth` elements on `value`, one word of `stream_lanes` elements each."""
    if depth <= 0:
        return Resources()
    lanes = stream_lanes(value, ctx)
    return fifo_resources(lanes * stream_type(value).bitwidth, -(-depth // lanes))


def default_fifo_cost(value: SSAValue, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """The implicit `DEFAULT_FIFO_DEPTH`-deep stream of `stream_lanes(value)` elements per word."""
    return fifo_resources(stream_lanes(value, ctx) * stream_type(value).bitwidth, DEFAULT_FIFO_DEPTH)


def window_fifo_cost(op: WindowedOp, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """The window stream of a `WindowedOp` deepened to its `window_depth` windows (set by `size-fifos`).

    Absent, the stream is the default 2-deep one, counted with the window registers of the layer
    model.  Vitis HLS moves a window as C/lanes tokens of Kh*Kw*lanes elements (the sliding window's
    output stream), so the FIFO is Kh*Kw*lanes*bits wide and window_depth*C/lanes tokens deep; a 1x1
    stride-1 unpadded conv has no sliding window, and its input stream (lanes*bits wide) is deepened.
    """
    if op.window_depth is None:
        return Resources()
    inp = op.window_stream
    lanes = op.input_lanes(0, ctx.folding(op))
    width = op.window_positions * lanes * value_bits(inp)
    return fifo_resources(width, op.window_depth.value.data * (inp.channels // lanes))
