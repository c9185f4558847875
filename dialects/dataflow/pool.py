"""`dataflow.pool` and `dataflow.global_pool`: max and average pooling."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    StringAttr,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.attrs import RequantAttr
from fpga_opt.dialects.dataflow.base import (
    STREAM_FORMAT,
    ChannelParallelOp,
    WholeFrameOp,
    WindowedOp,
    check_requant,
    check_same_kind,
    expect_stream,
    i64_array,
    present,
    verify_window,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType

POOL_MODES = ("max", "avg")


@irdl_op_definition
class PoolOp(WindowedOp, ChannelParallelOp):
    """Max or average pooling over a sliding window.

    Average pooling divides by Kh*Kw (padding counts) in float; on integers
    it emits the window *sum* (so the result must be wide enough, or carry a
    `requant` whose multiplier includes 1/(Kh*Kw)): division is a rescale.
    Max pooling pads with the type's lowest value.  The optional
    `window_depth` is the depth, in windows, of the stream between the
    sliding window and the reduction (absent: the default 2-deep stream).
    """

    name = "dataflow.pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    requant = opt_prop_def(RequantAttr)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str,
        kernel: Sequence[int],
        stride: Sequence[int] | None = None,
        pad: Sequence[int] = (0, 0, 0, 0),
        requant: RequantAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "kernel": i64_array(kernel),
            "stride": i64_array(stride if stride is not None else kernel),
            "pad": i64_array(pad),
            "requant": requant,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        verify_window(self, inp, out)
        if inp.channels != out.channels:
            raise VerifyException(
                f"{who(self)}: pooling keeps channels ({inp.channels}) but the result has {out.channels}"
            )
        self._check_coarse(inp.channels)
        check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max":
            if self.requant is not None:
                raise VerifyException(f"{who(self)}: max pooling does not rescale; remove 'requant'")
            if out.element_type != inp.element_type:
                raise VerifyException(f"{who(self)}: max pooling keeps the element type {inp.element_type}")
        check_requant(self, self.requant, out)


@irdl_op_definition
class GlobalPoolOp(WholeFrameOp, ChannelParallelOp):
    """Global max or average pooling to `1x1xC` (the end of most CNNs).

    As for `dataflow.pool`, integer averaging emits the sum (or its requant).
    """

    name = "dataflow.global_pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    requant = opt_prop_def(RequantAttr)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str = "avg",
        requant: RequantAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "requant": requant,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        if out.dims != (1, 1, inp.channels):
            raise VerifyException(f"{who(self)}: result must be 1x1x{inp.channels}, got {'x'.join(map(str, out.dims))}")
        self._check_coarse(inp.channels)
        check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max" and self.requant is not None:
            raise VerifyException(f"{who(self)}: max pooling does not rescale; remove 'requant'")
        check_requant(self, self.requant, out)
