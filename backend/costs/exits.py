"""The cost models of the early-exit ops: `dataflow.exit_decision`, `conditional_buffer`, `exit_merge`."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.costs.blocks import (
    FLOAT32_ADD_LATENCY,
    FLOAT32_CMP_LUT,
    FLOAT32_EXP_DSP,
    FLOAT32_EXP_FF,
    FLOAT32_EXP_LATENCY,
    FLOAT32_EXP_LUT,
    IO_LATENCY,
    adders,
    float_adders,
    kernel_control,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import fifo_cost, stream_cycles, stream_lanes, stream_type
from fpga_opt.backend.target.resources import Resources, memory_resources
from fpga_opt.dialects.dataflow import ConditionalBufferOp, ExitDecisionOp, ExitMergeOp

#: Latency of the integer decision's table look-up and sum (estimate).
TABLE_DECISION_LATENCY = 4


@COST_MODELS.register(ExitDecisionOp)
def exit_decision_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.exit_decision`: two passes over the N logits (max, then the sum of exp(z - max)).

    One logit per cycle (N cycles per sample, N + pipeline to the decision).
    Integers: the exponential is the rule's table (`ExitDecisionOp.rule()`: at
    most 256 words of EXIT_FRAC_BITS + 1 = 17 bits, `memory_resources`) and the
    sum a 32-bit adder; floats: float32 exponential and adder.
    """
    assert isinstance(op, ExitDecisionOp)
    t = stream_type(op.input)
    n = t.numel
    bits = t.bitwidth
    store = memory_resources(bits, n, dual_port=True)
    rule = op.rule()
    if rule is not None:
        table = memory_resources(rule.frac_bits + 1, len(rule.table))
        logic = table + adders(1, 32) + Resources(lut=2 * bits, ff=bits)
        lat = TABLE_DECISION_LATENCY
    else:
        logic = Resources(dsp=FLOAT32_EXP_DSP, lut=FLOAT32_EXP_LUT + FLOAT32_CMP_LUT, ff=FLOAT32_EXP_FF) + float_adders(
            1
        )
        lat = FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY
    res = store + logic + kernel_control(n)
    return LayerCost(n, n + lat + IO_LATENCY, res)


@COST_MODELS.register(ConditionalBufferOp)
def conditional_buffer_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.conditional_buffer`: a FIFO of `depth` elements that drops or forwards each frame."""
    assert isinstance(op, ConditionalBufferOp)
    cycles = stream_cycles(stream_type(op.input), stream_lanes(op.input, ctx))
    res = fifo_cost(op.input, op.fifo_depth, ctx) + kernel_control(cycles)
    return LayerCost(cycles, 1, res)


@COST_MODELS.register(ExitMergeOp)
def exit_merge_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.exit_merge`: an N-way multiplexer of result streams, one element per cycle."""
    assert isinstance(op, ExitMergeOp)
    out = stream_type(op.output)
    bits = out.bitwidth
    mux_lut = bits * -(-(op.num_exits - 1) // 3)  # a LUT6 is a 4:1 mux
    control = kernel_control(out.numel, ports=op.num_exits + 1)
    return LayerCost(out.numel, IO_LATENCY, Resources(lut=mux_lut, ff=bits) + control)
