"""The fused parts several op families share: requantisation, constant multiplies, activations.

A conv's epilogue, a linear's, a pool's and an add's are the same hardware
pieces on the op's output lanes; each returns `(resources, latency)` so the
op model adds it to its own.  The constants are in `blocks.py`.
"""

from __future__ import annotations

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
    FLOAT32_MUL_LATENCY,
    adders,
    clog2,
    float_multipliers,
    is_power_of_two,
)
from fpga_opt.backend.costs.registry import CostContext
from fpga_opt.backend.target.boards import DSP48E2
from fpga_opt.backend.target.resources import Resources, dsp_for_float32, dsp_per_multiply, memory_resources
from fpga_opt.dialects.dataflow import ActivationAttr, RequantAttr


def requant_part(rq: RequantAttr, in_bits: int, out_bits: int, lanes: int, ctx: CostContext) -> tuple[Resources, int]:
    """A fused `#dataflow.requant` on `lanes` values per cycle: (resources, latency).

    One multiplier and shift for the whole tensor (constants): a power-of-two
    multiplier is wiring, otherwise one `in_bits x bits(m)` DSP multiply per
    lane (`dsp_per_multiply`); then a rounding adder, the constant shift
    (wiring) and a saturating clamp (two comparators and a mux, 3 LUT per
    output bit).  The latency is board-independent (DSP48E2 tiling).
    A per-channel requant (`multiplier = [...]`) always multiplies (a DSP
    per lane, as above, with the widest multiplier) and reads its multiplier
    from a ROM of C/lanes words of lanes x bits(m) (`memory_resources`).  A
    non-zero `offset` is one more adder in front of the multiply (the DSP48E2
    pre-adder could take it; counted in LUTs to stay conservative).  A fine
    bias (`fine_bias = [...]`) is one more ROM of C/lanes words of lanes x
    bits(b) and one more adder on the product (the DSP48E2 post-adder could
    take it; counted in LUTs, as the offset).
    """
    m = rq.multiplier.data
    res = Resources()
    latency = 0
    product_bits = in_bits
    if rq.offset.data:
        in_bits = max(in_bits, abs(rq.offset.data).bit_length() + 1) + 1
        res += adders(lanes, in_bits)
        latency += 1
        product_bits = in_bits
    if rq.per_channel:
        res += memory_resources(m.bit_length() * lanes, -(-len(rq.multipliers) // lanes))
        latency += 1
    if rq.per_channel or not is_power_of_two(m):
        m_bits = m.bit_length() + 1  # a signed operand
        res += Resources(dsp=lanes * dsp_per_multiply(in_bits, m_bits, ctx.dsp_type))
        latency += DSP_MULTIPLY_LATENCY + clog2(dsp_per_multiply(in_bits, m_bits, DSP48E2))
        product_bits = in_bits + m_bits
    if rq.fine_bias.data:
        b_bits = max(abs(b) for b in rq.fine_biases).bit_length() + 1
        res += memory_resources(b_bits * lanes, -(-len(rq.fine_biases) // lanes))
        res += adders(lanes, product_bits)
        latency += 1
    if rq.shift.data > 0 or rq.zero_point.data != 0:
        res += adders(lanes, product_bits)
        latency += 1
    res += Resources(lut=lanes * 3 * out_bits, ff=lanes * out_bits)
    return res, latency + 1


def const_multiply_part(m: int, bits: int, lanes: int) -> tuple[Resources, int]:
    """`lanes` multiplies by the integer constant `m`: wiring for 0 and +-2^k, else shift-and-add in LUTs.

    A shift-and-add multiplier needs one adder of `bits + bits(m)` per extra
    set bit of |m| (estimate; synthesis may use CSD recoding and do better).
    """
    a = abs(m)
    if a == 0 or is_power_of_two(a):
        return Resources(), 0
    width = bits + a.bit_length()
    extra = bin(a).count("1") - 1
    return adders(lanes * extra, width), clog2(extra + 1)


def activation_part(act: ActivationAttr, bits: int, lanes: int, is_float: bool) -> tuple[Resources, int]:
    """A fused `#dataflow.act` on `lanes` values per cycle: (resources, latency).

    Integers: relu one LUT per bit, clip three per bit.  Floats: relu/clip
    comparators, leaky_relu a float multiply, sigmoid an exponential, an
    adder and a divider (float32 operator figures, estimates).
    """
    kind = act.kind.data
    if not is_float:
        per_bit = 1 if kind == "relu" else 3
        return Resources(lut=lanes * per_bit * bits, ff=lanes * bits), 1
    if kind in ("relu", "relu6", "clip"):
        n = 1 if kind == "relu" else 2
        return Resources(lut=lanes * n * FLOAT32_CMP_LUT, ff=lanes * FLOAT32_CMP_FF), 1
    if kind == "leaky_relu":
        return float_multipliers(lanes) + Resources(lut=lanes * FLOAT32_CMP_LUT), FLOAT32_MUL_LATENCY + 1
    # sigmoid: 1 / (1 + exp(-x))
    res = Resources(
        dsp=lanes * FLOAT32_EXP_DSP + dsp_for_float32(0, lanes),
        lut=lanes * (FLOAT32_EXP_LUT + FLOAT32_ADD_LUT + FLOAT32_DIV_LUT),
        ff=lanes * (FLOAT32_EXP_FF + FLOAT32_ADD_FF + FLOAT32_DIV_FF),
    )
    return res, FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY + FLOAT32_DIV_LATENCY
