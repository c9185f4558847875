"""Resources arithmetic, memory/FIFO mapping and DSP counting (hand-computed expectations)."""

import math

import pytest

from fpga_opt.backend.target.boards import get_board
from fpga_opt.backend.target.resources import (
    Resources,
    bram18_blocks,
    dsp_for_float32,
    dsp_for_multipliers,
    dsp_per_multiply,
    fifo_resources,
    lutram_luts,
    memory_resources,
    uram_blocks,
)

# ----------------------------------------------------------------------------- BRAM18


@pytest.mark.parametrize(
    ("width", "depth", "blocks"),
    [
        (8, 2048, 1),  # 9 x 2048 shape holds 8 bits
        (9, 2048, 1),  # the parity bit counts: 9 wide still one block
        (36, 512, 1),  # widest (simple dual port) shape, exactly full
        (37, 512, 2),  # one bit too wide: two 36 x 512
        (16, 1024, 1),  # 18 x 1024
        (18, 1024, 1),
        (8, 4096, 2),  # 4 x 4096 twice, or 9 x 2048 twice
        (72, 512, 2),
        (1, 1024, 1),  # exactly 1 Kbit: block RAM
        (1, 16384, 1),
        (1, 16385, 2),
        (8, 36864, 18),  # 9 x 2048 shape: 1 * 18
        (32, 32, 1),  # 1024 bits: at the threshold, one block
        (3, 8192, 2),
    ],
)
def test_bram18_blocks(width, depth, blocks):
    assert bram18_blocks(width, depth) == blocks


@pytest.mark.parametrize(("width", "depth"), [(1, 1023), (8, 127), (32, 31), (0, 4096), (16, 0)])
def test_bram18_below_one_kbit_is_zero(width, depth):
    assert bram18_blocks(width, depth) == 0


def test_bram18_rejects_negative():
    with pytest.raises(ValueError, match="depth"):
        bram18_blocks(8, -1)


# ----------------------------------------------------------------------------- URAM / LUTRAM


@pytest.mark.parametrize(
    ("width", "depth", "blocks"),
    [(72, 4096, 1), (73, 4096, 2), (72, 4097, 2), (8, 100, 1), (144, 8192, 4), (0, 10, 0)],
)
def test_uram_blocks(width, depth, blocks):
    assert uram_blocks(width, depth) == blocks


def test_lutram_luts():
    assert lutram_luts(8, 64) == 8  # one RAM64X1S per bit
    assert lutram_luts(8, 65) == 16
    assert lutram_luts(8, 64, dual_port=True) == 12  # RAM64M: 4 LUTs per 3 bits
    assert lutram_luts(3, 64, dual_port=True) == 4
    assert lutram_luts(0, 64) == 0


def test_memory_resources_choice():
    # 800 bits: below 1 Kbit, LUTRAM 8 bits x 2 LUT-depths.
    assert memory_resources(8, 100) == Resources(lut=16)
    # Shallow but wide: LUTRAM, not 32 one-eighth-full BRAMs.
    assert memory_resources(1152, 16) == Resources(lut=1152)
    assert memory_resources(8, 2048) == Resources(bram18=1)
    assert memory_resources(72, 4096) == Resources(bram18=16)
    # URAM only if allowed and at least as full as the BRAMs: 16 * 1 <= 16.
    assert memory_resources(72, 4096, allow_uram=True) == Resources(uram=1)
    assert memory_resources(144, 4096, allow_uram=True) == Resources(uram=2)
    # Narrow or shallow memories stay in BRAM: 16 * 1 > 2, 16 * 1 > 8.
    assert memory_resources(8, 4096, allow_uram=True) == Resources(bram18=2)
    assert memory_resources(72, 2048, allow_uram=True) == Resources(bram18=8)
    assert memory_resources(0, 100) == Resources()


# ----------------------------------------------------------------------------- FIFOs


def test_fifo_resources_bound_as_vitis_binds_streams():
    """Up to 1 Kbit a shift register (Vitis' auto_srl_max_bits), above it a memory (UG1399)."""
    # 8 x 2: 8 SRLC32E LUTs + a 1-bit address counter (2) + 2 flag LUTs; 8 output FF + 1 + 2.
    assert fifo_resources(8, 2) == Resources(lut=8 + 2 + 2, ff=8 + 1 + 2)
    # 8 x 32: still one SRLC32E per bit; a 5-bit counter.
    assert fifo_resources(8, 32) == Resources(lut=8 + 10 + 2, ff=8 + 5 + 2)
    # 8 x 33: two SRLC32E per bit.
    assert fifo_resources(8, 33) == Resources(lut=16 + 12 + 2, ff=8 + 6 + 2)
    # 8 x 128 = 1024 bits: the largest shift register, four SRLC32E per bit.
    assert fifo_resources(8, 128) == Resources(lut=32 + 14 + 2, ff=8 + 7 + 2)
    # 8 x 129 = 1032 bits: a memory (one RAMB18), two 8-bit counters (4*8 + 2 LUT, 2*8 FF).
    assert fifo_resources(8, 129) == Resources(bram18=1, lut=34, ff=8 + 16 + 2)
    # 32 x 512: one RAMB18 (36 x 512).
    assert fifo_resources(32, 512) == Resources(bram18=1, lut=4 * 9 + 2, ff=32 + 18 + 2)
    assert fifo_resources(8, 0) == Resources()


# ----------------------------------------------------------------------------- DSPs


def test_dsp_int8_packing():
    # Two int8 multiplies sharing an operand per DSP48E2.
    assert dsp_for_multipliers(10, 8, 8, shared_operand=True, packing=True) == 5
    assert dsp_for_multipliers(11, 8, 8, shared_operand=True, packing=True) == 6
    # Any missing condition: one DSP each.
    assert dsp_for_multipliers(10, 8, 8, shared_operand=False, packing=True) == 10
    assert dsp_for_multipliers(10, 8, 8, shared_operand=True, packing=False) == 10
    assert dsp_for_multipliers(10, 9, 8, shared_operand=True, packing=True) == 10
    assert dsp_for_multipliers(10, 8, 8, shared_operand=True, packing=True, dsp_type="DSP48E1") == 10
    assert dsp_for_multipliers(0, 8, 8, True, True) == 0


def test_dsp_per_multiply_widths():
    assert dsp_per_multiply(18, 27) == 1
    assert dsp_per_multiply(27, 18) == 1
    assert dsp_per_multiply(18, 28) == 2
    assert dsp_per_multiply(19, 27) == 2
    assert dsp_per_multiply(25, 18, "DSP48E1") == 1
    assert dsp_per_multiply(27, 18, "DSP48E1") == 2  # 27 bits do not fit the 25-bit port
    assert dsp_per_multiply(32, 32) == 4  # 2 pieces on each port
    assert dsp_per_multiply(1, 8) == 0  # binary operand: logic
    assert dsp_for_multipliers(3, 32, 32) == 12
    with pytest.raises(ValueError, match="DSP type"):
        dsp_per_multiply(8, 8, "DSP58")


def test_dsp_float32():
    assert dsp_for_float32(1, 1) == 5
    assert dsp_for_float32(4, 0) == 12


# ----------------------------------------------------------------------------- Resources


def test_resources_add_sum_scale():
    a = Resources(dsp=1, bram18=2, uram=3, lut=4, ff=5)
    b = Resources(dsp=10, lut=100)
    assert a + b == Resources(dsp=11, bram18=2, uram=3, lut=104, ff=5)
    assert sum([a, b, a]) == Resources(dsp=12, bram18=4, uram=6, lut=108, ff=10)
    assert sum([], Resources()) == Resources()
    assert a.scale(3) == Resources(dsp=3, bram18=6, uram=9, lut=12, ff=15)
    assert a.scale(1.5) == Resources(dsp=2, bram18=3, uram=5, lut=6, ff=8)  # rounded up
    assert a.as_dict() == {"dsp": 1, "bram18": 2, "uram": 3, "lut": 4, "ff": 5}
    with pytest.raises(ValueError):
        Resources(lut=-1)
    with pytest.raises(TypeError):
        Resources(dsp=1.5)


def test_utilisation_fits_first_violation():
    kv260 = get_board("kv260")  # dsp 1248, bram18 288, uram 64, lut 117120, ff 234240
    r = Resources(dsp=624, bram18=144, uram=16, lut=11712, ff=0)
    assert r.utilisation(kv260) == {"dsp": 0.5, "bram18": 0.5, "uram": 0.25, "lut": 0.1, "ff": 0.0}
    assert r.fits(kv260)
    assert r.fits(kv260, 0.5)
    assert not r.fits(kv260, 0.49)
    assert r.first_violation(kv260, 0.49) == ("dsp", 624, 611)  # floor(0.49 * 1248)
    assert r.first_violation(kv260) is None

    over = Resources(dsp=625, lut=200_000)
    assert over.first_violation(kv260, 0.5) == ("dsp", 625, 624)  # dsp is checked before lut
    assert over.first_violation(kv260, {"dsp": 1.0}) == ("lut", 200_000, 117_120)
    # 0.7 * 117120 = 81984 exactly: needing exactly the budget fits.
    assert Resources(lut=81984).fits(kv260, 0.7)
    assert not Resources(lut=81985).fits(kv260, 0.7)


def test_utilisation_of_missing_resource():
    zcu102 = get_board("zcu102")  # no URAM
    assert math.isinf(Resources(uram=1).utilisation(zcu102)["uram"])
    assert Resources().utilisation(zcu102)["uram"] == 0.0
    assert Resources(uram=1).first_violation(zcu102) == ("uram", 1, 0)
