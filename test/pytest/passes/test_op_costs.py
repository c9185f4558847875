"""The cost models (backend/costs): per-op models, stream lanes, folding spaces, whole designs."""

import pytest
from folding_helpers import REPO, TWO_CONVS, parse
from xdsl.dialects.func import ReturnOp

from fpga_opt.backend.costs import (
    COST_MODELS,
    CostContext,
    LayerCost,
    analyse_network,
    design_ops,
    lanes_driver,
    layer_name,
    macs_per_frame,
    op_cost,
    op_rate,
    register_cost_model,
    stream_lanes,
)
from fpga_opt.backend.costs.blocks import window_fill
from fpga_opt.backend.costs.conv import conv_cost
from fpga_opt.backend.target.boards import BOARDS, get_board
from fpga_opt.backend.target.resources import Resources
from fpga_opt.dialects.dataflow import BufferOp, ConvOp, ForkOp, LinearOp, WindowedOp
from fpga_opt.dialects.errors import FpgaOptError

RESIDUAL = (REPO / "examples/ir/residual_block.mlir").read_text()

FUSED = """
func.func @fused(%x: !dataflow.stream<8x8x16xi8>) -> (!dataflow.stream<8x8x16xi8>, !dataflow.stream<8x8x32xi8>) {
  %c0, %centre = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
      weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>,
      coarse_in = 4 : i64, coarse_out = 4 : i64, layer = "c0"}
      : (!dataflow.stream<8x8x16xi8>) -> (!dataflow.stream<8x8x16xi8>, !dataflow.stream<8x8x16xi8>)
  %skip = dataflow.buffer %centre {depth = 40 : i64, layer = "skip"} : !dataflow.stream<8x8x16xi8> -> !dataflow.stream<8x8x16xi8>
  %y = dataflow.conv %c0, %skip {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
      weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>,
      skip_requant = #dataflow.requant<multiplier = 3, shift = 2, min = 0>, skip_mult = 3 : i64,
      coarse_in = 4 : i64, coarse_out = 4 : i64, layer = "c1"}
      : (!dataflow.stream<8x8x16xi8>, !dataflow.stream<8x8x16xi8>) -> !dataflow.stream<8x8x16xi8>
  %d, %down = dataflow.conv %y {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
      weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>,
      side_weights = "ds.w", side_requant = #dataflow.requant<multiplier = 1, shift = 6>,
      coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64, layer = "c2"}
      : (!dataflow.stream<8x8x16xi8>) -> (!dataflow.stream<8x8x16xi8>, !dataflow.stream<8x8x32xi8>)
  func.return %d, %down : !dataflow.stream<8x8x16xi8>, !dataflow.stream<8x8x32xi8>
}
"""


def by_layer(module):
    return {layer_name(op): op for op in design_ops(module)}


def test_conv_matches_the_layer_model():
    ops = by_layer(parse(TWO_CONVS))
    ctx = CostContext.for_board(get_board("kv260"))
    base = conv_cost(h_in=16, w_in=16, c_in=8, c_out=16, kh=3, kw=3, pad_t=1, pad_b=1, pad_l=1, pad_r=1)
    cost = op_cost(ops["conv1"], ctx)
    assert cost.cycles == base.cycles == 16 * 16 * 8 * 16 * 9
    # The fused requant adds a rounding adder and a clamp, never a DSP (multiplier 1).
    assert cost.resources.dsp == base.resources.dsp
    assert cost.resources.lut > base.resources.lut
    assert cost.pipeline_depth == base.pipeline_depth + 2


def test_rates_do_not_depend_on_the_board():
    module = parse(RESIDUAL + "\n")
    for op in design_ops(module):
        rates = {
            (op_cost(op, CostContext.for_board(b)).cycles, op_cost(op, CostContext.for_board(b)).pipeline_depth)
            for b in BOARDS.values()
        }
        assert rates == {op_rate(op)}, layer_name(op)


def test_packing_and_uram_follow_the_board():
    # ... and the board's LUTs per RAMB18, the rate at which a ROM trades block RAM for LUTs.
    assert CostContext.for_board(get_board("kv260")) == CostContext("DSP48E2", True, True, 117_120 / 288)
    assert CostContext.for_board(get_board("zcu102")) == CostContext("DSP48E2", True, False, 274_080 / 1824)
    assert CostContext.for_board(get_board("pynqz2")) == CostContext("DSP48E1", False, False, 53_200 / 280)
    conv = by_layer(parse(TWO_CONVS))["conv2"]
    ctx_e2 = CostContext.for_board(get_board("kv260"))
    ctx_e1 = CostContext.for_board(get_board("pynqz2"))
    ctx_e2.overrides[conv] = ctx_e1.overrides[conv] = {"coarse_in": 4, "coarse_out": 8, "fine": 3}
    assert op_cost(conv, ctx_e1).resources.dsp == 96  # one DSP per multiplier
    assert op_cost(conv, ctx_e2).resources.dsp == 48  # two int8 multiplies sharing an activation per DSP


def test_overrides_cost_a_folding_without_touching_the_ir():
    conv = by_layer(parse(TWO_CONVS))["conv1"]
    ctx = CostContext()
    ctx.overrides[conv] = {"coarse_out": 16, "fine": 9}
    assert ctx.folding(conv) == {"coarse_in": 1, "coarse_out": 16, "fine": 9, "coarse_group": 1, "reuse": 1, "terms": 1}
    assert op_cost(conv, ctx).cycles == 16 * 16 * 8  # input bound: 8 channels per pixel, one per cycle
    assert conv.folding()["coarse_out"] == 1
    assert op_rate(conv)[0] == 16 * 16 * 8 * 16 * 9


def test_fused_parts_are_costed():
    ops = by_layer(parse(FUSED))
    ctx = CostContext.for_board(get_board("kv260"))
    c0, c1, c2 = (op_cost(ops[n], ctx) for n in ("c0", "c1", "c2"))
    # c1 = c0's conv + a skip add with a constant multiply by 3 and a non-power-of-two skip requant (DSPs).
    assert c1.resources.dsp > c0.resources.dsp
    assert c1.resources.lut > c0.resources.lut
    assert c1.pipeline_depth > c0.pipeline_depth
    # c2's side 1x1 conv (16 -> 32) needs its own multipliers; its 8*8*16*32/16 = 2048 cycles exceed
    # the 3x3 conv's 8*8*16*16*9/144 = 1024: the merged loop runs at the slower of the two.
    plain = conv_cost(
        h_in=8,
        w_in=8,
        c_in=16,
        c_out=16,
        kh=3,
        kw=3,
        pad_t=1,
        pad_b=1,
        pad_l=1,
        pad_r=1,
        coarse_in=4,
        coarse_out=4,
        fine=9,
        lut_per_bram18=117_120 / 288,
    )
    assert plain.cycles == 1024
    assert c2.cycles == 2048
    assert c2.resources.dsp > plain.resources.dsp
    # The side conv's coarse_out must divide both outputs (16 and 32).
    assert ops["c2"].folding_space()["coarse_out"] == [1, 2, 4, 8, 16]
    assert ops["c2"].folding_space()["fine"] == [1, 2, 3, 5, 9]  # ceil(9/k) for k passes, and the divisors
    assert macs_per_frame(parse(FUSED)) == 3 * 8 * 8 * 16 * 16 * 9 + 8 * 8 * 16 * 32


def test_stream_lanes_follow_the_driving_op():
    module = parse(FUSED)
    ops = by_layer(module)
    func = next(op for op in module.walk() if op.name == "func.func")
    arg = func.body.block.args[0]
    assert lanes_driver(arg) is ops["c0"]
    assert stream_lanes(arg) == 4  # c0 reads 4 channels per cycle
    assert stream_lanes(ops["c0"].results[0]) == 4  # coarse_out
    assert stream_lanes(ops["c0"].side) == 4  # the forwarded centre pixel: coarse_in
    skip = ops["skip"]
    assert lanes_driver(skip.output) is ops["c0"]
    ctx = CostContext()
    ctx.overrides[ops["c0"]] = {"coarse_in": 8}
    assert stream_lanes(skip.output, ctx) == 8
    # The buffer moves its driver's lanes: 8*8*16 / 8 cycles, and its words widen.
    assert op_cost(skip, ctx).cycles == 128
    assert op_cost(skip, CostContext()).cycles == 256
    assert stream_lanes(ops["c2"].side) == 4  # a side conv: coarse_out


def test_network_interval_latency_and_totals():
    module = parse(RESIDUAL)
    net = analyse_network(module, CostContext.for_board(get_board("kv260")))
    assert net.interval == max(c.cycles for c in net.layers.values()) == 4 * 4 * 9 * 64
    assert layer_name(net.bottleneck) == "conv0"
    assert net.resources == sum((c.resources for c in net.layers.values()), Resources()) + net.fifo_resources
    # fork -> conv0 -> conv1 -> identity -> add is the longest path (the skip buffers are shallower).
    depth = {layer_name(op): c.pipeline_depth for op, c in net.layers.items()}
    assert net.latency == depth["fork"] + depth["conv0"] + depth["conv1"] + depth["identity"] + depth["add"]
    # Default FIFOs: not on edges that a dataflow.buffer already buffers.
    consumers = sorted(type(e.consumer).__name__ for e in net.fifos)
    assert consumers == ["AddOp", "ConvOp", "ConvOp", "ForkOp", "RequantizeOp", "ReturnOp"]
    assert all(not isinstance(e.consumer, BufferOp) for e in net.fifos)
    fps = net.fps(250.0)
    assert fps == pytest.approx(250e6 / net.interval)


def test_folding_spaces():
    ops = by_layer(parse(TWO_CONVS))
    assert ops["conv1"].folding_space() == {
        "coarse_in": [1, 2, 4, 8],
        # padded passes: the fewest lanes for each number of passes (16 / 3 passes -> 6 lanes), and the divisors
        "coarse_out": [1, 2, 3, 4, 6, 8, 16],
        "fine": [1, 2, 3, 5, 9],
        "coarse_group": [1],
        "reuse": [1, 2, 4, 8, 16],
        # flattened passes over the 8 x 9 window products, where they beat 8 x ceil(9/passes):
        # 7 passes of 11 (the kernel-position form has no 7), 4 of 18 (against 4 of 8 x 3), ...
        "terms": [1, 5, 6, 7, 9, 11, 12, 15, 18, 36],
    }
    assert ops["fc"].folding_space() == {"coarse_in": [1, 2, 4, 8, 16], "coarse_out": [1, 2, 5, 10]}
    assert ops["gap"].folding_space() == {"coarse": [1, 2, 4, 8, 16]}
    fork = next(op for op in design_ops(parse(RESIDUAL)) if isinstance(op, ForkOp))
    assert fork.folding_space() == {"coarse": [1, 2, 4]}
    buffer = next(op for op in design_ops(parse(RESIDUAL)) if isinstance(op, BufferOp))
    assert buffer.folding_space() == {}


def test_every_dataflow_op_has_a_cost_model():
    from fpga_opt.dialects.dataflow import Dataflow

    assert COST_MODELS.missing(Dataflow.operations) == []


def test_an_op_without_a_model_is_a_user_error():
    with pytest.raises(FpgaOptError, match="'func.return' op: no cost model; add one in backend/costs/"):
        op_cost(ReturnOp())


def test_register_cost_model_attaches_from_outside():
    class SlowLinear(LinearOp):
        pass

    module = parse(TWO_CONVS)
    fc = by_layer(module)["fc"]
    before = op_cost(fc)
    fc.__class__ = SlowLinear
    try:
        assert op_cost(fc) == before  # the base class's model applies to subclasses

        @register_cost_model(SlowLinear)
        def slow(op, ctx):
            return LayerCost(10**6, 1, Resources())

        assert op_rate(fc) == (10**6, 1)
    finally:
        COST_MODELS.entries.pop(SlowLinear, None)
        fc.__class__ = LinearOp


def test_conv_ops_of_every_shape_cost_without_error():
    module = parse(FUSED)
    for op in design_ops(module):
        if isinstance(op, ConvOp):
            for ci in op.folding_space()["coarse_in"]:
                ctx = CostContext.for_board(get_board("kv260"))
                ctx.overrides[op] = {"coarse_in": ci}
                assert op_cost(op, ctx).cycles > 0


POOL = """
func.func @pool(%x: !dataflow.stream<9x9x8xi8>) -> !dataflow.stream<5x5x8xi8> {
  %y = dataflow.pool %x {mode = "max", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
      pad = array<i64: 1, 1, 1, 1>, layer = "pool"} : !dataflow.stream<9x9x8xi8> -> !dataflow.stream<5x5x8xi8>
  func.return %y : !dataflow.stream<5x5x8xi8>
}
"""


def test_the_layer_formulas_fill_windows_as_the_ops_do():
    """`blocks.window_fill` is the parametric form (dilated kernels too) of `WindowedOp.window_fill_cycles`."""
    windowed = [op for text in (FUSED, TWO_CONVS, POOL) for op in design_ops(parse(text)) if isinstance(op, WindowedOp)]
    assert {op.name for op in windowed} == {"dataflow.conv", "dataflow.pool"}
    for op in windowed:
        kh, kw = op.kernel_size
        for factor, values in op.folding_space().items():
            for value in values:
                lanes = op.input_lanes(0, {factor: value})
                fill = window_fill(kh=kh, kw=kw, row_words=op.padded_width, c=op.window_stream.channels, lanes=lanes)
                assert fill == op.window_fill_cycles({factor: value}), layer_name(op)
