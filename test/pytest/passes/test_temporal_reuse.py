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
    # Half the compute, plus reading the first group's windows (2 pixels x 4 input passes) before
    # it starts and draining the last group's 2 x 8 results through its 1-lane port after it.
    assert reused.cycles == plain.cycles // 2 + 2 * 4 + 2 * 8
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


def test_hls_lowering_passes_reuse_to_the_conv_kernel():
    from xdsl.context import Context as Ctx

    from fpga_opt.dialects import hls
    from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass

    module = with_reuse(2)
    LowerDataflowToHlsPass().apply(Ctx(), module)
    conv = next(op for op in module.walk() if isinstance(op, hls.KernelOp) and op.kernel.data == "conv")
    assert conv.params.data["R"].value.data == 2
