"""The cost models of `dataflow.pool` and `dataflow.global_pool`: max and average pooling."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import (
    ADDER_FF_PER_BIT,
    ADDER_LUT_PER_BIT,
    DSP_MULTIPLY_LATENCY,
    FLOAT32_ADD_LATENCY,
    FLOAT32_DIV_FF,
    FLOAT32_DIV_LATENCY,
    FLOAT32_DIV_LUT,
    FLOAT32_MUL_LATENCY,
    IO_LATENCY,
    adders,
    clog2,
    float_adders,
    float_multipliers,
    kernel_control,
    sliding_window,
    window_fill,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.parts import requant_part
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import stream_type, value_bits, window_fifo_cost
from fpga_opt.backend.target.resources import Resources, dsp_for_multipliers, memory_resources
from fpga_opt.dialects.dataflow import GlobalPoolOp, PoolOp

#: Bits of the constant reciprocal an average that is not a power of two multiplies by.
RECIPROCAL_BITS = 18


def pool_cost(
    *,
    h_in: int,
    w_in: int,
    c: int,
    kh: int,
    kw: int,
    stride_h: int = 1,
    stride_w: int = 1,
    pad_t: int = 0,
    pad_b: int = 0,
    pad_l: int = 0,
    pad_r: int = 0,
    bits: int = 8,
    coarse: int = 1,
    kind: str = "max",
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Max or average pooling: a sliding window and a comparator/adder tree per lane.

    cycles = H_in*W_in*C / coarse (the whole window is reduced in one cycle).
    Average divides by Kh*Kw: a shift if that is a power of two, else one
    multiply by the reciprocal per lane.
    """
    checks.positive(
        h_in=h_in, w_in=w_in, c=c, kh=kh, kw=kw, stride_h=stride_h, stride_w=stride_w, bits=bits, coarse=coarse
    )
    checks.non_negative(pad_t=pad_t, pad_b=pad_b, pad_l=pad_l, pad_r=pad_r)
    checks.known_dsp_type(dsp_type)
    if kind not in ("max", "avg"):
        raise ValueError(f"pool kind must be 'max' or 'avg', got '{kind}'")
    checks.divides("coarse", coarse, "C", c)
    h_out = checks.output_size(h_in, kh, stride_h, pad_t, pad_b)
    w_out = checks.output_size(w_in, kw, stride_w, pad_l, pad_r)

    cycles = h_in * w_in * c // coarse
    row_words = w_in + pad_l + pad_r
    window = sliding_window(kh=kh, kw=kw, row_words=row_words, c=c, lanes=coarse, bits=bits, rows=h_in + pad_t + pad_b)
    k2 = kh * kw
    levels = clog2(k2)
    reduce_bits = bits if kind == "max" else bits + levels
    reduce = adders(coarse * (k2 - 1), reduce_bits)
    divide = Resources()
    if kind == "avg" and k2 & (k2 - 1):
        divide = Resources(dsp=dsp_for_multipliers(coarse, reduce_bits, RECIPROCAL_BITS, dsp_type=dsp_type))
    control = kernel_control(h_out * w_out * c // coarse, c // coarse)

    fill = window_fill(kh=kh, kw=kw, row_words=row_words, c=c, lanes=coarse)
    per_pixel = -(-cycles // (h_out * w_out))
    depth = fill + per_pixel + levels + (DSP_MULTIPLY_LATENCY if divide.dsp else 0) + IO_LATENCY
    return LayerCost(cycles, depth, window + reduce + divide + control)


def global_pool_cost(
    *,
    h: int,
    w: int,
    c: int,
    bits: int = 8,
    coarse: int = 1,
    kind: str = "avg",
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Global max/average pooling: one running max/sum per channel.

    cycles = H*W*C / coarse.  The C accumulators (bits + ceil(log2(H*W)) wide
    for avg) are `coarse` memories of C/coarse words.  The first output
    appears once the last pixel's first channels arrive.
    """
    checks.positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    checks.known_dsp_type(dsp_type)
    if kind not in ("max", "avg"):
        raise ValueError(f"global pool kind must be 'max' or 'avg', got '{kind}'")
    checks.divides("coarse", coarse, "C", c)

    cycles = h * w * c // coarse
    acc_bits = bits if kind == "max" else bits + clog2(h * w)
    accumulators = memory_resources(acc_bits * coarse, c // coarse, dual_port=True)
    update = adders(coarse, acc_bits)
    divide = Resources()
    if kind == "avg" and (h * w) & (h * w - 1):
        divide = Resources(dsp=dsp_for_multipliers(coarse, acc_bits, RECIPROCAL_BITS, dsp_type=dsp_type))
    control = kernel_control(cycles, c // coarse)
    depth = (h * w - 1) * c // coarse + 1 + (DSP_MULTIPLY_LATENCY if divide.dsp else 0) + IO_LATENCY
    return LayerCost(cycles, depth, accumulators + update + divide + control)


def _count_divider(dividend_bits: int, divisor_bits: int, lanes: int) -> tuple[Resources, int]:
    """exclude_pad's exact division of the requant product by the window's count, per lane.

    A pipelined restoring array divider: one `divisor_bits + 1`-bit subtractor per quotient bit
    (one stage each), costed as adders (`ADDER_*_PER_BIT`).
    """
    bits = dividend_bits * (divisor_bits + 1)
    return Resources(lut=ADDER_LUT_PER_BIT * bits * lanes, ff=ADDER_FF_PER_BIT * bits * lanes), dividend_bits


@COST_MODELS.register(PoolOp)
def pool_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.pool`: `pool_cost`; float averages use float adders; integer averages emit the sum, then requant."""
    assert isinstance(op, PoolOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = op.window_stream, stream_type(op.output)
    is_float = not inp.is_integer
    bits = value_bits(inp)
    kind = op.mode.data
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    pt, pl, pb, pr = op.padding
    base = pool_cost(
        h_in=inp.height,
        w_in=inp.width,
        c=inp.channels,
        kh=kh,
        kw=kw,
        stride_h=sh,
        stride_w=sw,
        pad_t=pt,
        pad_l=pl,
        pad_b=pb,
        pad_r=pr,
        bits=bits,
        coarse=coarse,
        kind=kind,
        dsp_type=ctx.dsp_type,
    )
    res, depth = base.resources, base.pipeline_depth
    k2 = kh * kw
    exclude_pad = kind == "avg" and op.exclude_pad is not None
    if is_float and kind == "avg":
        res += float_adders(coarse * (k2 - 1))
        if exclude_pad:  # the count varies per window: one float divider per lane
            res += Resources(lut=FLOAT32_DIV_LUT * coarse, ff=FLOAT32_DIV_FF * coarse)
            depth += clog2(k2) * FLOAT32_ADD_LATENCY + FLOAT32_DIV_LATENCY
        else:
            res += float_multipliers(coarse)
            depth += clog2(k2) * FLOAT32_ADD_LATENCY + FLOAT32_MUL_LATENCY
    if exclude_pad and op.reference_scales is not None and op.requant is not None:
        # qdq_scales: the reference's float32 mean (pool.h's pool_exclude_pad_qdq), per lane: one
        # multiplier per tap (dequantise), KH*KW adders in the column-then-row order (the columns in
        # parallel: KH + KW adds deep), two dividers in series (the count, the output scale), then an
        # integer clamp; no integer requant
        res += float_multipliers(coarse * k2) + float_adders(coarse * k2)
        res += Resources(lut=2 * FLOAT32_DIV_LUT * coarse, ff=2 * FLOAT32_DIV_FF * coarse)
        depth += FLOAT32_MUL_LATENCY + (kh + kw) * FLOAT32_ADD_LATENCY + 2 * FLOAT32_DIV_LATENCY
        return LayerCost(base.cycles, depth, res + window_fifo_cost(op, ctx))
    if op.requant is not None:
        sum_bits = bits + (clog2(k2) if kind == "avg" else 0)
        r, lat = requant_part(op.requant, sum_bits, out.bitwidth, coarse, ctx)
        res, depth = res + r, depth + lat
        if exclude_pad:
            r, lat = _count_divider(sum_bits + 33, clog2(k2 + 1), coarse)
            res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res + window_fifo_cost(op, ctx))


@COST_MODELS.register(GlobalPoolOp)
def global_pool_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.global_pool`: `global_pool_cost`; float averages add and scale in float32; then requant."""
    assert isinstance(op, GlobalPoolOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = stream_type(op.input), stream_type(op.output)
    is_float = not inp.is_integer
    bits = value_bits(inp)
    kind = op.mode.data
    base = global_pool_cost(
        h=inp.height,
        w=inp.width,
        c=inp.channels,
        bits=bits,
        coarse=coarse,
        kind=kind,
        dsp_type=ctx.dsp_type,
    )
    res, depth = base.resources, base.pipeline_depth
    if is_float and kind == "avg":
        res += float_adders(coarse) + float_multipliers(coarse)
        depth += FLOAT32_ADD_LATENCY + FLOAT32_MUL_LATENCY
    if op.requant is not None:
        sum_bits = bits + (clog2(inp.height * inp.width) if kind == "avg" else 0)
        r, lat = requant_part(op.requant, sum_bits, out.bitwidth, coarse, ctx)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)
