"""`dataflow.linear`: fully connected layers (matrix-vector units)."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TypeAttribute,
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
    Folding,
    WholeFrameOp,
    check_activation,
    check_factor,
    check_placement,
    check_requant,
    check_same_kind,
    divisors,
    expect_stream,
    present,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType


@irdl_op_definition
class LinearOp(WholeFrameOp):
    """A fully connected layer (matrix-vector unit).

    Reads the whole H x W x C input as one vector (HWC order: the frontend
    permutes ONNX's CHW-flattened weights to match) and writes `1x1xN`.
    Weights are `[N, H*W*C]`.  Hardware: `coarse_in` x `coarse_out`
    multipliers (FINN's SIMD x PE).  Epilogue: bias, requant, activation.
    """

    name = "dataflow.linear"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    weights = prop_def(StringAttr)
    bias = opt_prop_def(StringAttr)
    weight_type = prop_def(TypeAttribute)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)
    coarse_in = prop_def(IntegerAttr[I64], default_value=ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=ONE)
    weight_placement = opt_prop_def(StringAttr)  # dialects/dataflow/weights.py

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        weights: str,
        weight_type: Attribute,
        bias: str | None = None,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "weights": StringAttr(weights),
            "weight_type": weight_type,
            "bias": StringAttr(bias) if bias is not None else None,
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties=present(props),
        )

    FOLDING_NAMES: ClassVar[tuple[str, ...]] = ("coarse_in", "coarse_out")

    def folding(self) -> dict[str, int]:
        return {"coarse_in": self.coarse_in.value.data, "coarse_out": self.coarse_out.value.data}

    def folding_space(self) -> dict[str, list[int]]:
        """coarse_in | H*W*C (FINN's SIMD), coarse_out | N (FINN's PE)."""
        inp, out = self.input.type, self.output.type
        assert isinstance(inp, StreamType) and isinstance(out, StreamType)
        return {"coarse_in": divisors(inp.numel), "coarse_out": divisors(out.channels)}

    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse_in"]

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse_out"]

    def macs(self) -> int:
        inp, out = self.input.type, self.output.type
        assert isinstance(inp, StreamType) and isinstance(out, StreamType)
        return inp.numel * out.channels

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if out.height != 1 or out.width != 1:
            raise VerifyException(f"{who(self)}: result must be 1x1xN, got {'x'.join(map(str, out.dims))}")
        check_factor(self, "coarse_in", self.coarse_in.value.data, inp.numel, "input features H*W*C")
        check_factor(self, "coarse_out", self.coarse_out.value.data, out.channels, "output features")
        check_same_kind(self, inp, out, "input and result")
        if inp.is_integer != isinstance(self.weight_type, IntegerType):
            raise VerifyException(
                f"{who(self)}: weight_type {self.weight_type} does not match the input element type {inp.element_type}"
            )
        check_requant(self, self.requant, out, per_channel=True)
        if out.is_integer and self.requant is None and out.bitwidth < 32:
            raise VerifyException(
                f"{who(self)}: an integer linear without requant emits its accumulator and needs a result of "
                f"at least 32 bits, got {out.element_type}"
            )
        check_activation(self, self.activation, out)
        check_placement(self)
