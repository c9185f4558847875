"""`dataflow.conv`: 2-D convolution layers (grouped, depthwise, fused skip and side forms)."""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TypeAttribute,
    i64,
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
    PADDED_MAX_PASSES,
    Folding,
    WindowedOp,
    array_prop,
    check_activation,
    check_factor,
    check_placement,
    check_requant,
    check_same_kind,
    chunks,
    divisors,
    expect_stream,
    i64_array,
    i64_attr,
    is_off_chip,
    padded_values,
    port_lanes,
    present,
    verify_window,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType

# --------------------------------------------------------------------------
# Compute layers
# --------------------------------------------------------------------------


def pass_terms(folding: Folding) -> int:
    """Products per output channel and cycle: `terms` in the flattened form, else fine x coarse_in."""
    terms = folding.get("terms", 1)
    return terms if terms > 1 else folding["fine"] * folding["coarse_in"]


def conv_passes(c_in: int, c_out: int, groups: int, positions: int, folding: Folding) -> dict[str, int]:
    """Loop trip counts of a conv's MAC array at a folding.

    Group chunks `ng`, input-channel passes `nk`, output-channel passes `nj` (the last one
    padded when coarse_out does not divide), kernel-position passes `nf` (likewise for fine;
    in the flattened form, `terms` > 1, the passes over the window's C_in/groups x Kh*Kw
    products, the last one padded), and `steps`: the cycles one group of `reuse` output
    pixels takes (its passes, or reading its windows if that is slower).
    """
    ng = groups // folding["coarse_group"]
    nk = c_in // groups // folding["coarse_in"]
    nj = chunks(c_out // groups, folding["coarse_out"])
    terms = folding.get("terms", 1)
    nf = chunks(positions * folding["coarse_in"], terms) if terms > 1 else chunks(positions, folding["fine"])
    steps = max(ng * nk * nj * nf, folding["reuse"] * ng * nk)
    return {"ng": ng, "nk": nk, "nj": nj, "nf": nf, "steps": steps}


def _conv_folding_error(facts: dict, f: Folding) -> str | None:
    """`ConvOp.folding_error` on the op's `_folding_facts`."""
    cout_g, positions, side = facts["cout_g"], facts["positions"], facts["side"]
    co, cg, reuse = f["coarse_out"], f["coarse_group"], f["reuse"]
    if not 1 <= co <= cout_g:
        return f"coarse_out = {co} must be in [1, {cout_g}] (output channels per group)"
    if not 1 <= f["fine"] <= positions:
        return f"fine = {f['fine']} must be in [1, {positions}] (kernel size Kh*Kw)"
    if cg > 1 and cout_g % co:
        return f"coarse_out = {co} must divide output channels per group = {cout_g} when coarse_group > 1"
    terms = f.get("terms", 1)
    if terms > 1:
        error = _flattened_error(facts, f, terms)
        if error is not None:
            return error
    if facts.get("off_chip") and (cout_g % co or positions % f["fine"]):
        # the burst reader and the generator send whole weight words in the order the passes read them
        return (
            f"off-chip weights need whole passes: coarse_out = {co} must divide {cout_g} and fine = {f['fine']} "
            f"must divide {positions} (padded passes are on-chip only)"
        )
    if side is not None:
        if cout_g % co or side % co:
            return f"coarse_out = {co} must divide the output channels ({cout_g}) and the side result's ({side})"
        if reuse > 1:
            return f"reuse = {reuse} cannot be combined with a merged side conv"
    return None


def _flattened_error(facts: dict, f: Folding, terms: int) -> str | None:
    """Why the flattened form (`terms` > 1) is not built at `f`, or None."""
    window = facts["cin_g"] * facts["positions"]
    if f["coarse_in"] != facts["cin_g"] or f["fine"] != 1:
        return (
            f"terms = {terms} needs coarse_in = C_in/groups ({facts['cin_g']}) and fine = 1 "
            "(a flattened pass slices one whole window)"
        )
    if terms > window:
        return f"terms = {terms} must be at most C_in/groups x Kh*Kw = {window} (the window's products)"
    if terms % f["coarse_in"] == 0:
        return f"terms = {terms} is a multiple of coarse_in = {f['coarse_in']}: use fine = {terms // f['coarse_in']}"
    if facts["side"] is not None:
        return f"terms = {terms} cannot be combined with a merged side conv"
    if facts.get("off_chip"):
        return f"terms = {terms}: off-chip weights need whole passes (the flattened form is on-chip only)"
    return None


def flattened_values(cin_g: int, positions: int) -> list[int]:
    """The `terms` worth trying besides 1 (off): for each pass count 2..PADDED_MAX_PASSES over the
    window's cin_g x positions products, the fewest products that reach it, where that is fewer
    than the kernel-position form needs for the same passes (cin_g x ceil(positions/passes))."""
    window = cin_g * positions
    values = set()
    for n in range(2, min(window, PADDED_MAX_PASSES) + 1):
        terms = chunks(window, n)
        if terms < cin_g * chunks(positions, n) and terms % cin_g:
            values.add(terms)
    return sorted(values)


def _conv_worth_searching(facts: dict, f: Folding) -> bool:
    """`ConvOp.worth_searching` on the op's `_folding_facts`."""
    if f.get("terms", 1) > 1:
        return True  # a flattened pass already takes every input channel (coarse_in = C_in/groups)
    return f["reuse"] <= 2 or (f["coarse_in"] == facts["cin_g"] and f["fine"] == facts["positions"])


def conv_result_lanes(c_in: int, c_out: int, groups: int, positions: int, folding: Folding) -> int:
    """Lanes of a conv's result stream at a folding.

    coarse_out*coarse_group when the passes fill whole tokens; with padded passes the smallest
    divisor of the channels per group at least coarse_out wide (`port_lanes`); with temporal
    reuse the narrowest divisor of the channels that drains `reuse` pixels in one group's steps.
    """
    reuse = folding["reuse"]
    if reuse == 1:
        return port_lanes(c_out // groups, folding["coarse_out"]) * folding["coarse_group"]
    steps = conv_passes(c_in, c_out, groups, positions, folding)["steps"]
    return next(d for d in divisors(c_out) if reuse * c_out // d <= steps)


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
    terms = opt_prop_def(IntegerAttr[I64])
    """The flattened form (absent or 1: off): each pass multiplies `terms` consecutive products of the
    window's channel-major C_in/groups x Kh*Kw vector by coarse_out filters (docs/dialects/dataflow.md)."""
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

    FOLDING_NAMES: ClassVar[tuple[str, ...]] = ("coarse_in", "coarse_out", "fine", "coarse_group", "reuse", "terms")

    def folding(self) -> dict[str, int]:
        return {
            "coarse_in": self.coarse_in.value.data,
            "coarse_out": self.coarse_out.value.data,
            "fine": self.fine.value.data,
            "coarse_group": self.coarse_group.value.data,
            "reuse": self.reuse_factor,
            "terms": self.terms.value.data if self.terms is not None else 1,
        }

    def folding_space(self) -> dict[str, list[int]]:
        """coarse_in | C_in/groups; coarse_out any of `padded_values(C_out/groups)` (passes of
        coarse_out filters, the last one padded), or a divisor of the side conv's channels too;
        fine any of `padded_values(Kh*Kw)` (for 3x3: 1, 2, 3, 5, 9 positions a pass);
        coarse_group | groups; reuse | the output width; terms 1 (the kernel-position form) or a
        flattened pass's products (`flattened_values`: pass counts no product of the other
        factors reaches as cheaply, e.g. 7 passes of 11 products for an 8-channel 3x3 window).
        `folding_error` says which combinations are not built."""
        inp, out = self.window_stream, self.output.type
        assert isinstance(out, StreamType)
        g = self.groups.value.data
        cout_g = out.channels // g
        kh, kw = self.kernel_size
        if self.side is not None and not self.has_forward:
            side = self.side.type
            assert isinstance(side, StreamType)
            coarse_out = divisors(gcd(cout_g, side.channels))
        else:
            coarse_out = padded_values(cout_g)
        return {
            "coarse_in": divisors(inp.channels // g),
            "coarse_out": coarse_out,
            "fine": padded_values(kh * kw),
            "coarse_group": divisors(g),
            "reuse": divisors(out.width),
            "terms": [1, *flattened_values(inp.channels // g, kh * kw)],
        }

    def folding_error(self, folding: Folding) -> str | None:
        """Padded output passes need whole groups per pass (coarse_out | C_out/groups when
        coarse_group > 1), and so do weights off chip (a DRAM stream or a generator sends whole
        words: fine | Kh*Kw too); temporal reuse (reuse > 1) cannot be combined with a merged side conv
        (the side conv's outputs would need a second output buffer).  The flattened form (terms > 1)
        slices one whole window (coarse_in = C_in/groups, fine = 1), on chip, without a merged side
        conv, and is not the kernel-position form in disguise (terms not a multiple of coarse_in)."""
        return _conv_folding_error(self._folding_facts(), self.factors(folding))

    def side_conv_error(self, side_channels: int) -> str | None:
        """Why this conv, at its current folding, cannot host a merged side conv of `side_channels`
        outputs (merge-loops asks before merging one), or None."""
        facts = dict(self._folding_facts(), side=side_channels)
        return _conv_folding_error(facts, self.factors({}))

    def worth_searching(self, folding: Folding) -> bool:
        """Temporal reuse beyond two pixels is the last resort: R pixels side by side cost R
        windows and an output buffer, while more input channels or kernel positions per pass
        reach the same rate with neither; so reuse > 2 is searched only once a pass takes every
        input channel of its group and every kernel position.  Reuse 2 is always searched: it
        packs an odd coarse_out two products to a DSP and doubles a pass's products without
        widening its weight word."""
        return _conv_worth_searching(self._folding_facts(), self.factors(folding))

    def searched_foldings(self, names, configs):
        """`DataflowOp.searched_foldings`, reading the op's shapes once for all the points."""
        facts = self._folding_facts()
        kept = []
        at = {name: i for i, name in enumerate(names)}
        whole = facts["cin_g"]
        for config in configs:
            if (
                "terms" in at
                and config[at["terms"]] > 1
                and (config[at["fine"]] != 1 or config[at["coarse_in"]] != whole)
            ):
                continue  # the flattened form's most common rejection, before building the dict
            f = dict(zip(names, config, strict=True))
            if all(v == 1 for v in config) or (
                _conv_folding_error(facts, f) is None and _conv_worth_searching(facts, f)
            ):
                kept.append(config)
        return kept

    def _folding_facts(self) -> dict[str, int | None]:
        """What the folding rules read: channels per group, kernel positions, the merged side conv's channels."""
        c_in, c_out, groups, positions = self.shape_facts()
        side_channels = None
        if self.side is not None and not self.has_forward:
            side = self.side.type
            assert isinstance(side, StreamType)
            side_channels = side.channels
        return {
            "cin_g": c_in // groups,
            "cout_g": c_out // groups,
            "positions": positions,
            "side": side_channels,
            "off_chip": is_off_chip(self),
        }

    def set_folding(self, folding: Folding) -> None:
        """Write the factors; reuse = 1 and terms = 1 are the defaults and are left unwritten."""
        for name, value in folding.items():
            if name in ("reuse", "terms") and value == 1:
                self.properties.pop(name, None)
            else:
                self.properties[name] = IntegerAttr(value, i64)

    def passes(self, folding: Folding | None = None) -> dict[str, int]:
        """Loop trip counts of the MAC array at a folding (`conv_passes`)."""
        c_in, c_out, groups, positions = self.shape_facts()
        return conv_passes(c_in, c_out, groups, positions, self.factors(folding))

    def shape_facts(self) -> tuple[int, int, int, int]:
        """(C_in, C_out, groups, Kh*Kw): what the pass counts and lanes of a folding depend on."""
        out = self.output.type
        assert isinstance(out, StreamType)
        kh, kw = self.kernel_size
        return self.window_stream.channels, out.channels, self.groups.value.data, kh * kw

    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        """The window's input: coarse_in*coarse_group; the skip stream (operand 1): the result's lanes."""
        f = self.factors(folding)
        if index == 1 and self.skip is not None:
            return self.output_lanes(0, f)
        return f["coarse_in"] * f["coarse_group"]

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        """The result: `conv_result_lanes`; the side result: the forwarded centre pixel at the
        input's lanes, a merged 1x1 conv at coarse_out."""
        f = self.factors(folding)
        if index == 1:
            return f["coarse_in"] * f["coarse_group"] if self.has_forward else f["coarse_out"]
        return conv_result_lanes(*self.shape_facts(), f)

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
        check_factor(self, "coarse_in", self.coarse_in.value.data, c_in // groups, "input channels per group")
        check_factor(self, "coarse_group", self.coarse_group.value.data, groups, "groups")
        check_factor(self, "reuse", self.reuse_factor, out.width, "output width")
        if self.terms is not None and self.terms.value.data < 1:
            raise VerifyException(f"{who(self)}: terms must be >= 1, got {self.terms.value.data}")
        error = self.folding_error(self.folding())
        if error is not None:
            raise VerifyException(f"{who(self)}: {error}")
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
