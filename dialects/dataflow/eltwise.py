"""Pointwise layers: `dataflow.add`, `dataflow.requantize`, `dataflow.activation`, `dataflow.softmax`."""

from __future__ import annotations

from xdsl.dialects.builtin import (
    I64,
    IntegerAttr,
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

from fpga_opt.dialects.dataflow.attrs import ActivationAttr, RequantAttr
from fpga_opt.dialects.dataflow.base import (
    ONE,
    STREAM_FORMAT,
    ChannelParallelOp,
    check_activation,
    check_requant,
    check_same_kind,
    expect_stream,
    i64_attr,
    present,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType


@irdl_op_definition
class AddOp(ChannelParallelOp):
    """Elementwise add of two equally shaped streams (a residual join).

    Integers: `lhs * lhs_mult + rhs * rhs_mult`, exact, then the optional
    requant; the multipliers align the two operands' scales.  Floats ignore
    the multipliers (they must be 1).  Hardware: a join that stalls whichever
    input arrives first, which is why skip FIFOs need depth.
    """

    name = "dataflow.add"

    lhs = operand_def(StreamType)
    rhs = operand_def(StreamType)
    output = result_def(StreamType)

    lhs_mult = prop_def(IntegerAttr[I64], default_value=ONE)
    rhs_mult = prop_def(IntegerAttr[I64], default_value=ONE)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)"

    def __init__(
        self,
        lhs: SSAValue,
        rhs: SSAValue,
        result_type: StreamType,
        *,
        lhs_mult: int = 1,
        rhs_mult: int = 1,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "lhs_mult": i64_attr(lhs_mult),
            "rhs_mult": i64_attr(rhs_mult),
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[lhs, rhs], result_types=[result_type], properties=present(props))

    def verify_(self) -> None:
        lhs = expect_stream(self.lhs, self, "lhs")
        rhs = expect_stream(self.rhs, self, "rhs")
        out = expect_stream(self.output, self, "result")
        if not lhs.dims == rhs.dims == out.dims:
            raise VerifyException(
                f"{who(self)}: operands and result must have the same shape, got "
                f"{'x'.join(map(str, lhs.dims))}, {'x'.join(map(str, rhs.dims))} -> {'x'.join(map(str, out.dims))}"
            )
        check_same_kind(self, lhs, out, "lhs and result")
        check_same_kind(self, rhs, out, "rhs and result")
        if not out.is_integer and (self.lhs_mult.value.data != 1 or self.rhs_mult.value.data != 1):
            raise VerifyException(f"{who(self)}: lhs_mult/rhs_mult apply to integer streams only")
        self._check_coarse(out.channels)
        check_requant(self, self.requant, out)
        check_activation(self, self.activation, out)


@irdl_op_definition
class RequantizeOp(ChannelParallelOp):
    """A standalone rescale from a wide integer (an accumulator) to a narrow one."""

    name = "dataflow.requantize"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    requant = prop_def(RequantAttr)

    assembly_format = STREAM_FORMAT

    def __init__(self, input: SSAValue, result_type: StreamType, requant: RequantAttr, *, layer: str | None = None):
        props: dict[str, Attribute] = {"requant": requant}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if not inp.is_integer:
            raise VerifyException(f"{who(self)}: input must be an integer stream, got {inp.element_type}")
        if inp.dims != out.dims:
            raise VerifyException(f"{who(self)}: input and result shapes differ")
        self._check_coarse(inp.channels)
        check_requant(self, self.requant, out)


@irdl_op_definition
class ActivationOp(ChannelParallelOp):
    """A standalone pointwise activation (ReLU, clip, leaky ReLU, sigmoid)."""

    name = "dataflow.activation"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    activation = prop_def(ActivationAttr)

    assembly_format = STREAM_FORMAT

    def __init__(self, input: SSAValue, activation: ActivationAttr, *, layer: str | None = None):
        props: dict[str, Attribute] = {"activation": activation}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        if self.output.type != inp:
            raise VerifyException(f"{who(self)}: result type {self.output.type} must equal the input type {inp}")
        self._check_coarse(inp.channels)
        check_activation(self, self.activation, inp)


@irdl_op_definition
class SoftmaxOp(ChannelParallelOp):
    """Softmax over the channels of each pixel (float streams only)."""

    name = "dataflow.softmax"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    assembly_format = STREAM_FORMAT

    def __init__(self, input: SSAValue, *, layer: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        if inp.is_integer:
            raise VerifyException(f"{who(self)}: softmax needs a float stream, got {inp.element_type}")
        if self.output.type != inp:
            raise VerifyException(f"{who(self)}: result type {self.output.type} must equal the input type {inp}")
        self._check_coarse(inp.channels)
