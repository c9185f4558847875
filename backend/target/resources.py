"""FPGA resources and how memories, FIFOs and multipliers map onto them.

`Resources` is an immutable vector (dsp, bram18, uram, lut, ff) that adds up
over layers and is compared with a `Board`.  The mapping functions answer the
primitive questions every layer model asks: how many RAMB18s (or URAMs, or
LUTs as distributed RAM) does a width x depth memory need, what does an
`hls::stream` FIFO of a given depth cost, and how many DSP slices do `n`
multipliers of given operand widths need.  Every rule and constant is written
down, with its source, in `docs/cost_model.md`; the LUT/FF figures are
estimates meant to be calibrated against synthesis reports.

All functions here are pure and take plain ints; bad arguments are
programming errors and raise `ValueError` (the IR verifier is the user-facing
check).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpga_opt.backend.target.boards import Board

RESOURCE_NAMES = ("dsp", "bram18", "uram", "lut", "ff")


@dataclass(frozen=True)
class Resources:
    """An amount of each FPGA resource: DSP slices, RAMB18s, URAM288s, LUT6s, flip-flops."""

    dsp: int = 0
    bram18: int = 0
    uram: int = 0
    lut: int = 0
    ff: int = 0

    def __post_init__(self) -> None:
        if (
            type(self.dsp) is int  # noqa: E721 -- the fast path: plain non-negative ints
            and type(self.bram18) is int  # noqa: E721
            and type(self.uram) is int  # noqa: E721
            and type(self.lut) is int  # noqa: E721
            and type(self.ff) is int  # noqa: E721
            and min(self.dsp, self.bram18, self.uram, self.lut, self.ff) >= 0
        ):
            return
        for name in RESOURCE_NAMES:
            value = getattr(self, name)
            if type(value) is not int:  # noqa: E721 -- bool and int subclasses are refused too
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"Resources.{name} must be an int, got {value!r}")
            if value < 0:
                raise ValueError(f"Resources.{name} must not be negative, got {value}")

    def __add__(self, other: Resources) -> Resources:
        if not isinstance(other, Resources):
            return NotImplemented
        # Sums of valid amounts are valid: skip the checks (the cost models add thousands).
        total = object.__new__(Resources)
        total.__dict__.update(
            dsp=self.dsp + other.dsp,
            bram18=self.bram18 + other.bram18,
            uram=self.uram + other.uram,
            lut=self.lut + other.lut,
            ff=self.ff + other.ff,
        )
        return total

    def __radd__(self, other: object) -> Resources:
        # `sum(costs)` starts from the int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def scale(self, k: int | float) -> Resources:
        """`k` copies of this; a fractional `k` rounds each resource up."""
        if k < 0:
            raise ValueError(f"cannot scale resources by a negative factor {k}")
        if isinstance(k, int):
            return Resources(*(v * k for v in self._values()))
        return Resources(*(math.ceil(v * k - 1e-9) if v else 0 for v in self._values()))

    def as_dict(self) -> dict[str, int]:
        """{"dsp": .., "bram18": .., "uram": .., "lut": .., "ff": ..}."""
        return {name: getattr(self, name) for name in RESOURCE_NAMES}

    def utilisation(self, board: Board) -> dict[str, float]:
        """Fraction of the board's total of each resource (inf if the board has none but some is needed)."""
        result = {}
        for name in RESOURCE_NAMES:
            needed, total = getattr(self, name), getattr(board, name)
            result[name] = needed / total if total else (0.0 if needed == 0 else math.inf)
        return result

    def first_violation(self, board: Board, max_util: float | Mapping[str, float] = 1.0) -> tuple[str, int, int] | None:
        """The first resource, in the order dsp, bram18, uram, lut, ff, that exceeds its budget.

        The budget of a resource is floor(max_util * board total); `max_util` is
        one fraction for all resources or a mapping from resource name to
        fraction (missing names mean 1.0).  Returns (name, needed, budget) or None.
        """
        for name in RESOURCE_NAMES:
            needed = getattr(self, name)
            budget = self.budget(board, name, max_util)
            if needed > budget:
                return (name, needed, budget)
        return None

    def fits(self, board: Board, max_util: float | Mapping[str, float] = 1.0) -> bool:
        """Whether every resource is within floor(max_util * board total)."""
        return self.first_violation(board, max_util) is None

    @staticmethod
    def budget(board: Board, name: str, max_util: float | Mapping[str, float] = 1.0) -> int:
        """floor(max_util * total) of resource `name` on `board`."""
        if name not in RESOURCE_NAMES:
            raise ValueError(f"unknown resource '{name}'")
        if isinstance(max_util, Mapping):
            unknown = set(max_util) - set(RESOURCE_NAMES)
            if unknown:
                raise ValueError(f"unknown resource(s) in max_util: {sorted(unknown)}")
            fraction = max_util.get(name, 1.0)
        else:
            fraction = max_util
        if fraction < 0:
            raise ValueError(f"max_util must not be negative, got {fraction}")
        # The epsilon keeps 0.7 * 1000 (= 699.9999...) at 700.
        return math.floor(fraction * getattr(board, name) + 1e-9)

    def _values(self) -> tuple[int, ...]:
        return (self.dsp, self.bram18, self.uram, self.lut, self.ff)


def _check_dims(**dims: int) -> None:
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")


# --------------------------------------------------------------------------------------
# Memories (UG573: UltraScale memory resources; UG473: 7-series memory resources)
# --------------------------------------------------------------------------------------

#: Below this many bits a memory goes to LUTRAM (distributed RAM), not block RAM.
LUTRAM_THRESHOLD_BITS = 1024

#: RAMB18 aspect ratios (data width incl. parity bits, depth); 36-wide is simple dual port.
RAMB18_SHAPES = ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512))

#: URAM288: one fixed shape, 72 bits x 4096.
URAM_WIDTH, URAM_DEPTH = 72, 4096

#: A LUT6 in a SLICEM is a 64 x 1 RAM (RAM64X1S); simple dual port costs more, see lutram_luts.
LUTRAM_DEPTH = 64

#: Memories this shallow go to LUTRAM whatever their width (see memory_resources).
LUTRAM_MAX_DEPTH = 64

#: Capacity in bits, used to compare a URAM mapping with a BRAM mapping.
BRAM18_BITS, URAM_BITS = 18 * 1024, 288 * 1024


def bram18_blocks(width_bits: int, depth: int) -> int:
    """RAMB18s for a `width_bits` x `depth` memory: 0 below 1 Kbit (the caller uses LUTRAM),
    else the minimum over the RAMB18 shapes (w, d) of ceil(width/w) * ceil(depth/d)."""
    _check_dims(width_bits=width_bits, depth=depth)
    if width_bits * depth < LUTRAM_THRESHOLD_BITS:
        return 0
    return min(-(-width_bits // w) * -(-depth // d) for w, d in RAMB18_SHAPES)


def uram_blocks(width_bits: int, depth: int) -> int:
    """URAM288s for a `width_bits` x `depth` memory: ceil(width/72) * ceil(depth/4096)."""
    _check_dims(width_bits=width_bits, depth=depth)
    if width_bits == 0 or depth == 0:
        return 0
    return -(-width_bits // URAM_WIDTH) * -(-depth // URAM_DEPTH)


def lutram_luts(width_bits: int, depth: int, dual_port: bool = False) -> int:
    """LUT6s for a `width_bits` x `depth` distributed RAM.

    Single port: one LUT per bit per 64 words (RAM64X1S).  Simple dual port
    (one write, one read port, as a FIFO or line buffer needs): a RAM64M quad
    of four LUTs stores three bits per 64 words, so 4 * ceil(width/3) LUTs.
    """
    _check_dims(width_bits=width_bits, depth=depth)
    if width_bits == 0 or depth == 0:
        return 0
    banks = -(-depth // LUTRAM_DEPTH)
    per_bank = 4 * -(-width_bits // 3) if dual_port else width_bits
    return banks * per_bank


@lru_cache(maxsize=65536)
def memory_resources(width_bits: int, depth: int, allow_uram: bool = False, dual_port: bool = False) -> Resources:
    """The cheapest mapping of a `width_bits` x `depth` on-chip memory.

    LUTRAM (`lutram_luts`) below LUTRAM_THRESHOLD_BITS (1 Kbit) or when
    depth <= LUTRAM_MAX_DEPTH (64: one LUT per bit column, while any RAMB18
    would be at most 1/8 full).  Otherwise RAMB18s (`bram18_blocks`), unless
    `allow_uram` and the URAM mapping has no more bit capacity than the BRAM
    mapping (288 Kb * uram <= 18 Kb * bram18, i.e. 16 * uram <= bram18: the
    URAMs would be at least as full as the BRAMs), in which case URAMs.
    Xilinx publishes no per-block die area, so capacity stands in for area.
    `dual_port`: one write and one read port at once (FIFOs, line buffers);
    only the LUTRAM cost depends on it (block RAMs are dual-ported anyway).
    """
    _check_dims(width_bits=width_bits, depth=depth)
    if width_bits == 0 or depth == 0:
        return Resources()
    if width_bits * depth < LUTRAM_THRESHOLD_BITS or depth <= LUTRAM_MAX_DEPTH:
        return Resources(lut=lutram_luts(width_bits, depth, dual_port))
    bram = bram18_blocks(width_bits, depth)
    if allow_uram:
        uram = uram_blocks(width_bits, depth)
        if uram * URAM_BITS <= bram * BRAM18_BITS:
            return Resources(uram=uram)
    return Resources(bram18=bram)


@lru_cache(maxsize=65536)
def rom_resources(width_bits: int, depth: int, lut_per_bram18: float = 0.0) -> Resources:
    """A read-only table (weights, biases): block RAM or LUT ROM, whichever the board can spare.

    A ROM is never URAM: UltraScale+ UltraRAM is not initialised by the bitstream (UG573; only
    Versal's is, UG1273).  The HLS lowering binds each table to the implementation chosen here
    (BIND_STORAGE), so the choice is the cost model's: with `lut_per_bram18` (the board's LUTs
    per RAMB18, an equal share of the device) a table too wide for its depth takes LUTs
    (ROM64X1: one LUT per bit per 64 words, UG574) when they are a smaller share of the device
    than the RAMB18s it would need; without it, `memory_resources`' rule.
    """
    base = memory_resources(width_bits, depth)
    if base.bram18 and lut_per_bram18 > 0:
        luts = lutram_luts(width_bits, depth)
        if luts < base.bram18 * lut_per_bram18:
            return Resources(lut=luts)
    return base


# --------------------------------------------------------------------------------------
# FIFOs (hls::stream)
# --------------------------------------------------------------------------------------

#: Vitis HLS's default FIFO binding (UG1399, config_storage / syn.storage: impl=autosrl,
#: auto_srl_max_bits=1024): a stream of at most this many bits (width x depth) is a shift
#: register, a larger one a memory.
FIFO_SRL_MAX_BITS = 1024
#: SRLC32E (UG574): one LUT is a shift register of up to 32 bits.
SRL_DEPTH = 32


@lru_cache(maxsize=65536)
def fifo_resources(width_bits: int, depth: int) -> Resources:
    """Resources of a `width_bits` wide, `depth` deep FIFO (an hls::stream), as Vitis HLS binds it.

    Up to FIFO_SRL_MAX_BITS (1 Kbit) a shift register: ceil(depth/32) SRLC32E LUTs per bit, an
    output register, and one address counter (its incrementer and compare on the carry chain)
    with the empty/full flags.  Larger: a simple dual-port memory by `memory_resources` (LUTRAM
    when at most 64 deep, else block RAM; never URAM, which no kernel binds), an output
    register, and two address counters (read and write) with the flags.
    """
    _check_dims(width_bits=width_bits, depth=depth)
    if width_bits == 0 or depth == 0:
        return Resources()
    addr = max(1, (depth - 1).bit_length())
    if width_bits * depth <= FIFO_SRL_MAX_BITS:
        srl = width_bits * -(-depth // SRL_DEPTH)
        return Resources(lut=srl + 2 * addr + 2, ff=width_bits + addr + 2)
    memory = memory_resources(width_bits, depth, dual_port=True)
    return memory + Resources(lut=4 * addr + 2, ff=width_bits + 2 * addr + 2)


# --------------------------------------------------------------------------------------
# Multipliers (UG579: UltraScale DSP48E2; UG479: 7-series DSP48E1; WP486: int8 packing)
# --------------------------------------------------------------------------------------

#: Signed multiplier operand widths of one DSP slice (wide port, narrow port).
DSP_MULTIPLIER_WIDTHS = {"DSP48E2": (27, 18), "DSP48E1": (25, 18)}
#: Largest signed operands two packed multiplies may have (WP486: int8).
PACKING_MAX_BITS = 8
#: DSPs of one IEEE single-precision operator (Xilinx Floating-Point Operator, full DSP usage).
FLOAT32_MUL_DSP, FLOAT32_ADD_DSP = 3, 2


def _limbs(bits: int, port: int) -> int:
    """Pieces a `bits`-wide signed operand splits into for a `port`-wide signed DSP input:
    the top piece is signed and `port` wide, the others unsigned and `port - 1` wide."""
    return 1 if bits <= port else 1 + -(-(bits - port) // (port - 1))


@lru_cache(maxsize=65536)
def dsp_per_multiply(a_bits: int, b_bits: int, dsp_type: str = "DSP48E2") -> int:
    """DSP slices for one signed a x b multiply with the full product.

    1 if it fits the slice's multiplier (27x18 DSP48E2, 25x18 DSP48E1); wider
    products are tiled from partial products, one slice each (e.g. 32x32: 4);
    0 if an operand is a single bit (an AND/conditional negate in LUTs).
    """
    _check_dims(a_bits=a_bits, b_bits=b_bits)
    if dsp_type not in DSP_MULTIPLIER_WIDTHS:
        raise ValueError(f"unknown DSP type '{dsp_type}'")
    if min(a_bits, b_bits) <= 1:
        return 0
    wide, narrow = DSP_MULTIPLIER_WIDTHS[dsp_type]
    return min(
        _limbs(a_bits, wide) * _limbs(b_bits, narrow),
        _limbs(b_bits, wide) * _limbs(a_bits, narrow),
    )


def dsp_for_multipliers(
    n: int,
    a_bits: int,
    b_bits: int,
    shared_operand: bool = False,
    packing: bool = False,
    *,
    dsp_type: str = "DSP48E2",
) -> int:
    """DSP slices for `n` parallel signed a x b multipliers.

    One DSP per multiply up to 18x27 (DSP48E2) / 18x25 (DSP48E1), more for
    wider ones (`dsp_per_multiply`).  With `packing` on a DSP48E2, when both
    operands are at most 8 bits and the multiplies share one operand (e.g. one
    activation times the weights of two output channels), two multiplies go
    into one DSP (WP486): ceil(n / 2).  DSP48E1 cannot pack: its 25-bit A
    port has no room for the second operand at the 18-bit offset WP486 uses.
    """
    _check_dims(n=n)
    per = dsp_per_multiply(a_bits, b_bits, dsp_type)
    if n == 0 or per == 0:
        return 0
    if packing and shared_operand and dsp_type == "DSP48E2" and max(a_bits, b_bits) <= PACKING_MAX_BITS:
        return -(-n // 2)
    return n * per


#: WP486: the low product of a packed pair sits in the low 18 bits of the DSP48E2's P register.
PACKED_LOW_FIELD_BITS = 18


@lru_cache(maxsize=65536)
def packed_chain_length(a_bits: int, b_bits: int, a_unsigned: bool = False, b_unsigned: bool = False) -> int:
    """Packed products one DSP48E2 cascade chain may sum before the low product's field overflows.

    WP486 packs two products sharing an operand into one DSP ((a << 18) + b) * c; summed
    through the cascade (PCIN, UG579), the low sums must stay inside the signed 18-bit field:
    K products of magnitude at most |a|max*|b|max fit while K*that < 2^17.  For int8 x int8
    (|product| <= 2^14) that is 7, WP486's figure; an unsigned 8-bit activation halves it to 4.
    """
    _check_dims(a_bits=a_bits, b_bits=b_bits)
    largest_a = (1 << a_bits) - 1 if a_unsigned else 1 << (a_bits - 1)
    largest_b = (1 << b_bits) - 1 if b_unsigned else 1 << (b_bits - 1)
    return max(1, ((1 << (PACKED_LOW_FIELD_BITS - 1)) - 1) // (largest_a * largest_b))


def packs(a_bits: int, b_bits: int, packing: bool, dsp_type: str) -> bool:
    """Whether two products sharing an operand go into one DSP: int8 packing on DSP48E2 (WP486)."""
    return packing and dsp_type == "DSP48E2" and 1 < min(a_bits, b_bits) and max(a_bits, b_bits) <= PACKING_MAX_BITS


def pack_chain(a_bits: int, b_bits: int, packing: bool, dsp_type: str, a_unsigned: bool = False) -> int:
    """`packed_chain_length` where products pack (`packs`), else 0: what the HLS kernels are told."""
    return packed_chain_length(a_bits, b_bits, a_unsigned=a_unsigned) if packs(a_bits, b_bits, packing, dsp_type) else 0


def dsp_for_float32(n_mul: int, n_add: int) -> int:
    """DSP slices for `n_mul` float32 multipliers and `n_add` float32 adders (3 and 2 each)."""
    _check_dims(n_mul=n_mul, n_add=n_add)
    return FLOAT32_MUL_DSP * n_mul + FLOAT32_ADD_DSP * n_add


def placed_memory(width_bits: int, depth: int, allow_uram: bool = False, placement: str | None = None) -> Resources:
    """A layer's weight memory where `weight_placement` puts it (dialects/dataflow/weights.py).

    None: the cheapest mapping (`memory_resources`); "bram" / "uram" / "lutram":
    that memory; "dram" / "generated": no memory, only the register of the word
    the layer multiplies this cycle (its provider, a DRAM stream or a weights
    generator, is costed on its own).
    """
    _check_dims(width_bits=width_bits, depth=depth)
    if placement is None or width_bits == 0 or depth == 0:
        return memory_resources(width_bits, depth, allow_uram)
    if placement == "bram":
        return Resources(bram18=max(1, min(-(-width_bits // w) * -(-depth // d) for w, d in RAMB18_SHAPES)))
    if placement == "uram":
        return Resources(uram=uram_blocks(width_bits, depth))
    if placement == "lutram":
        return Resources(lut=lutram_luts(width_bits, depth))
    if placement in ("dram", "generated"):
        return Resources(ff=width_bits)
    raise ValueError(f"unknown weight placement '{placement}'")
