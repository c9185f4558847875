"""`dataflow.conv`: 2-D convolution layers (grouped, depthwise, fused skip and side forms)."""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TypeAttribute,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    opt_result_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.attrs import ActivationAttr, RequantAttr
from fpga_opt.dialects.dataflow.base import (
    GENERAL_FORMAT,
    ONE,
    Folding,
    WindowedOp,
    array_prop,
    check_activation,
    check_factor,
    check_placement,
    check_requant,
    check_same_kind,
    divisors,
    expect_stream,
    fine_values,
    i64_array,
    i64_attr,
    present,
    verify_window,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType

# --------------------------------------------------------------------------
# Compute layers
# --------------------------------------------------------------------------


@irdl_op_definition
class ConvOp(WindowedOp):
    """A 2-D convolution layer (grouped and depthwise included).

    Hardware: a sliding-window line buffer feeds `coarse_in` x `coarse_out` x
    `fine` multipliers; each output pixel accumulates C_in/groups x Kh x Kw
    products into an accumulator, then runs the epilogue:

        acc + bias -> requant -> [acc_mult * y + skip_mult * skip -> skip_requant] -> activation

    Weights are `[C_out, C_in/groups, Kh, Kw]`; bias is `[C_out]`.  Without a
    requant an integer conv emits its raw accumulator (i32).  The optional
    `skip` operand is a residual stream added in the epilogue (an add folded
    in by `merge-loops`).  The optional `side` result re-emits the centre pixel
    of every window (so a skip path can reuse this line buffer) or, when
    `side_weights` is set, the output of a 1x1 conv of that centre pixel (a
    merged downsample conv).  The optional `reuse` (temporal reuse, default 1)
    computes that many consecutive output pixels of a row side by side, each
    weight read once for all of them; it must divide the output width.  The
    optional `window_depth` is the depth, in windows, of the stream between
    the sliding window and the MAC array (absent: the default 2-deep stream);
    `size-fifos` sets it where bursts of windows need decoupling.  The optional
    `dilation` spreads the Kh x Kw taps Dh rows and Dw columns apart (an atrous
    conv): the line buffer spans Dh*(Kh-1)+1 rows, the MACs stay Kh*Kw per pixel.
    """

    name = "dataflow.conv"

    input = operand_def(StreamType)
    skip = opt_operand_def(StreamType)
    output = result_def(StreamType)
    side = opt_result_def(StreamType)

    groups = prop_def(IntegerAttr[I64], default_value=ONE)
    dilation = opt_prop_def(DenseArrayBase[I64])
    """Distance between the kernel's taps [Dh, Dw] (absent: 1, 1): the window spans Dh*(Kh-1)+1 rows."""
    weights = prop_def(StringAttr)
    bias = opt_prop_def(StringAttr)
    weight_type = prop_def(TypeAttribute)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)
    acc_mult = prop_def(IntegerAttr[I64], default_value=ONE)
    skip_mult = prop_def(IntegerAttr[I64], default_value=ONE)
    skip_requant = opt_prop_def(RequantAttr)
    side_weights = opt_prop_def(StringAttr)
    side_bias = opt_prop_def(StringAttr)
    side_requant = opt_prop_def(RequantAttr)
    coarse_in = prop_def(IntegerAttr[I64], default_value=ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=ONE)
    fine = prop_def(IntegerAttr[I64], default_value=ONE)
    coarse_group = prop_def(IntegerAttr[I64], default_value=ONE)
    reuse = opt_prop_def(IntegerAttr[I64])
    weight_placement = opt_prop_def(StringAttr)  # dialects/dataflow/weights.py

    assembly_format = GENERAL_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        kernel: Sequence[int],
        weights: str,
        weight_type: Attribute,
        stride: Sequence[int] = (1, 1),
        pad: Sequence[int] = (0, 0, 0, 0),
        groups: int = 1,
        dilation: Sequence[int] = (1, 1),
        bias: str | None = None,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "kernel": i64_array(kernel),
            "stride": i64_array(stride),
            "pad": i64_array(pad),
            "groups": i64_attr(groups),
            "dilation": i64_array(dilation) if tuple(dilation) != (1, 1) else None,
            "weights": StringAttr(weights),
            "weight_type": weight_type,
            "bias": StringAttr(bias) if bias is not None else None,
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input, None],
            result_types=[result_type, None],
            properties=present(props),
        )

    def folding(self) -> dict[str, int]:
        return {
            "coarse_in": self.coarse_in.value.data,
            "coarse_out": self.coarse_out.value.data,
            "fine": self.fine.value.data,
            "coarse_group": self.coarse_group.value.data,
        }

    def folding_space(self) -> dict[str, list[int]]:
        """coarse_in | C_in/groups, coarse_out | C_out/groups (and the side conv's channels),
        fine in {1, Kh, Kw, Kh*Kw}, coarse_group | groups."""
        inp, out = self.window_stream, self.output.type
        assert isinstance(out, StreamType)
        g = self.groups.value.data
        co_dim = out.channels // g
        if self.side is not None and not self.has_forward:
            side = self.side.type
            assert isinstance(side, StreamType)
            co_dim = gcd(co_dim, side.channels)
        kh, kw = self.kernel_size
        return {
            "coarse_in": divisors(inp.channels // g),
            "coarse_out": divisors(co_dim),
            "fine": fine_values(kh, kw),
            "coarse_group": divisors(g),
        }

    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        """The window's input: coarse_in*coarse_group; the skip stream (operand 1): coarse_out*coarse_group."""
        f = self.factors(folding)
        if index == 1 and self.skip is not None:
            return f["coarse_out"] * f["coarse_group"]
        return f["coarse_in"] * f["coarse_group"]

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        """The result: coarse_out*coarse_group; the side result: the forwarded centre pixel at the
        input's lanes, a merged 1x1 conv at coarse_out."""
        f = self.factors(folding)
        if index == 1:
            return f["coarse_in"] * f["coarse_group"] if self.has_forward else f["coarse_out"]
        return f["coarse_out"] * f["coarse_group"]

    def macs(self) -> int:
        inp, out = self.window_stream, self.output.type
        assert isinstance(out, StreamType)
        kh, kw = self.kernel_size
        total = out.height * out.width * (inp.channels // self.groups.value.data) * out.channels * kh * kw
        if self.side is not None and not self.has_forward:
            side = self.side.type
            assert isinstance(side, StreamType)
            total += out.height * out.width * inp.channels * side.channels
        return total

    @property
    def has_forward(self) -> bool:
        """The side result carries the window's centre pixel unchanged."""
        return self.side is not None and self.side_weights is None

    @property
    def reuse_factor(self) -> int:
        """Temporal reuse: consecutive output pixels served by one weight fetch (1 when unset)."""
        return self.reuse.value.data if self.reuse is not None else 1

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        verify_window(self, inp, out)
        groups = self.groups.value.data
        c_in, c_out = inp.channels, out.channels
        if groups < 1 or c_in % groups or c_out % groups:
            raise VerifyException(
                f"{who(self)}: groups = {groups} must divide both input channels ({c_in}) and output channels ({c_out})"
            )
        kh, kw = self.kernel_size
        check_factor(self, "coarse_in", self.coarse_in.value.data, c_in // groups, "input channels per group")
        check_factor(self, "coarse_out", self.coarse_out.value.data, c_out // groups, "output channels per group")
        check_factor(self, "fine", self.fine.value.data, kh * kw, "kernel size Kh*Kw")
        check_factor(self, "coarse_group", self.coarse_group.value.data, groups, "groups")
        check_factor(self, "reuse", self.reuse_factor, out.width, "output width")
        check_same_kind(self, inp, out, "input and result")
        if isinstance(inp.element_type, IntegerType) != isinstance(self.weight_type, IntegerType):
            raise VerifyException(
                f"{who(self)}: weight_type {self.weight_type} does not match the input element type {inp.element_type}"
            )
        final = self.skip_requant if self.skip is not None else self.requant
        check_requant(self, self.requant if self.skip is None else None, out, per_channel=True)
        if self.skip is not None:
            skip = expect_stream(self.skip, self, "skip operand")
            if skip.dims != out.dims:
                raise VerifyException(
                    f"{who(self)}: skip stream is {'x'.join(map(str, skip.dims))} but the result is "
                    f"{'x'.join(map(str, out.dims))}"
                )
            check_same_kind(self, skip, out, "skip operand and result")
            check_requant(self, self.skip_requant, out, "skip_requant")
        elif self.skip_requant is not None:
            raise VerifyException(f"{who(self)}: skip_requant is set but there is no skip operand")
        if out.is_integer and final is None and out.bitwidth < 32:
            raise VerifyException(
                f"{who(self)}: an integer conv without requant emits its accumulator and needs a result of "
                f"at least 32 bits, got {out.element_type}"
            )
        check_activation(self, self.activation, out)
        check_placement(self)
        self._verify_side(inp, out)

    def _verify_side(self, inp: StreamType, out: StreamType) -> None:
        side_props = [p for p in ("side_weights", "side_bias", "side_requant") if self.properties.get(p) is not None]
        if self.side is None:
            if side_props:
                raise VerifyException(f"{who(self)}: {', '.join(side_props)} set but there is no side result")
            return
        side = expect_stream(self.side, self, "side result")
        kh, kw = self.kernel_size
        if self.dilation_size != (1, 1):
            raise VerifyException(
                f"{who(self)}: a side result needs an undilated kernel, got dilation {list(self.dilation_size)}"
            )
        if kh % 2 == 0 or kw % 2 == 0:
            raise VerifyException(f"{who(self)}: a side result needs an odd kernel with a centre pixel, got {kh}x{kw}")
        pad = array_prop(self, "pad")
        if pad[0] != kh // 2 or pad[1] != kw // 2:
            raise VerifyException(
                f"{who(self)}: a side result needs 'same' padding so the window centre is an input pixel, got {list(pad)}"
            )
        if (side.height, side.width) != (out.height, out.width):
            raise VerifyException(
                f"{who(self)}: side result is {side.height}x{side.width} but the result is {out.height}x{out.width}"
            )
        if self.side_weights is None:
            if side.channels != inp.channels or side.element_type != inp.element_type:
                raise VerifyException(
                    f"{who(self)}: a forwarded centre pixel has the input's channels and type "
                    f"({inp.channels}x{inp.element_type}), got {side.channels}x{side.element_type}"
                )
            if side_props:
                raise VerifyException(f"{who(self)}: side_bias/side_requant need side_weights")
            return
        check_same_kind(self, inp, side, "input and side result")
        check_factor(self, "coarse_out", self.coarse_out.value.data, side.channels, "side result channels")
        check_requant(self, self.side_requant, side, "side_requant", per_channel=True)
        if side.is_integer and self.side_requant is None and side.bitwidth < 32:
            raise VerifyException(f"{who(self)}: an integer side conv without side_requant needs a >= 32-bit result")
