"""Stream plumbing: `dataflow.concat`, `dataflow.fork`, `dataflow.buffer`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    IntegerAttr,
    StringAttr,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.base import (
    GENERAL_FORMAT,
    STREAM_FORMAT,
    ChannelParallelOp,
    FifoOp,
    expect_stream,
    i64_attr,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType


@irdl_op_definition
class ConcatOp(ChannelParallelOp):
    """Concatenation along channels: per pixel, all of input 0's channels, then input 1's, ..."""

    name = "dataflow.concat"

    inputs = var_operand_def(StreamType)
    output = result_def(StreamType)

    assembly_format = GENERAL_FORMAT

    def __init__(self, inputs: Sequence[SSAValue], result_type: StreamType, *, layer: str | None = None):
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        out = expect_stream(self.output, self, "result")
        if len(self.inputs) < 2:
            raise VerifyException(f"{who(self)}: needs at least two inputs, got {len(self.inputs)}")
        streams = [expect_stream(v, self, f"input {i}") for i, v in enumerate(self.inputs)]
        for i, s in enumerate(streams):
            if (s.height, s.width) != (out.height, out.width):
                raise VerifyException(
                    f"{who(self)}: input {i} is {s.height}x{s.width} but the result is {out.height}x{out.width}"
                )
            if s.element_type != out.element_type:
                raise VerifyException(
                    f"{who(self)}: input {i} has element type {s.element_type}, the result {out.element_type}"
                )
        total = sum(s.channels for s in streams)
        if total != out.channels:
            raise VerifyException(f"{who(self)}: inputs have {total} channels in all but the result has {out.channels}")
        for s in streams:
            self._check_coarse(s.channels)


# --------------------------------------------------------------------------
# Stream plumbing and pointwise ops
# --------------------------------------------------------------------------


@irdl_op_definition
class ForkOp(ChannelParallelOp):
    """Explicit fan-out: copies one stream to N consumers.

    Hardware: a broadcast that advances only when every output can accept,
    so a slow consumer back-pressures all the others.
    """

    name = "dataflow.fork"

    input = operand_def(StreamType)
    outputs = var_result_def(StreamType)

    assembly_format = "$input attr-dict `:` type($input) `->` type($outputs)"

    def __init__(self, input: SSAValue, copies: int = 2, *, layer: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[[input.type] * copies],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        if len(self.outputs) < 2:
            raise VerifyException(f"{who(self)}: needs at least two results, got {len(self.outputs)}")
        for i, r in enumerate(self.outputs):
            if r.type != inp:
                raise VerifyException(f"{who(self)}: result {i} has type {r.type}, expected the input type {inp}")
        self._check_coarse(inp.channels)


@irdl_op_definition
class BufferOp(FifoOp):
    """A FIFO of `depth` elements (an `hls::stream` with a STREAM depth).

    Depth 0 is a wire (canonicalisation removes it).  Skip connections need
    depth so that the short branch does not stall the fork it shares with the
    long branch.
    """

    name = "dataflow.buffer"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    depth = prop_def(IntegerAttr[I64])

    assembly_format = STREAM_FORMAT

    def __init__(self, input: SSAValue, depth: int, *, layer: str | None = None):
        props: dict[str, Attribute] = {"depth": i64_attr(depth)}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        if self.output.type != inp:
            raise VerifyException(f"{who(self)}: result type {self.output.type} must equal the input type {inp}")
        if self.depth.value.data < 0:
            raise VerifyException(f"{who(self)}: depth must be >= 0, got {self.depth.value.data}")
