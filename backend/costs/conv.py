"""The cost model of `dataflow.conv`: fpgaConvNet's convolution layer with padded passes and temporal reuse, and its fused epilogue.

`conv_cost` is the layer formula of plain ints (docs/cost_model.md, 5.1);
`conv_op_cost` reads a `ConvOp` and adds what `merge-loops` and
`minimize-residual-buffers` fused into it (requant, skip add, side output).
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import (
    ACC_BITS,
    BIAS_BITS,
    FLOAT32_ADD_LATENCY,
    IO_LATENCY,
    WINDOW_LUT_PER_BIT,
    adders,
    float_adders,
    kernel_control,
    mac_array,
    sliding_window,
    window_fill,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.parts import activation_part, const_multiply_part, requant_part
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import is_unsigned, stream_type, value_bits, window_fifo_cost
from fpga_opt.backend.target.resources import Resources, memory_resources, placed_memory, rom_resources
from fpga_opt.dialects.dataflow import (
    ConvOp,
    conv_passes,
    conv_result_lanes,
    element_bitwidth,
    pass_terms,
    weight_placement,
)

#: Banks of a reuse conv's windows and of its held accumulators: the producer's, the one-deep
#: FIFO's and the consumer's (conv.h, conv_reuse_impl; an hls::stream token is copied in and out).
REUSE_BANKS = 3


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
    reuse: int = 1,
    terms: int = 1,
    port_lanes: int = 0,
    out_bits: int = 8,
    skip_bits: int = 0,
    packing: bool = True,
    dsp_type: str = "DSP48E2",
    float32: bool = False,
    in_unsigned: bool = False,
    lut_per_bram18: float = 0.0,
    control: bool = True,
    weight_placement: str | None = None,
) -> LayerCost:
    """A (grouped, depthwise, dilated) convolution as a sliding window + MAC array.

    The MAC array makes ng*nk*nj*nf passes per output pixel: ng = groups/cg group chunks,
    nk = (C_in/groups)/ci input-channel passes, nj = ceil((C_out/groups)/co) output passes and
    nf = ceil(Kh*Kw/fine) kernel-position passes (the last pass padded when co or fine does not
    divide: padded lanes).  With temporal reuse R, R output pixels of a row share each pass:

        cycles = max(H_in*W_in*C_in / (ci*cg),                          [fpgaConvNet]
                     (H_out*W_out/R) * max(ng*nk*nj*nf, R*ng*nk))

    which is fpgaConvNet's formula when everything divides and R = 1.  With R > 1 the first
    group's windows (R*ng*nk tokens) and the last group's drain (R*C_out/port tokens) overlap the
    neighbouring frames (the kernel is three dataflow processes): they are pipeline depth.  The flattened form
    (`terms` > 1, with ci = C_in/groups and fine = 1) multiplies `terms` products of the window's
    C_in/groups x Kh*Kw a cycle per output lane: nf = ceil(C_in/groups*Kh*Kw / terms).  `port_lanes` is the
    width of the result stream (the op's `output_lanes`; 0: coarse_out*coarse_group): with
    padded passes the kernel repacks co-wide passes into it, with reuse it drains an output
    buffer of R pixels through it.  `control=False` leaves out the loop counters (a side conv
    merged into another's loop shares them).  Legal: groups | C_in, C_out; ci | C_in/groups;
    1 <= co <= C_out/groups (co | C_out/groups when cg > 1); cg | groups; 1 <= fine <= Kh*Kw;
    R | W_out.
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
        out_bits=out_bits,
        coarse_in=coarse_in,
        coarse_out=coarse_out,
        coarse_group=coarse_group,
        fine=fine,
        reuse=reuse,
    )
    checks.non_negative(
        pad_t=pad_t,
        pad_b=pad_b,
        pad_l=pad_l,
        pad_r=pad_r,
        bias_bits=bias_bits,
        port_lanes=port_lanes,
        skip_bits=skip_bits,
    )
    checks.known_dsp_type(dsp_type)
    checks.float32_operands(float32, in_bits=in_bits, weight_bits=weight_bits, acc_bits=acc_bits)
    checks.divides("groups", groups, "C_in", c_in)
    checks.divides("groups", groups, "C_out", c_out)
    cin_g, cout_g = c_in // groups, c_out // groups
    checks.divides("coarse_in", coarse_in, "C_in/groups", cin_g)
    checks.at_most("coarse_out", coarse_out, "C_out/groups", cout_g)
    if coarse_group > 1:
        checks.divides("coarse_out", coarse_out, "C_out/groups (with coarse_group > 1)", cout_g)
    checks.divides("coarse_group", coarse_group, "groups", groups)
    checks.at_most("fine", fine, "Kh*Kw", kh * kw)
    if terms > 1:
        if coarse_in != cin_g or fine != 1:
            raise ValueError(
                f"terms={terms} needs coarse_in=C_in/groups={cin_g} and fine=1, got {coarse_in} and {fine}"
            )
        checks.at_most("terms", terms, "C_in/groups*Kh*Kw", cin_g * kh * kw)

    h_out = checks.output_size(h_in, kh, stride_h, pad_t, pad_b, dilation_h)
    w_out = checks.output_size(w_in, kw, stride_w, pad_l, pad_r, dilation_w)
    checks.divides("reuse", reuse, "W_out", w_out)
    kh_eff, kw_eff = dilation_h * (kh - 1) + 1, dilation_w * (kw - 1) + 1
    in_lanes = coarse_in * coarse_group
    folding = {"coarse_in": coarse_in, "coarse_out": coarse_out, "coarse_group": coarse_group, "fine": fine}
    folding["reuse"], folding["terms"] = reuse, terms
    products = pass_terms(folding)  # per output lane and cycle
    mult_lanes = products * coarse_out * coarse_group
    passes = conv_passes(c_in, c_out, groups, kh * kw, folding)
    ng, nk, nj, nf, steps = passes["ng"], passes["nk"], passes["nj"], passes["nf"], passes["steps"]
    port = port_lanes or conv_result_lanes(c_in, c_out, groups, kh * kw, folding)

    in_cycles = h_in * w_in * c_in // in_lanes
    # With reuse, the gather, MAC and drain processes of the kernel overlap across frames
    # (conv.h, conv_reuse_impl): the first group's windows and the last group's drain are
    # latency (`depth`, below), not interval.
    compute_cycles = (h_out * w_out // reuse) * steps
    cycles = max(in_cycles, compute_cycles)

    row_words = w_in + pad_l + pad_r
    fill = window_fill(kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes)
    per_pixel = -(-cycles // (h_out * w_out))

    # One group lane: coarse_in * fine (or `terms`) input values per cycle (of each of `reuse`
    # pixels), each meeting coarse_out weights; the group lanes are copies.  Which window values a
    # pass takes is a multiplexer of nf inputs per value in both forms, not counted in either.
    mac, mac_latency = mac_array(
        in_lanes=products,
        out_lanes=coarse_out * reuse,
        products_per_out=products,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        packing=packing,
        dsp_type=dsp_type,
        float32=float32,
        in_unsigned=in_unsigned,
    )
    mac = mac.scale(coarse_group)

    # All multipliers read their weight at the same address each cycle: one memory of
    # mult_lanes weights per word (see "memory layout" in docs/cost_model.md); padded passes
    # hold zeros.  Weights and biases are ROMs (`rom_resources`) unless place-weights put them
    # elsewhere (`placed_memory`: a named memory, or DRAM / a generator and only a register).
    if weight_placement is None:
        weights = rom_resources(weight_bits * mult_lanes, ng * nk * nj * nf, lut_per_bram18)
    else:
        weights = placed_memory(weight_bits * mult_lanes, ng * nk * nj * nf, False, weight_placement)
    bias = Resources()
    if bias_bits:
        bias = rom_resources(bias_bits * coarse_out * coarse_group, ng * nj, lut_per_bram18)
    window = sliding_window(
        kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes, bits=in_bits, rows=h_in + pad_t + pad_b
    )
    # Input channels are accumulated one lane-group per cycle while all output channels of the
    # group are in flight: partial sums live in a memory unless one cycle covers all inputs.
    partial_sums = Resources()
    if nk > 1:
        partial_sums = memory_resources(acc_bits * coarse_out * coarse_group, nj, dual_port=True)
    control = kernel_control(compute_cycles, steps // (ng * nk), nk, ng) if control else Resources()
    resources = mac + weights + bias + window + partial_sums + control
    depth = fill + per_pixel + mac_latency + IO_LATENCY

    if reuse > 1:
        # Three banks of the windows of `reuse` pixels: the group the gather process assembles,
        # the group token waiting in the one-deep FIFO to the MAC process, and the MAC process's
        # copy of the group it computes on (conv.h, conv_reuse_impl).  A group moves as one
        # token, so each bank is registers (`tokens` window tokens a pixel), with a write select
        # per bit and, when a pixel is several tokens, the MAC's multiplexer choosing one.
        # Likewise three banks of the group's biased accumulators (being summed, in the FIFO,
        # being drained `port` lanes at a time).
        tokens = ng * nk
        window_word = kh * kw * in_lanes * in_bits
        resources += Resources(
            lut=WINDOW_LUT_PER_BIT * reuse * tokens * window_word + reuse * window_word * mux_luts(tokens),
            ff=REUSE_BANKS * reuse * tokens * window_word,
        )
        held = reuse * c_out
        resources += Resources(ff=REUSE_BANKS * held * acc_bits, lut=port * acc_bits * mux_luts(reuse * c_out // port))
        if nk > 1:  # partial sums of every pixel of the group
            resources += memory_resources(acc_bits * coarse_out * coarse_group, nj, dual_port=True).scale(reuse - 1)
        # Frame 0: the gather reads the first group's R*ng*nk window tokens (no faster than they
        # arrive) before the MAC process starts; the group's results then drain R*C_out/port tokens.
        gather = max((reuse - 1) * stride_w * c_in // in_lanes, reuse * ng * nk)
        depth += gather + reuse * c_out // port
    elif port != coarse_out * coarse_group:
        # Padded output passes repacked into `port`-lane tokens (and the skip stream unpacked).
        resources += repacker(coarse_out, port, out_bits)
        if skip_bits:
            resources += repacker(coarse_out, port, skip_bits)
    return LayerCost(cycles, depth, resources)


def repacker(lanes: int, port: int, bits: int) -> Resources:
    """A lane adapter between `lanes`-wide passes and `port`-wide tokens (port >= lanes): a
    register of port + lanes - 1 values, each written from one of `lanes` positions or kept."""
    slots = port + lanes - 1
    return Resources(lut=slots * bits * mux_luts(lanes + 1), ff=slots * bits + 8)


def mux_luts(inputs: int) -> int:
    """LUT6s per bit of an `inputs`:1 multiplexer: a LUT6 is a 4:1 mux, each further LUT adds three
    inputs (UG574, CLB multiplexers; the same count `concat_cost` uses)."""
    return -(-(inputs - 1) // 3) if inputs > 1 else 0


def conv_macs(*, h_out: int, w_out: int, c_in: int, c_out: int, kh: int, kw: int, groups: int = 1) -> int:
    """Multiply-accumulates of one frame of a convolution."""
    checks.positive(h_out=h_out, w_out=w_out, c_in=c_in, c_out=c_out, kh=kh, kw=kw, groups=groups)
    checks.divides("groups", groups, "C_in", c_in)
    return h_out * w_out * (c_in // groups) * c_out * kh * kw


def _conv_facts(op: Operation) -> dict:
    """What `conv_op_cost` reads from a conv that no folding changes: shapes, bit widths, fused parts."""
    assert isinstance(op, ConvOp)
    inp, out = op.window_stream, stream_type(op.output)
    h_in, w_in, c_in = inp.dims
    is_float = not inp.is_integer
    final_requant = op.skip_requant if op.skip is not None else op.requant
    acc_bits = (
        ACC_BITS if is_float or final_requant is not None or op.requant is not None else max(ACC_BITS, out.bitwidth)
    )
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    pt, pl, pb, pr = op.padding
    layer = {
        "h_in": h_in,
        "w_in": w_in,
        "c_in": c_in,
        "c_out": out.channels,
        "kh": kh,
        "kw": kw,
        "stride_h": sh,
        "stride_w": sw,
        "pad_t": pt,
        "pad_l": pl,
        "pad_b": pb,
        "pad_r": pr,
        "groups": op.groups.value.data,
        "bias_bits": BIAS_BITS if op.bias is not None else 0,
        "out_bits": value_bits(out),
        "skip_bits": value_bits(stream_type(op.skip)) if op.skip is not None else 0,
    }
    operands = {
        "in_bits": value_bits(inp),
        "weight_bits": 32 if is_float else element_bitwidth(op.weight_type),
        "acc_bits": acc_bits,
        "float32": is_float,
        "in_unsigned": is_unsigned(inp),
    }
    side = stream_type(op.side) if op.side is not None else None
    return {
        "layer": layer,
        "operands": operands,
        "requant": op.requant,
        "skip": op.skip is not None,
        "skip_requant": op.skip_requant,
        "acc_mult": op.acc_mult.value.data,
        "skip_mult": op.skip_mult.value.data,
        "activation": op.activation,
        "side": side,
        "side_forward": op.has_forward,
        "side_bias_bits": BIAS_BITS if op.side_bias is not None else 0,
        "side_requant": op.side_requant,
        "out_height": out.height,
        "out_width": out.width,
    }


@COST_MODELS.register(ConvOp)
def conv_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.conv`: `conv_cost` plus the fused epilogue and side output.

    Epilogue (requant, skip add with constant multiplies by `acc_mult`/`skip_mult`, an adder
    and `skip_requant`, activation) on the lanes it runs on: `coarse_out*coarse_group` as each
    pass ends, or with temporal reuse the result's lanes as the output buffer drains.  A
    forwarded centre pixel costs an output register; a side 1x1 conv (`side_weights`) is a
    second MAC array of `coarse_in x coarse_out` multipliers over the same loop, with its own
    weights, partial sums, bias and requant: cycles are the larger of the two convs'.
    """
    assert isinstance(op, ConvOp)
    f = ctx.folding(op)
    facts = ctx.static_facts(op, _conv_facts)
    layer, operands = facts["layer"], facts["operands"]
    common = {**operands, "packing": ctx.packing, "dsp_type": ctx.dsp_type, "lut_per_bram18": ctx.lut_per_bram18}
    port = conv_result_lanes(layer["c_in"], layer["c_out"], layer["groups"], layer["kh"] * layer["kw"], f)
    base = conv_cost(
        **layer,
        dilation_h=op.dilation_size[0],
        dilation_w=op.dilation_size[1],
        coarse_in=f["coarse_in"],
        coarse_out=f["coarse_out"],
        coarse_group=f["coarse_group"],
        fine=f["fine"],
        reuse=f["reuse"],
        terms=f.get("terms", 1),
        port_lanes=port,
        weight_placement=weight_placement(op),
        **common,
    )
    cycles, depth, res = base.cycles, base.pipeline_depth, base.resources
    if facts["skip"]:
        res += kernel_control(ports=1)  # the skip stream's port
    lanes = port if f["reuse"] > 1 else f["coarse_out"] * f["coarse_group"]
    acc_bits, in_bits, is_float = operands["acc_bits"], operands["in_bits"], operands["float32"]
    out_bits, skip_bits = layer["out_bits"], layer["skip_bits"]

    # Epilogue: requant -> skip add (-> skip_requant) -> activation.
    bits = acc_bits
    if facts["requant"] is not None:
        r, lat = requant_part(facts["requant"], acc_bits, out_bits, lanes, ctx)
        res, depth, bits = res + r, depth + lat, out_bits
    if facts["skip"]:
        if is_float:
            r, lat = float_adders(lanes), FLOAT32_ADD_LATENCY
            sum_bits = 32
        else:
            acc_mult, skip_mult = facts["acc_mult"], facts["skip_mult"]
            ra, la = const_multiply_part(acc_mult, bits, lanes)
            rs, ls = const_multiply_part(skip_mult, skip_bits, lanes)
            a_bits = bits + abs(acc_mult).bit_length() - 1
            s_bits = skip_bits + abs(skip_mult).bit_length() - 1
            sum_bits = max(a_bits, s_bits) + 1
            r, lat = ra + rs + adders(lanes, sum_bits), max(la, ls) + 1
        res, depth, bits = res + r, depth + lat, sum_bits
        if facts["skip_requant"] is not None:
            r, lat = requant_part(facts["skip_requant"], bits, out_bits, lanes, ctx)
            res, depth, bits = res + r, depth + lat, out_bits
    if facts["activation"] is not None:
        r, lat = activation_part(facts["activation"], out_bits, lanes, is_float)
        res, depth = res + r, depth + lat

    side = facts["side"]
    if side is not None:
        if facts["side_forward"]:
            # The centre pixel is already in the window registers: an output register and a port.
            res += Resources(ff=op.output_lanes(1, f) * in_bits) + kernel_control(ports=1)
        else:
            side_cost = conv_cost(
                h_in=facts["out_height"],
                w_in=facts["out_width"],
                c_in=layer["c_in"],
                c_out=side.channels,
                kh=1,
                kw=1,
                bias_bits=facts["side_bias_bits"],
                coarse_in=f["coarse_in"],
                coarse_out=f["coarse_out"],
                out_bits=value_bits(side),
                control=False,  # the loop counters are the main conv's
                **common,
            )
            res += side_cost.resources + kernel_control(ports=1)  # its own output port
            cycles = max(cycles, side_cost.cycles)
            if facts["side_requant"] is not None:
                r, _ = requant_part(facts["side_requant"], acc_bits, value_bits(side), op.output_lanes(1, f), ctx)
                res += r
    return LayerCost(cycles, depth, res + window_fifo_cost(op, ctx))
