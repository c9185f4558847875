"""The layer formulas of the op families (backend/costs/<family>.py): hand-computed expectations."""

import pytest

from fpga_opt.backend.costs.blocks import DSP_MULTIPLY_LATENCY, IO_LATENCY
from fpga_opt.backend.costs.checks import output_size
from fpga_opt.backend.costs.conv import conv_cost, conv_macs
from fpga_opt.backend.costs.eltwise import activation_cost, add_cost, requantise_cost
from fpga_opt.backend.costs.layer_cost import LayerCost, chain_cost, fps_from_cycles
from fpga_opt.backend.costs.linear import linear_cost
from fpga_opt.backend.costs.network import roofline_fps
from fpga_opt.backend.costs.pool import global_pool_cost, pool_cost
from fpga_opt.backend.costs.stream import buffer_cost, concat_cost, fork_cost
from fpga_opt.backend.target.resources import Resources, fifo_resources

PAD1 = {"pad_t": 1, "pad_b": 1, "pad_l": 1, "pad_r": 1}
# ResNet CIFAR stage 1: 32x32x16 -> 16, 3x3, pad 1: 32*32*16*16*9 = 2,359,296 MACs.
STAGE1 = {"h_in": 32, "w_in": 32, "c_in": 16, "c_out": 16, "kh": 3, "kw": 3, **PAD1}


# ----------------------------------------------------------------------------- conv rates


@pytest.mark.parametrize(
    ("ci", "co", "fine", "cycles"),
    [
        (1, 1, 1, 2_359_296),  # compute bound, one MAC per cycle
        (4, 4, 3, 49_152),  # 2,359,296 / 48
        (16, 16, 9, 1024),  # 2,359,296 / 2304 = 1024 = 32*32*16/16 (input bound too)
        (16, 1, 9, 16_384),  # 2,359,296 / 144
    ],
)
def test_conv_cycles(ci, co, fine, cycles):
    assert conv_cost(**STAGE1, coarse_in=ci, coarse_out=co, fine=fine).cycles == cycles


def test_conv_strided_is_input_bound():
    # 3x3 stride 2: 16x16 outputs, compute 16*16*16*16*9/144 = 4096 < input 32*32*16 = 16384.
    cost = conv_cost(**STAGE1, stride_h=2, stride_w=2, coarse_out=16, fine=9)
    assert cost.cycles == 16_384


def test_depthwise_conv_cycles_and_dsp():
    dw = {"h_in": 16, "w_in": 16, "c_in": 32, "c_out": 32, "kh": 3, "kw": 3, "groups": 32, **PAD1}
    # C_in/groups = 1: compute 16*16*1*32*9 = 73,728 MACs.
    assert conv_cost(**dw).cycles == 73_728
    assert conv_cost(**dw, fine=9).cycles == 8192  # = input 16*16*32
    four_groups = conv_cost(**dw, fine=9, coarse_group=4)
    assert four_groups.cycles == 2048
    assert four_groups.resources.dsp == 36  # 4 group lanes x 9, no packing (coarse_out = 1)
    assert conv_cost(**dw, fine=3, coarse_group=2).cycles == 12_288  # 73,728 / 6 > 8192 / 2
    with pytest.raises(ValueError, match="C_in/groups"):
        conv_cost(**dw, coarse_in=2)


def test_grouped_conv_cycles():
    g2 = {"h_in": 8, "w_in": 8, "c_in": 16, "c_out": 32, "kh": 3, "kw": 3, "groups": 2, **PAD1}
    # 8*8*8*32*9 = 147,456 MACs over 8*16 lanes; input 8*8*16/8 = 128.
    assert conv_cost(**g2, coarse_in=8, coarse_out=16).cycles == 1152
    with pytest.raises(ValueError, match="coarse_in=16"):
        conv_cost(**g2, coarse_in=16)
    with pytest.raises(ValueError, match="coarse_out=32"):
        conv_cost(**g2, coarse_out=32)


def test_conv_illegal_folding():
    # fine need not divide Kh*Kw (the last pass is padded), but cannot exceed it.
    # 32*32 pixels x 16 input x 16 output channels x ceil(9/2) = 5 position passes of 2.
    assert conv_cost(**STAGE1, fine=2).cycles == 32 * 32 * 16 * 16 * 5
    with pytest.raises(ValueError, match="fine=10 exceeds"):
        conv_cost(**STAGE1, fine=10)
    with pytest.raises(ValueError, match="coarse_in=3"):
        conv_cost(**STAGE1, coarse_in=3)
    with pytest.raises(ValueError, match="groups=3"):
        conv_cost(**STAGE1, groups=3)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_cost(h_in=2, w_in=2, c_in=1, c_out=1, kh=3, kw=3)


def test_output_size():
    assert output_size(32, 3, 2, 1, 1) == 16
    assert output_size(32, 3, 1, 0, 0) == 30
    assert output_size(32, 3, 1, 2, 2, dilation=2) == 32


# ----------------------------------------------------------------------------- conv DSPs


def test_conv_dsp_packing():
    # 4*3 input values, each times 4 output channels: 48 multiplies, 24 packed DSPs.
    assert conv_cost(**STAGE1, coarse_in=4, coarse_out=4, fine=3).resources.dsp == 24
    assert conv_cost(**STAGE1, coarse_in=4, coarse_out=4, fine=3, packing=False).resources.dsp == 48
    assert conv_cost(**STAGE1, coarse_in=4, coarse_out=4, fine=3, dsp_type="DSP48E1").resources.dsp == 48
    assert conv_cost(**STAGE1, coarse_in=4, coarse_out=4, fine=3, in_bits=16).resources.dsp == 48
    # Odd coarse_out: ceil(3/2) = 2 DSPs per input value.
    c = {**STAGE1, "c_out": 12}
    assert conv_cost(**c, coarse_out=3).resources.dsp == 2
    # Binary weights: no DSP at all.
    assert conv_cost(**STAGE1, coarse_out=4, weight_bits=1).resources.dsp == 0
    # float32: 3 (fmul) + 2 (fadd) per multiplier lane.
    f32 = conv_cost(**STAGE1, coarse_in=2, in_bits=32, weight_bits=32, acc_bits=32, float32=True)
    assert f32.resources.dsp == 10


# ----------------------------------------------------------------------------- conv depth


def test_conv_pipeline_depth():
    cost = conv_cost(**STAGE1, coarse_in=4, coarse_out=4, fine=3)
    fill = ((3 - 1) * (32 + 2) + (3 - 1)) * 16 // 4  # 280
    per_pixel = 49_152 // (32 * 32)  # 48
    # 12 packed products an output: two cascade chains (7 for int8, WP486), 7 deep, then one adder
    # level over the chains and the accumulator.
    macs = DSP_MULTIPLY_LATENCY + 7 + 1 + 1
    assert cost.pipeline_depth == fill + per_pixel + macs + IO_LATENCY


def test_pointwise_conv_depth_has_no_window_fill():
    cost = conv_cost(h_in=8, w_in=8, c_in=64, c_out=32, kh=1, kw=1)
    assert cost.cycles == 8 * 8 * 64 * 32
    # one product an output: the multiply, one cascade step, the accumulator
    assert cost.pipeline_depth == 64 * 32 + DSP_MULTIPLY_LATENCY + 1 + 1 + IO_LATENCY


# ----------------------------------------------------------------------------- conv memory


def test_conv_memory_mapping():
    base = {"h_in": 8, "w_in": 8, "c_in": 64, "c_out": 64, "kh": 3, "kw": 3}
    # Weights 8 bit x 36,864 -> 18 RAMB18 (9x2048 shape); line buffer 2 rows x 8 bit = 16 x 512
    # -> 1; window buffer (48 x 64) and partial sums (32 x 64) are shallow -> LUTRAM.
    r = conv_cost(**base).resources
    assert (r.bram18, r.uram) == (19, 0)
    # fine = 9: 72-bit weight words x 4096 = 16 RAMB18; never URAM, which a ROM cannot be
    # (UltraScale+ UltraRAM has no bitstream initialisation, UG573).
    r = conv_cost(**base, fine=9).resources
    assert (r.bram18, r.uram) == (17, 0)
    # With the board's LUTs per RAMB18 (KV260: 117,120 / 288 = 406) a table goes to a LUT ROM when
    # that is the smaller share: 72 bits x 4096 words = 72 * 64 = 4608 LUTs < 16 * 406.
    r = conv_cost(**base, fine=9, lut_per_bram18=117_120 / 288).resources
    assert (r.bram18, r.uram) == (1, 0)
    # coarse 8x8: 64 weights per word = 512 bits x 576 -> ceil(512/18) * 1 = 29 RAMB18
    # (not 64 separate 8 x 576 banks of one block each); line buffer 128 x 64 is LUTRAM.
    r = conv_cost(**base, coarse_in=8, coarse_out=8).resources
    assert r.bram18 == 29


# ----------------------------------------------------------------------------- other layers


def test_pool():
    p = {"h_in": 32, "w_in": 32, "c": 16, "kh": 2, "kw": 2, "stride_h": 2, "stride_w": 2}
    assert pool_cost(**p).cycles == 16_384
    assert pool_cost(**p, coarse=4).cycles == 4096
    assert pool_cost(**p, coarse=4).resources.dsp == 0
    assert pool_cost(**p, coarse=4, kind="avg").resources.dsp == 0  # divide by 4 is a shift
    avg3 = {**p, "kh": 3, "kw": 3, **PAD1}
    assert pool_cost(**avg3, coarse=2, kind="avg").resources.dsp == 2  # divide by 9: one multiply per lane
    with pytest.raises(ValueError, match="coarse=3"):
        pool_cost(**p, coarse=3)
    with pytest.raises(ValueError, match="kind"):
        pool_cost(**p, kind="min")


def test_global_pool():
    cost = global_pool_cost(h=8, w=8, c=64, coarse=4)
    assert cost.cycles == 1024
    assert cost.pipeline_depth == 63 * 64 // 4 + 1 + IO_LATENCY  # last pixel's first channels
    assert cost.resources.dsp == 0  # divide by 64 is a shift
    assert global_pool_cost(h=7, w=7, c=64, coarse=4).resources.dsp == 4


def test_linear_matches_finn_mvau():
    # FINN: (MH/PE) * (MW/SIMD) * vectors.
    assert linear_cost(c_in=64, c_out=64, coarse_in=4, coarse_out=4).cycles == 256
    assert linear_cost(c_in=512, c_out=10, coarse_in=8, coarse_out=2).cycles == 320
    assert linear_cost(c_in=512, c_out=10, coarse_in=8, coarse_out=2, n_vectors=4).cycles == 1280
    assert linear_cost(c_in=512, c_out=10, coarse_in=8, coarse_out=2).resources.dsp == 8
    assert linear_cost(c_in=512, c_out=10, coarse_in=8, coarse_out=5).resources.dsp == 24  # 8 * ceil(5/2)
    with pytest.raises(ValueError, match="coarse_out=3"):
        linear_cost(c_in=512, c_out=10, coarse_out=3)


def test_streaming_glue_layers():
    assert add_cost(h=8, w=8, c=64, coarse=4).cycles == 1024
    assert add_cost(h=8, w=8, c=64, coarse=4).resources.dsp == 0
    assert concat_cost(h=8, w=8, channels=[16, 32], coarse=4).cycles == 768
    with pytest.raises(ValueError, match="channels"):
        concat_cost(h=8, w=8, channels=[16, 32], coarse=32)
    fork = fork_cost(h=8, w=8, c=64, coarse=2, n_outputs=3)
    assert fork.cycles == 2048
    assert fork.resources.dsp == fork.resources.bram18 == 0 and fork.resources.lut < 20
    fifo = buffer_cost(h=8, w=8, c=64, depth=512, coarse=4)
    assert fifo.cycles == 1024
    assert fifo.resources == fifo_resources(32, 512)


def test_requantise():
    assert requantise_cost(h=8, w=8, c=64, coarse=2).resources.dsp == 8  # 32x32: 4 DSPs per lane
    assert requantise_cost(h=8, w=8, c=64, coarse=2).cycles == 2048
    assert requantise_cost(h=8, w=8, c=64, coarse=2, acc_bits=24, mult_bits=16).resources.dsp == 2
    lut_only = requantise_cost(h=8, w=8, c=64, coarse=2, use_dsp=False).resources
    assert lut_only.dsp == 0 and lut_only.lut >= 2 * 32 * 32


def test_activation():
    relu = activation_cost(h=8, w=8, c=64, coarse=2)
    assert relu.cycles == 2048
    assert (relu.resources.dsp, relu.resources.bram18) == (0, 0)
    # 256 x 8 bit table = 2 Kbit, deeper than 64: one RAMB18 per lane.
    assert activation_cost(h=8, w=8, c=64, coarse=2, kind="sigmoid").resources.bram18 == 2
    with pytest.raises(ValueError, match="unknown activation"):
        activation_cost(h=8, w=8, c=64, kind="softplus2")


def test_roofline_fps_chain():
    assert roofline_fps(100, 2, 200, 1_000_000) == pytest.approx(40_000)
    assert fps_from_cycles(1024, 250) == pytest.approx(244_140.625)
    assert conv_macs(h_out=32, w_out=32, c_in=16, c_out=16, kh=3, kw=3) == 2_359_296
    assert conv_macs(h_out=16, w_out=16, c_in=32, c_out=32, kh=3, kw=3, groups=32) == 73_728
    a = LayerCost(100, 10, Resources(dsp=1))
    b = LayerCost(300, 5, Resources(dsp=2, lut=7))
    assert chain_cost([a, b]) == LayerCost(300, 15, Resources(dsp=3, lut=7))
    assert b.fps(300) == pytest.approx(1e6)
