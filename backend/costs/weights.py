"""The cost models of the weights family: a DRAM weight stream and an OVSF weights generator.

Both feed one layer (`consumer_of`) one memory word per cycle of its MAC
array, so their size follows the layer's folding (`ctx.folding(layer)`): the
folding search costs them with the layer (`folding_owner`).

* `dataflow.weight_stream`: cycles per frame = bytes per frame / the port's
  share of the derated DRAM bandwidth, capped by the AXI port width; bytes
  per frame = reads per frame x weights x bits / 8.  Resources: an HLS
  `m_axi` read master with its burst buffer (`burst` beats of the AXI width)
  and the register of the layer's word.
* `dataflow.weights_generator`: one word per cycle, so its cycles are the
  layer's MAC cycles (reads x weights / lanes).  Per weight lane: K adders
  (the kept codes' coefficients, sign-flipped by the parity of position AND
  code index) and a rounding shift and clamp; a coefficient memory holding,
  for every block a word touches, K coefficients of `coef_bits` and K code
  indices of log2(L) bits.  No multipliers.

Constants without a source are estimates to calibrate against synthesis
(docs/cost_model.md, section 6); they are named here.
"""

from __future__ import annotations

import math

from xdsl.ir import Operation

from fpga_opt.backend.costs.blocks import CONTROL_FF, CONTROL_LUT, IO_LATENCY, adders, clog2
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.target.resources import Resources, fifo_resources, memory_resources
from fpga_opt.dialects import ovsf
from fpga_opt.dialects.dataflow import (
    WeightsGeneratorOp,
    WeightStreamOp,
    consumer_of,
    element_bitwidth,
)
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.dataflow.weights import weight_count, weight_reads_per_frame, weight_shape, weight_word_lanes
from fpga_opt.dialects.errors import FpgaOptError

#: AXI data width of a PL master port on the PS: 128 bits (Zynq UltraScale+ S_AXI_HP, UG1085 ch. 35).
AXI_DATA_BITS = 128
#: An HLS m_axi read adapter (address generation, outstanding-burst tracking): an estimate.
M_AXI_LUT, M_AXI_FF = 1200, 1800
#: Cycles from a burst request to its first beat through the PS interconnect and DDR controller: an estimate.
DRAM_LATENCY = 150
#: Parity of (position AND code index) and the conditional negation, per kept code per lane: an estimate.
SIGN_LUT_PER_CODE = 2


def stream_bytes_per_frame(op: WeightStreamOp, layer: Operation) -> int:
    """Bytes the stream moves per frame: reads x weights x bits / 8 (rounded up)."""
    bits = element_bitwidth(op.weight_type) * weight_count(layer) * op.reads_per_frame
    return -(-bits // 8)


def _layer(op: Operation) -> Operation:
    layer = consumer_of(op)  # type: ignore[arg-type]
    if layer is None:
        raise FpgaOptError(f"{who(op)}: no off-chip layer reads tensor '{op.tensor}'")  # type: ignore[attr-defined]
    return layer


@COST_MODELS.register(WeightStreamOp)
def weight_stream_cost(op: Operation, ctx: CostContext) -> LayerCost:
    assert isinstance(op, WeightStreamOp)
    layer = _layer(op)
    lanes = weight_word_lanes(layer, ctx.folding(layer))
    word_bits = element_bitwidth(op.weight_type) * lanes
    rate = min(op.share, AXI_DATA_BITS / 8)
    cycles = math.ceil(stream_bytes_per_frame(op, layer) / rate)
    burst = fifo_resources(AXI_DATA_BITS, op.burst.value.data)
    res = Resources(lut=M_AXI_LUT + CONTROL_LUT, ff=M_AXI_FF + CONTROL_FF + word_bits) + burst
    return LayerCost(cycles, DRAM_LATENCY + IO_LATENCY, res)


def generator_shape(op: WeightsGeneratorOp, layer: Operation) -> tuple[int, int, int, int]:
    """(blocks, L0, L, K) of the layer's OVSF form."""
    shape = weight_shape(layer)
    cin = shape[1]
    kp = shape[2] * shape[3] if len(shape) == 4 else 1
    if cin % op.block_channels:
        raise FpgaOptError(
            f"{who(op)}: block = {op.block_channels} does not divide the {cin} input channels per filter"
        )
    l0 = op.block_channels * kp
    return shape[0] * cin // op.block_channels, l0, ovsf.padded_length(l0), ovsf.kept_codes(op.ratio_value, l0)


def coefficient_bits(op: WeightsGeneratorOp, layer: Operation) -> int:
    """Bits of the coefficient memory (`ovsf.memory_bits`), from the shapes alone."""
    blocks, _, length, k = generator_shape(op, layer)
    return blocks * k * (op.coefficient_bits + max(1, clog2(length)))


def generator_bytes_per_frame(op: WeightsGeneratorOp, layer: Operation) -> int:
    """DRAM bytes per frame of a generator whose coefficients are in DRAM: every block's K coefficients and
    code indices once per read of the layer's weights (a row register holds a block across its words)."""
    return -(-weight_reads_per_frame(layer) * coefficient_bits(op, layer) // 8)


@COST_MODELS.register(WeightsGeneratorOp)
def weights_generator_cost(op: Operation, ctx: CostContext) -> LayerCost:
    assert isinstance(op, WeightsGeneratorOp)
    layer = _layer(op)
    lanes = weight_word_lanes(layer, ctx.folding(layer))
    blocks, l0, length, k = generator_shape(op, layer)
    words = weight_count(layer) // lanes
    cycles = weight_reads_per_frame(layer) * words
    entry_bits = k * (op.coefficient_bits + max(1, clog2(length)))
    # The blocks one word touches are read together: one memory bank per block in the word.
    f = ctx.folding(layer)
    filters = f["coarse_out"] * f.get("coarse_group", 1)
    blocks_per_word = filters * -(-f["coarse_in"] // op.block_channels)
    if op.coefficients_in_dram:
        # a row register per bank and an m_axi reader instead of the coefficient memory
        memory = Resources(lut=M_AXI_LUT, ff=M_AXI_FF + entry_bits * blocks_per_word)
        cycles = max(cycles, math.ceil(generator_bytes_per_frame(op, layer) / min(op.share, AXI_DATA_BITS / 8)))
    else:
        memory = memory_resources(entry_bits * blocks_per_word, max(1, -(-blocks // blocks_per_word)), ctx.allow_uram)
    acc_bits = op.coefficient_bits + clog2(k) + 1
    out_bits = element_bitwidth(op.weight_type)
    sums = adders(lanes * k, acc_bits)
    signs = Resources(lut=SIGN_LUT_PER_CODE * lanes * k)
    clamp = Resources(lut=lanes * out_bits, ff=lanes * out_bits)
    res = memory + sums + signs + clamp + Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = IO_LATENCY + clog2(k) + 2
    return LayerCost(cycles, depth, res)


def folding_owner(op: Operation) -> Operation | None:
    """The op whose folding this op's cost follows: a provider's layer (None for any other op)."""
    from fpga_opt.dialects.dataflow import WeightProviderOp

    return consumer_of(op) if isinstance(op, WeightProviderOp) else None
