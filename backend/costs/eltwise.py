"""The cost models of the elementwise ops: `dataflow.add`, `requantize`, `activation`, `softmax`.

Each streams `coarse` elements per cycle, so its cycles per frame are the
frame's elements over `coarse`; what differs is the logic per lane.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import (
    DSP_MULTIPLY_LATENCY,
    FLOAT32_ADD_FF,
    FLOAT32_ADD_LATENCY,
    FLOAT32_ADD_LUT,
    FLOAT32_CMP_FF,
    FLOAT32_CMP_LUT,
    FLOAT32_DIV_FF,
    FLOAT32_DIV_LATENCY,
    FLOAT32_DIV_LUT,
    FLOAT32_EXP_DSP,
    FLOAT32_EXP_FF,
    FLOAT32_EXP_LATENCY,
    FLOAT32_EXP_LUT,
    FLOAT32_MUL_FF,
    FLOAT32_MUL_LATENCY,
    FLOAT32_MUL_LUT,
    IO_LATENCY,
    adders,
    clog2,
    float_adders,
    kernel_control,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.parts import activation_part, const_multiply_part, requant_part
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import stream_cycles, stream_type, value_bits
from fpga_opt.backend.target.resources import Resources, dsp_for_float32, dsp_per_multiply, memory_resources
from fpga_opt.dialects.dataflow import ActivationOp, AddOp, RequantizeOp, SoftmaxOp

#: A multiply built from LUTs costs about one LUT per partial-product bit (a_bits * b_bits).
LUT_MULTIPLY_LUT_PER_BIT = 1
#: Activations computed by a lookup table of 2**bits entries (any function of an int input).
TABLE_ACTIVATIONS = frozenset(
    {
        "table",
        "sigmoid",
        "tanh",
        "silu",
        "swish",
        "hardswish",
        "hardsigmoid",
        "gelu",
        "elu",
        "leaky_relu",
        "leakyrelu",
        "exp",
    }
)
#: Activations that clamp to constant bounds: two comparators and a multiplexer.
CLIP_ACTIVATIONS = frozenset({"clip", "relu6", "hardtanh"})


# --------------------------------------------------------------------------------------
# Layer formulas
# --------------------------------------------------------------------------------------


def add_cost(*, h: int, w: int, c: int, bits: int = 8, coarse: int = 1, n_inputs: int = 2) -> LayerCost:
    """Elementwise addition of `n_inputs` streams: cycles = H*W*C / coarse.

    The result is bits + ceil(log2(n_inputs)) wide (requantisation is a separate layer).
    """
    checks.positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 2:
        raise ValueError(f"n_inputs must be an int >= 2, got {n_inputs!r}")
    checks.divides("coarse", coarse, "C", c)
    levels = clog2(n_inputs)
    resources = adders(coarse * (n_inputs - 1), bits + levels) + kernel_control(h * w * c // coarse, ports=n_inputs + 1)
    return LayerCost(h * w * c // coarse, levels + IO_LATENCY, resources)


def requantise_cost(
    *,
    h: int,
    w: int,
    c: int,
    acc_bits: int = 32,
    mult_bits: int = 32,
    shift_bits: int = 6,
    out_bits: int = 8,
    coarse: int = 1,
    per_channel: bool = True,
    use_dsp: bool = True,
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Requantisation y = saturate(round((x * m) >> s)) per element.

    cycles = H*W*C / coarse.  One acc_bits x mult_bits multiply per lane: on
    DSPs (`dsp_per_multiply`, 4 for 32x32) or, without `use_dsp`, in LUTs
    (about a*b LUTs).  Then a rounding adder, a barrel shifter (per-channel
    shifts) and a saturating clamp.  Per-channel (m, s) pairs live in a
    memory of C/coarse words per lane.
    """
    checks.positive(h=h, w=w, c=c, acc_bits=acc_bits, mult_bits=mult_bits, out_bits=out_bits, coarse=coarse)
    checks.non_negative(shift_bits=shift_bits)
    checks.known_dsp_type(dsp_type)
    checks.divides("coarse", coarse, "C", c)

    product_bits = acc_bits + mult_bits
    if use_dsp:
        per_lane = dsp_per_multiply(acc_bits, mult_bits, dsp_type)
        multiply = Resources(dsp=coarse * per_lane)
        mul_latency = DSP_MULTIPLY_LATENCY + clog2(per_lane)  # partial products cascade
    else:
        multiply = Resources(lut=coarse * acc_bits * mult_bits * LUT_MULTIPLY_LUT_PER_BIT, ff=coarse * product_bits)
        mul_latency = 2 + clog2(min(acc_bits, mult_bits))
    rounding = adders(coarse, product_bits)
    # A variable shift is ceil(shift_bits/2) levels of 4:1 multiplexers (one LUT6 per bit each).
    shifter_levels = -(-shift_bits // 2) if per_channel else 0
    shifter = Resources(lut=coarse * product_bits * shifter_levels)
    clamp = Resources(lut=coarse * 3 * out_bits, ff=coarse * out_bits)  # two compares + a mux
    params = Resources()
    if per_channel:
        params = memory_resources((mult_bits + shift_bits) * coarse, c // coarse)
    control = kernel_control(h * w * c // coarse)
    depth = mul_latency + 1 + (1 if shifter_levels else 0) + 1 + IO_LATENCY
    return LayerCost(h * w * c // coarse, depth, multiply + rounding + shifter + clamp + params + control)


def activation_cost(
    *,
    h: int,
    w: int,
    c: int,
    bits: int = 8,
    out_bits: int | None = None,
    coarse: int = 1,
    kind: str = "relu",
) -> LayerCost:
    """An elementwise activation on integers: cycles = H*W*C / coarse.

    relu: one LUT per bit (AND with the inverted sign).  clip/relu6/hardtanh:
    about three LUTs per bit.  Anything else in TABLE_ACTIVATIONS: a ROM of
    2**bits words of out_bits per lane (`memory_resources`; lanes read different
    addresses, so each has its own table).
    """
    checks.positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    checks.divides("coarse", coarse, "C", c)
    out_bits = bits if out_bits is None else out_bits
    checks.positive(out_bits=out_bits)
    kind = kind.lower()
    if kind == "relu":
        logic, depth = Resources(lut=coarse * bits, ff=coarse * out_bits), 1
    elif kind in CLIP_ACTIVATIONS:
        logic, depth = Resources(lut=coarse * 3 * bits, ff=coarse * out_bits), 2
    elif kind in TABLE_ACTIVATIONS:
        if bits > 16:
            raise ValueError(f"a lookup-table activation needs at most 16 input bits, got {bits}")
        logic = memory_resources(out_bits, 2**bits).scale(coarse) + Resources(ff=coarse * out_bits)
        depth = 2
    else:
        known = sorted({"relu"} | CLIP_ACTIVATIONS | TABLE_ACTIVATIONS)
        raise ValueError(f"unknown activation '{kind}' (known: {', '.join(known)})")
    resources = logic + kernel_control(h * w * c // coarse)
    return LayerCost(h * w * c // coarse, depth + IO_LATENCY, resources)


# --------------------------------------------------------------------------------------
# The op models
# --------------------------------------------------------------------------------------


@COST_MODELS.register(AddOp)
def add_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.add`: `add_cost`, constant multiplies by lhs_mult/rhs_mult, requant, activation; float adders on floats."""
    assert isinstance(op, AddOp)
    coarse = ctx.folding(op)["coarse"]
    lhs, rhs, out = stream_type(op.lhs), stream_type(op.rhs), stream_type(op.output)
    h, w, c = out.dims
    if not out.is_integer:
        base = add_cost(h=h, w=w, c=c, bits=32, coarse=coarse)
        res = base.resources + float_adders(coarse)
        depth = base.pipeline_depth + FLOAT32_ADD_LATENCY
        if op.activation is not None:
            r, lat = activation_part(op.activation, 32, coarse, True)
            res, depth = res + r, depth + lat
        return LayerCost(base.cycles, depth, res)
    lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
    l_bits = lhs.bitwidth + abs(lm).bit_length() - 1
    r_bits = rhs.bitwidth + abs(rm).bit_length() - 1
    bits = max(l_bits, r_bits)
    base = add_cost(h=h, w=w, c=c, bits=bits, coarse=coarse)
    ra, la = const_multiply_part(lm, lhs.bitwidth, coarse)
    rb, lb = const_multiply_part(rm, rhs.bitwidth, coarse)
    res, depth = base.resources + ra + rb, base.pipeline_depth + max(la, lb)
    if op.requant is not None:
        r, lat = requant_part(op.requant, bits + 1, out.bitwidth, coarse, ctx)
        res, depth = res + r, depth + lat
    if op.activation is not None:
        r, lat = activation_part(op.activation, out.bitwidth, coarse, False)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)


@COST_MODELS.register(RequantizeOp)
def requantize_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.requantize`: `requant_part` on `coarse` lanes, at one word per cycle."""
    assert isinstance(op, RequantizeOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = stream_type(op.input), stream_type(op.output)
    r, lat = requant_part(op.requant, inp.bitwidth, out.bitwidth, coarse, ctx)
    res = r + kernel_control(stream_cycles(inp, coarse))
    return LayerCost(stream_cycles(inp, coarse), lat + IO_LATENCY, res)


@COST_MODELS.register(ActivationOp)
def activation_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.activation`: `activation_part` on `coarse` lanes."""
    assert isinstance(op, ActivationOp)
    coarse = ctx.folding(op)["coarse"]
    inp = stream_type(op.input)
    r, lat = activation_part(op.activation, value_bits(inp), coarse, not inp.is_integer)
    res = r + kernel_control(stream_cycles(inp, coarse))
    return LayerCost(stream_cycles(inp, coarse), lat + IO_LATENCY, res)


@COST_MODELS.register(SoftmaxOp)
def softmax_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.softmax` (float): per pixel, max, exp and sum, then scale by the reciprocal.

    Three pipelined stages with a ping-pong buffer of the pixel's C values
    between them: one element per cycle per lane; the first output follows
    two passes over the channels.  Per lane: a comparator, an exponential, an
    adder and a multiplier; one divider computes the reciprocal per pixel.
    """
    assert isinstance(op, SoftmaxOp)
    coarse = ctx.folding(op)["coarse"]
    t = stream_type(op.input)
    words = t.channels // coarse
    buffers = memory_resources(32 * coarse, 2 * words, dual_port=True).scale(2)
    per_lane = Resources(
        dsp=FLOAT32_EXP_DSP + dsp_for_float32(1, 1),
        lut=FLOAT32_CMP_LUT + FLOAT32_EXP_LUT + FLOAT32_ADD_LUT + FLOAT32_MUL_LUT,
        ff=FLOAT32_CMP_FF + FLOAT32_EXP_FF + FLOAT32_ADD_FF + FLOAT32_MUL_FF,
    ).scale(coarse)
    divider = Resources(lut=FLOAT32_DIV_LUT, ff=FLOAT32_DIV_FF)
    res = buffers + per_lane + divider + kernel_control(stream_cycles(t, coarse), words)
    depth = (
        2 * words + FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY + FLOAT32_DIV_LATENCY + FLOAT32_MUL_LATENCY + IO_LATENCY
    )
    return LayerCost(stream_cycles(t, coarse), depth, res)
