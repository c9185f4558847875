"""Temporal reuse (`reuse = N` on a conv, set by merge-loops{reuse=N}) is honoured end to end.

The cost model divides the conv's compute cycles by N at no extra DSP when two
int8 products share a weight; fpga-sim's timing follows the same rate model;
the values computed do not change; the HLS conv kernel takes it as its R parameter
(test/backend/hls/test_kernels_csim.py runs it bit-exact against fpga-sim).
"""

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, IntegerAttr, i64
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from fpga_opt.backend.costs import op_cost
from fpga_opt.backend.sim import run_functional, simulate
from fpga_opt.dialects.dataflow import ConvOp, Dataflow

RNG = np.random.default_rng(7)
WEIGHTS = RNG.integers(-8, 8, size=(8, 4, 3, 3)).tolist()

IR = f"""
builtin.module attributes {{dataflow.inline_weights = {{"w" = dense<{WEIGHTS}> : tensor<8x4x3x3xi8>}}}} {{
  func.func @net(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {{
    %c = dataflow.conv %x {{kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
        weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv0"}}
        : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
    func.return %c : !dataflow.stream<8x8x8xi8>
  }}
}}
"""


def parse():
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = Parser(ctx, IR).parse_module()
    module.verify()
    return module


def conv_of(module):
    return next(op for op in module.walk() if isinstance(op, ConvOp))


def with_reuse(n):
    module = parse()
    conv_of(module).reuse = IntegerAttr(n, i64)
    module.verify()
    return module


def test_cost_model_divides_compute_by_reuse_without_more_dsps():
    plain, reused = op_cost(conv_of(parse())), op_cost(conv_of(with_reuse(2)))
    assert plain.cycles == 8 * 8 * 4 * 8 * 9  # compute-bound at folding 1
    # Half the compute: the first group's windows (2 pixels x 4 input passes) and the last group's
    # 2 x 8 results through its 1-lane port overlap the neighbouring frames (pipeline depth).
    assert reused.cycles == plain.cycles // 2
    assert reused.pipeline_depth >= plain.pipeline_depth - plain.cycles // 64 + reused.cycles // 64 + 2 * 4 + 2 * 8
    assert reused.resources.dsp == plain.resources.dsp  # the two products share the weight: one packed DSP
    assert reused.resources.lut > plain.resources.lut  # a second adder tree and wider window


def test_simulated_interval_follows_reuse_and_outputs_do_not_change():
    x = RNG.integers(-128, 128, size=(3, 8, 8, 4)).astype(np.int8)
    plain, reused = parse(), with_reuse(2)
    t_plain = simulate(plain, frames=4, fifo_depth=None).timing.cycles_per_frame
    t_reused = simulate(reused, frames=4, fifo_depth=None).timing.cycles_per_frame
    assert t_reused == pytest.approx(t_plain / 2, rel=0.05)
    for a, b in zip(
        run_functional(plain, None, x, layout="hwc"), run_functional(reused, None, x, layout="hwc"), strict=True
    ):
        np.testing.assert_array_equal(a, b)


BLOCK_WEIGHTS = np.random.default_rng(3).integers(-8, 8, size=(8, 8, 3, 3)).tolist()

# The ResNet-style early-exit network's block conv as folded on ZC706: eight pixels side by side
# in 15 flattened passes of 5 products.
BLOCK_IR = f"""
builtin.module attributes {{dataflow.inline_weights = {{"w" = dense<{BLOCK_WEIGHTS}> : tensor<8x8x3x3xi8>}}}} {{
  func.func @net(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8> {{
    %c = dataflow.conv %x {{kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
        weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv0",
        coarse_in = 8 : i64, coarse_out = 8 : i64, reuse = 8 : i64, terms = 5 : i64}}
        : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
    func.return %c : !dataflow.stream<16x16x8xi8>
  }}
}}
"""


def test_reuse_gather_and_drain_are_latency_not_interval():
    """Over many frames the conv runs at GROUPS*STEPS a frame (32 groups x 15 passes = 480), not 496
    (+ 8 window reads before the first group + 8 result tokens after the last, every frame), while
    frame 0's first output still waits for both."""
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = Parser(ctx, BLOCK_IR).parse_module()
    conv = conv_of(module)
    assert conv.passes()["steps"] == 15
    cost = op_cost(conv)
    assert cost.cycles == 32 * 15
    timing = simulate(module, frames=8, fifo_depth=None).timing
    assert timing.cycles_per_frame == pytest.approx(480, rel=0.002)
    # The first output: the line buffer's fill (2 padded rows of 18 pixels + 3, at one pixel a
    # cycle), the first group's 8 windows, and its 8 result tokens (8 pixels x 8 channels / 8 lanes).
    assert timing.latency_cycles >= 2 * 18 + 3 + 8 + 8
    assert timing.frame_done_cycles[0] > timing.frame_done_cycles[1] - timing.frame_done_cycles[0]


def test_hls_lowering_passes_reuse_to_the_conv_kernel():
    from xdsl.context import Context as Ctx

    from fpga_opt.dialects import hls
    from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass

    module = with_reuse(2)
    LowerDataflowToHlsPass().apply(Ctx(), module)
    conv = next(op for op in module.walk() if isinstance(op, hls.KernelOp) and op.kernel.data == "conv")
    assert conv.params.data["R"].value.data == 2
