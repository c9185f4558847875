"""The cost model of `dataflow.conv`: fpgaConvNet's convolution layer, its fused epilogue and temporal reuse.

`conv_cost` is the layer formula of plain ints (docs/cost_model.md, 5.1);
`conv_op_cost` reads a `ConvOp` and adds what `merge-loops` and
`minimize-residual-buffers` fused into it (requant, skip add, side output);
`apply_reuse` turns that into the cost with temporal reuse.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import (
    ACC_BITS,
    BIAS_BITS,
    CONTROL_FF,
    CONTROL_LUT,
    FLOAT32_ADD_LATENCY,
    IO_LATENCY,
    WINDOW_LUT_PER_BIT,
    adders,
    float_adders,
    mac_array,
    sliding_window,
    window_fill,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.parts import activation_part, const_multiply_part, requant_part
from fpga_opt.backend.costs.registry import COST_MODELS, REFERENCE_CONTEXT, CostContext
from fpga_opt.backend.costs.streams import stream_type, value_bits, window_fifo_cost
from fpga_opt.backend.target.resources import (
    PACKING_MAX_BITS,
    Resources,
    dsp_for_float32,
    dsp_per_multiply,
    memory_resources,
    placed_memory,
)
from fpga_opt.dialects.dataflow import ConvOp, element_bitwidth, weight_placement


def conv_cost(
    *,
    h_in: int,
    w_in: int,
    c_in: int,
    c_out: int,
    kh: int,
    kw: int,
    stride_h: int = 1,
    stride_w: int = 1,
    pad_t: int = 0,
    pad_b: int = 0,
    pad_l: int = 0,
    pad_r: int = 0,
    dilation_h: int = 1,
    dilation_w: int = 1,
    groups: int = 1,
    in_bits: int = 8,
    weight_bits: int = 8,
    acc_bits: int = 32,
    bias_bits: int = 0,
    coarse_in: int = 1,
    coarse_out: int = 1,
    coarse_group: int = 1,
    fine: int = 1,
    packing: bool = True,
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
    float32: bool = False,
    weight_placement: str | None = None,
) -> LayerCost:
    """A (grouped, depthwise, dilated) convolution as a sliding window + MAC array.

    cycles = max(H_in*W_in*C_in / (ci*cg),
                 H_out*W_out*(C_in/groups)*C_out*Kh*Kw / (ci*co*cg*fine))   [fpgaConvNet]
    Legal: groups | C_in, C_out; ci | C_in/groups; co | C_out/groups;
    cg | groups; fine | Kh*Kw.  With cg = 1 this is fpgaConvNet's formula.
    """
    checks.positive(
        h_in=h_in,
        w_in=w_in,
        c_in=c_in,
        c_out=c_out,
        kh=kh,
        kw=kw,
        stride_h=stride_h,
        stride_w=stride_w,
        dilation_h=dilation_h,
        dilation_w=dilation_w,
        groups=groups,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        coarse_in=coarse_in,
        coarse_out=coarse_out,
        coarse_group=coarse_group,
        fine=fine,
    )
    checks.non_negative(pad_t=pad_t, pad_b=pad_b, pad_l=pad_l, pad_r=pad_r, bias_bits=bias_bits)
    checks.known_dsp_type(dsp_type)
    checks.float32_operands(float32, in_bits=in_bits, weight_bits=weight_bits, acc_bits=acc_bits)
    checks.divides("groups", groups, "C_in", c_in)
    checks.divides("groups", groups, "C_out", c_out)
    cin_g, cout_g = c_in // groups, c_out // groups
    checks.divides("coarse_in", coarse_in, "C_in/groups", cin_g)
    checks.divides("coarse_out", coarse_out, "C_out/groups", cout_g)
    checks.divides("coarse_group", coarse_group, "groups", groups)
    checks.divides("fine", fine, "Kh*Kw", kh * kw)

    h_out = checks.output_size(h_in, kh, stride_h, pad_t, pad_b, dilation_h)
    w_out = checks.output_size(w_in, kw, stride_w, pad_l, pad_r, dilation_w)
    kh_eff, kw_eff = dilation_h * (kh - 1) + 1, dilation_w * (kw - 1) + 1
    in_lanes = coarse_in * coarse_group
    out_lanes = coarse_out * coarse_group
    mult_lanes = coarse_in * coarse_out * coarse_group * fine

    in_cycles = h_in * w_in * c_in // in_lanes
    compute_cycles = h_out * w_out * cin_g * c_out * kh * kw // mult_lanes
    cycles = max(in_cycles, compute_cycles)

    row_words = w_in + pad_l + pad_r
    fill = window_fill(kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes)
    per_pixel = -(-cycles // (h_out * w_out))

    # One group lane: coarse_in * fine input values per cycle, each meeting coarse_out weights
    # (the coarse_out multiplies share the activation operand); the group lanes are copies.
    mac, mac_latency = mac_array(
        in_lanes=coarse_in * fine,
        out_lanes=coarse_out,
        products_per_out=coarse_in * fine,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        packing=packing,
        dsp_type=dsp_type,
        float32=float32,
    )
    mac = mac.scale(coarse_group)

    # All multipliers read their weight at the same address each cycle: one memory of
    # mult_lanes weights per word (see "memory layout" in docs/cost_model.md).
    weight_depth = c_out * cin_g * kh * kw // mult_lanes
    weights = placed_memory(weight_bits * mult_lanes, weight_depth, allow_uram, weight_placement)
    bias = Resources()
    if bias_bits:
        bias = memory_resources(bias_bits * out_lanes, c_out // out_lanes, allow_uram)
    window = sliding_window(
        kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes, bits=in_bits, allow_uram=allow_uram
    )
    # Input channels are accumulated one lane-group per cycle while all output channels of the
    # group are in flight: partial sums live in a memory unless one cycle covers all inputs.
    partial_sums = Resources()
    if cin_g // coarse_in > 1:
        partial_sums = memory_resources(acc_bits * out_lanes, cout_g // coarse_out, allow_uram, dual_port=True)
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)

    resources = mac + weights + bias + window + partial_sums + control
    depth = fill + per_pixel + mac_latency + IO_LATENCY
    return LayerCost(cycles, depth, resources)


def conv_macs(*, h_out: int, w_out: int, c_in: int, c_out: int, kh: int, kw: int, groups: int = 1) -> int:
    """Multiply-accumulates of one frame of a convolution."""
    checks.positive(h_out=h_out, w_out=w_out, c_in=c_in, c_out=c_out, kh=kh, kw=kw, groups=groups)
    checks.divides("groups", groups, "C_in", c_in)
    return h_out * w_out * (c_in // groups) * c_out * kh * kw


@COST_MODELS.register(ConvOp)
def conv_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.conv`: `conv_cost` plus the fused epilogue and side output.

    Epilogue on `coarse_out*coarse_group` lanes: bias (in `conv_cost`),
    requant, skip add (constant multiplies by `acc_mult`/`skip_mult`, an
    adder, `skip_requant`), activation.  A forwarded centre pixel costs an
    output register; a side 1x1 conv (`side_weights`) is a second MAC array
    of `coarse_in x coarse_out` multipliers over the same loop, with its own
    weights, partial sums, bias and requant: cycles are the larger of the
    two convs'.
    """
    assert isinstance(op, ConvOp)
    f = ctx.folding(op)
    inp, out = op.window_stream, stream_type(op.output)
    h_in, w_in, c_in = inp.dims
    is_float = not inp.is_integer
    in_bits = value_bits(inp)
    weight_bits = 32 if is_float else element_bitwidth(op.weight_type)
    final_requant = op.skip_requant if op.skip is not None else op.requant
    acc_bits = (
        ACC_BITS if is_float or final_requant is not None or op.requant is not None else max(ACC_BITS, out.bitwidth)
    )
    common = {
        "in_bits": in_bits,
        "weight_bits": weight_bits,
        "acc_bits": acc_bits,
        "packing": ctx.packing,
        "allow_uram": ctx.allow_uram,
        "dsp_type": ctx.dsp_type,
        "float32": is_float,
    }
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    dh, dw = op.dilation_size
    pt, pl, pb, pr = op.padding
    base = conv_cost(
        h_in=h_in,
        w_in=w_in,
        c_in=c_in,
        c_out=out.channels,
        kh=kh,
        kw=kw,
        stride_h=sh,
        stride_w=sw,
        pad_t=pt,
        pad_l=pl,
        pad_b=pb,
        pad_r=pr,
        dilation_h=dh,
        dilation_w=dw,
        groups=op.groups.value.data,
        bias_bits=BIAS_BITS if op.bias is not None else 0,
        coarse_in=f["coarse_in"],
        coarse_out=f["coarse_out"],
        coarse_group=f["coarse_group"],
        fine=f["fine"],
        weight_placement=weight_placement(op),
        **common,
    )
    cycles, depth, res = base.cycles, base.pipeline_depth, base.resources
    lanes = op.output_lanes(0, f)
    out_bits = value_bits(out)

    # Epilogue: requant -> skip add (-> skip_requant) -> activation.
    bits = acc_bits
    if op.requant is not None:
        r, lat = requant_part(op.requant, acc_bits, out_bits, lanes, ctx)
        res, depth, bits = res + r, depth + lat, out_bits
    if op.skip is not None:
        skip_bits = value_bits(stream_type(op.skip))
        if is_float:
            r, lat = float_adders(lanes), FLOAT32_ADD_LATENCY
            sum_bits = 32
        else:
            ra, la = const_multiply_part(op.acc_mult.value.data, bits, lanes)
            rs, ls = const_multiply_part(op.skip_mult.value.data, skip_bits, lanes)
            a_bits = bits + abs(op.acc_mult.value.data).bit_length() - 1
            s_bits = skip_bits + abs(op.skip_mult.value.data).bit_length() - 1
            sum_bits = max(a_bits, s_bits) + 1
            r, lat = ra + rs + adders(lanes, sum_bits), max(la, ls) + 1
        res, depth, bits = res + r, depth + lat, sum_bits
        if op.skip_requant is not None:
            r, lat = requant_part(op.skip_requant, bits, out_bits, lanes, ctx)
            res, depth, bits = res + r, depth + lat, out_bits
    if op.activation is not None:
        r, lat = activation_part(op.activation, out_bits, lanes, is_float)
        res, depth = res + r, depth + lat

    if op.side is not None:
        side = stream_type(op.side)
        if op.has_forward:
            # The centre pixel is already in the window registers: an output register.
            res += Resources(ff=op.output_lanes(1, f) * in_bits)
        else:
            side_cost = conv_cost(
                h_in=out.height,
                w_in=out.width,
                c_in=c_in,
                c_out=side.channels,
                kh=1,
                kw=1,
                bias_bits=BIAS_BITS if op.side_bias is not None else 0,
                coarse_in=f["coarse_in"],
                coarse_out=f["coarse_out"],
                **common,
            )
            # The loop counters and control are shared with the main conv.
            side_res = side_cost.resources
            res += Resources(
                dsp=side_res.dsp,
                bram18=side_res.bram18,
                uram=side_res.uram,
                lut=max(0, side_res.lut - CONTROL_LUT),
                ff=max(0, side_res.ff - CONTROL_FF),
            )
            cycles = max(cycles, side_cost.cycles)
            if op.side_requant is not None:
                r, _ = requant_part(op.side_requant, acc_bits, value_bits(side), op.output_lanes(1, f), ctx)
                res += r
    cost = LayerCost(cycles, depth, res + window_fifo_cost(op, ctx))
    return apply_reuse(op, cost, ctx)


def apply_reuse(op: ConvOp, cost: LayerCost, ctx: CostContext = REFERENCE_CONTEXT) -> LayerCost:
    """The cost of `op` with temporal reuse R = `op.reuse`, from its cost without reuse.

    Each weight word read serves R consecutive output pixels of a row, computed
    side by side: R times the multipliers, adder trees and accumulators, but
    the weight memory is read once per R pixels, so its width and depth do
    not change (reaching the same parallelism with `coarse_out * R` would
    widen it R times).  The R products of one weight share that operand, so
    with int8 packing on DSP48E2 any two of them fill one DSP, even with
    `coarse_out = 1`.  The window registers widen by (R-1)*stride_w columns.
    Compute cycles divide by R; the input term (every input element is read
    once at `coarse_in` per cycle) does not.  The first output waits for
    (R-1)*stride_w more input pixels.
    """
    reuse = op.reuse_factor
    if reuse == 1:
        return cost
    inp, out = op.window_stream, stream_type(op.output)
    kh, kw = op.kernel_size
    sw = op.stride_size[1]
    f = ctx.folding(op)
    is_float = not inp.is_integer
    in_bits = value_bits(inp)
    weight_bits = 32 if is_float else element_bitwidth(op.weight_type)
    in_lanes = op.input_lanes(0, f)
    mult_lanes = f["coarse_in"] * f["coarse_out"] * f["coarse_group"] * f["fine"]
    macs = conv_macs(
        h_out=out.height,
        w_out=out.width,
        c_in=inp.channels,
        c_out=out.channels,
        kh=kh,
        kw=kw,
        groups=op.groups.value.data,
    )
    cycles = max(inp.numel // in_lanes, -(-(macs // mult_lanes) // reuse))
    extra_mults = mult_lanes * (reuse - 1)
    if is_float:
        extra = Resources(dsp=dsp_for_float32(extra_mults, extra_mults))
    elif ctx.packing and ctx.dsp_type == "DSP48E2" and max(in_bits, weight_bits) <= PACKING_MAX_BITS:
        per_in_lane = f["coarse_in"] * f["fine"] * f["coarse_group"]
        packed = per_in_lane * -(-(f["coarse_out"] * reuse) // 2)
        extra = Resources(dsp=max(0, packed - cost.resources.dsp))
    else:
        extra = Resources(dsp=extra_mults * dsp_per_multiply(in_bits, weight_bits, ctx.dsp_type))
    extra += adders(extra_mults, in_bits + weight_bits + 4)
    window_bits = kh * (reuse - 1) * sw * in_lanes * in_bits
    extra += Resources(lut=WINDOW_LUT_PER_BIT * window_bits, ff=window_bits)
    depth = cost.pipeline_depth + (reuse - 1) * sw * inp.channels // in_lanes
    return LayerCost(cycles, depth, cost.resources + extra)
