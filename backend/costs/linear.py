"""The cost model of `dataflow.linear`: FINN's matrix-vector unit (MVAU) and its fused epilogue."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs import checks
from fpga_opt.backend.costs.blocks import ACC_BITS, BIAS_BITS, IO_LATENCY, kernel_control, mac_array
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.parts import activation_part, requant_part
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import is_unsigned, stream_type, value_bits
from fpga_opt.backend.target.resources import Resources, memory_resources, placed_memory, rom_resources
from fpga_opt.dialects.dataflow import LinearOp, element_bitwidth, weight_placement


def linear_cost(
    *,
    c_in: int,
    c_out: int,
    in_bits: int = 8,
    weight_bits: int = 8,
    acc_bits: int = 32,
    bias_bits: int = 0,
    coarse_in: int = 1,
    coarse_out: int = 1,
    n_vectors: int = 1,
    packing: bool = True,
    dsp_type: str = "DSP48E2",
    float32: bool = False,
    in_unsigned: bool = False,
    lut_per_bram18: float = 0.0,
    weight_placement: str | None = None,
) -> LayerCost:
    """A fully connected layer as FINN's matrix-vector unit (MVAU).

    cycles = n_vectors * (C_out/coarse_out) * (C_in/coarse_in)   [FINN: (MH/PE)*(MW/SIMD)*N]
    coarse_in is FINN's SIMD, coarse_out its PE.  The input vector is kept in a
    buffer of C_in/coarse_in words (reused for every output fold); the weights
    are one memory of coarse_in*coarse_out weights per word, C_in*C_out/(that) deep (a ROM:
    block RAM or LUTRAM, never URAM, which the bitstream cannot initialise).
    """
    checks.positive(
        c_in=c_in,
        c_out=c_out,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        coarse_in=coarse_in,
        coarse_out=coarse_out,
        n_vectors=n_vectors,
    )
    checks.non_negative(bias_bits=bias_bits)
    checks.known_dsp_type(dsp_type)
    checks.float32_operands(float32, in_bits=in_bits, weight_bits=weight_bits, acc_bits=acc_bits)
    checks.divides("coarse_in", coarse_in, "C_in", c_in)
    checks.divides("coarse_out", coarse_out, "C_out", c_out)

    synapse_fold, neuron_fold = c_in // coarse_in, c_out // coarse_out
    cycles = n_vectors * neuron_fold * synapse_fold

    mac, mac_latency = mac_array(
        in_lanes=coarse_in,
        out_lanes=coarse_out,
        products_per_out=coarse_in,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        packing=packing,
        dsp_type=dsp_type,
        float32=float32,
        in_unsigned=in_unsigned,
    )
    lanes = coarse_in * coarse_out
    if weight_placement is None:
        weights = rom_resources(weight_bits * lanes, c_in * c_out // lanes, lut_per_bram18)
    else:
        weights = placed_memory(weight_bits * lanes, c_in * c_out // lanes, False, weight_placement)
    bias = Resources()
    if bias_bits:
        bias = rom_resources(bias_bits * coarse_out, neuron_fold, lut_per_bram18)
    input_buffer = Resources()
    if neuron_fold > 1:
        input_buffer = memory_resources(in_bits * coarse_in, synapse_fold, dual_port=True)
    control = kernel_control(cycles, synapse_fold, neuron_fold)
    depth = synapse_fold + mac_latency + IO_LATENCY
    return LayerCost(cycles, depth, mac + weights + bias + input_buffer + control)


@COST_MODELS.register(LinearOp)
def linear_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.linear`: `linear_cost` over the H*W*C input vector, plus requant and activation."""
    assert isinstance(op, LinearOp)
    f = ctx.folding(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    is_float = not inp.is_integer
    acc_bits = ACC_BITS if is_float or op.requant is not None else max(ACC_BITS, out.bitwidth)
    base = linear_cost(
        c_in=inp.numel,
        c_out=out.channels,
        in_bits=value_bits(inp),
        weight_bits=32 if is_float else element_bitwidth(op.weight_type),
        acc_bits=acc_bits,
        bias_bits=BIAS_BITS if op.bias is not None else 0,
        coarse_in=f["coarse_in"],
        coarse_out=f["coarse_out"],
        packing=ctx.packing,
        dsp_type=ctx.dsp_type,
        float32=is_float,
        in_unsigned=is_unsigned(inp),
        lut_per_bram18=ctx.lut_per_bram18,
        weight_placement=weight_placement(op),
    )
    res, depth = base.resources, base.pipeline_depth
    lanes, out_bits = op.output_lanes(0, f), value_bits(out)
    if op.requant is not None:
        r, lat = requant_part(op.requant, acc_bits, out_bits, lanes, ctx)
        res, depth = res + r, depth + lat
    if op.activation is not None:
        r, lat = activation_part(op.activation, out_bits, lanes, is_float)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)
