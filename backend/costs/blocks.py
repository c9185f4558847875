"""The hardware building blocks every layer model is made of: adders, sliding windows, MAC arrays.

Each block is a function of plain ints returning its `Resources` (and, where
it adds to a pipeline, its latency); the layer formulas of each op family
(`conv.py`, `pool.py`, ...) add them up.  The memory and multiplier mappings
beneath them are in `backend/target/resources.py`.

The constants are estimates unless a source is given (docs/cost_model.md,
section 6): the latencies are typical Vitis HLS schedules, and the LUT/FF
figures are the numbers to calibrate against synthesis first.
"""

from __future__ import annotations

from functools import lru_cache

from fpga_opt.backend.target.resources import (
    Resources,
    dsp_for_float32,
    dsp_per_multiply,
    memory_resources,
    packed_chain_length,
    packs,
)

#: Flat control figures of one compute kernel (CONTROL_*) and of a simple streaming kernel
#: (SIMPLE_CONTROL_*), still used by the binarised (binary.py) and off-chip weight (weights.py)
#: cost models, which have not moved to `kernel_control`'s per-loop counting yet.
CONTROL_LUT, CONTROL_FF = 200, 250
SIMPLE_CONTROL_LUT, SIMPLE_CONTROL_FF = 40, 40
#: A pipelined adder: one LUT per result bit feeding the carry chain (UG574: CARRY8, one
#: LUT6 per bit of an adder) and its output register.
ADDER_LUT_PER_BIT, ADDER_FF_PER_BIT = 1, 1
#: A loop counter bit: its incrementer and its terminal-count compare, one carry-chain LUT
#: each (UG574), and the counter's flip-flop.
COUNTER_LUT_PER_BIT, COUNTER_FF_PER_BIT = 2, 1
#: A stream port of a kernel: its read (or write) enable gated by the empty (full) flag it
#: waits on (UG1399: the ap_fifo handshake, two signals) -- a LUT and a register each.
PORT_LUT, PORT_FF = 2, 2
#: Sliding-window register file: one FF per bit, and one LUT per bit for the multiplexer
#: choosing the shifted value, the new value or the padding (a 3:1 mux: one LUT6, UG574).
WINDOW_LUT_PER_BIT = 1
#: Latency of a fully pipelined DSP multiply (A/B, M and P registers + one) in cycles.
DSP_MULTIPLY_LATENCY = 4
#: Input and output stream registers of a kernel.
IO_LATENCY = 2
#: Integer accumulators are 32 bits (DESIGN.md: int32 accumulators); so are float values.
ACC_BITS = 32
#: Biases are stored as 32-bit values (the corpus' int8 models carry int32 biases).
BIAS_BITS = 32
#: float32 operators (Floating-Point Operator, PG060, full DSP usage, ~250 MHz): latency and fabric cost.
FLOAT32_MUL_LATENCY, FLOAT32_ADD_LATENCY = 4, 5
FLOAT32_MUL_LUT, FLOAT32_MUL_FF = 80, 150
FLOAT32_ADD_LUT, FLOAT32_ADD_FF = 220, 350
#: float32 exponential (Floating-Point Operator, full DSP usage): DSPs, LUT, FF, latency.
FLOAT32_EXP_DSP, FLOAT32_EXP_LUT, FLOAT32_EXP_FF, FLOAT32_EXP_LATENCY = 7, 600, 800, 20
#: float32 divider/reciprocal (Floating-Point Operator, fabric only): LUT, FF, latency.
FLOAT32_DIV_LUT, FLOAT32_DIV_FF, FLOAT32_DIV_LATENCY = 800, 1400, 28
#: float32 comparator (max, clamp): LUT, FF.
FLOAT32_CMP_LUT, FLOAT32_CMP_FF = 40, 32


def kernel_control(*trip_counts: int, ports: int = 2) -> Resources:
    """The control of one kernel as the HLS kernels are written: a counter per loop level
    (`trip_counts`, the flattened loop's steps first) and a handshake per stream port."""
    bits = sum(clog2(n) for n in trip_counts if n > 1)
    return Resources(
        lut=COUNTER_LUT_PER_BIT * bits + PORT_LUT * ports,
        ff=COUNTER_FF_PER_BIT * bits + PORT_FF * ports,
    )


def clog2(n: int) -> int:
    """ceil(log2(n)), 0 for n <= 1: the levels of a binary tree over n inputs."""
    return 0 if n <= 1 else (n - 1).bit_length()


def is_power_of_two(m: int) -> bool:
    return m > 0 and m & (m - 1) == 0


@lru_cache(maxsize=65536)
def adders(count: int, bits: int) -> Resources:
    """`count` pipelined integer adders of `bits` bits."""
    return Resources(lut=count * bits * ADDER_LUT_PER_BIT, ff=count * bits * ADDER_FF_PER_BIT)


def float_adders(count: int) -> Resources:
    """`count` float32 adders."""
    return Resources(dsp=dsp_for_float32(0, count), lut=count * FLOAT32_ADD_LUT, ff=count * FLOAT32_ADD_FF)


def float_multipliers(count: int) -> Resources:
    """`count` float32 multipliers."""
    return Resources(dsp=dsp_for_float32(count, 0), lut=count * FLOAT32_MUL_LUT, ff=count * FLOAT32_MUL_FF)


@lru_cache(maxsize=65536)
def sliding_window(*, kh: int, kw: int, row_words: int, c: int, lanes: int, bits: int, rows: int = 0) -> Resources:
    """Line buffers, window buffers, window registers and control of a sliding window.

    Line buffers: (kh-1) rows x `lanes` values read at one address, so one
    memory of (kh-1)*lanes*bits x row_words*c/lanes.  Window buffers (the
    previous kw-1 pixels' channels of each row): one memory of
    kh*(kw-1)*lanes*bits x c/lanes.  Window registers: kh*kw*lanes values.
    Control: the `sliding_window` kernel's counters over `rows` x `row_words`
    x c/lanes steps and its two ports.
    """
    if kh * kw == 1:
        return Resources()
    per_lane_c = c // lanes
    line = Resources()
    if kh > 1:
        line = memory_resources((kh - 1) * lanes * bits, row_words * per_lane_c, dual_port=True)
    window = Resources()
    if kw > 1:
        window = memory_resources(kh * (kw - 1) * lanes * bits, per_lane_c, dual_port=True)
    window_bits = kh * kw * lanes * bits
    control = kernel_control(max(rows, kh) * row_words * per_lane_c, row_words, per_lane_c)
    return line + window + control + Resources(lut=WINDOW_LUT_PER_BIT * window_bits, ff=window_bits)


def window_fill(*, kh: int, kw: int, row_words: int, c: int, lanes: int) -> int:
    """Cycles until the first window is in the line buffers: ((kh-1)*row + (kw-1)) * c / lanes.

    The formula of `WindowedOp.window_fill_cycles` for a window given by its
    numbers (a dilated kernel's effective size included), as the pure layer
    formulas need it.
    """
    return ((kh - 1) * row_words + (kw - 1)) * c // lanes


@lru_cache(maxsize=65536)
def mac_array(
    *,
    in_lanes: int,
    out_lanes: int,
    products_per_out: int,
    in_bits: int,
    weight_bits: int,
    acc_bits: int,
    packing: bool,
    dsp_type: str,
    float32: bool,
    in_unsigned: bool = False,
) -> tuple[Resources, int]:
    """Multipliers and accumulation of `out_lanes` dot products of `products_per_out` terms a cycle.

    `in_lanes` input values per cycle each meet `out_lanes` weights (the out lanes share the
    activation operand, which is what int8 packing needs).  How the products are summed follows
    what the part offers and the kernels (`fpga_opt/types.h`, `dot`) really build:

    * one DSP per product (UG579): each output's products sum down one cascade chain through
      the post-adders (PCIN/PCOUT), so the fabric only holds the accumulator;
    * int8 packing on DSP48E2 (WP486): two outputs sharing the activation share a DSP; a
      cascade sums at most `packed_chain_length` packed products (7 for int8), each chain's
      two sums are split with one adder (the high sum plus the low field's sign), and the
      chains' sums meet in a fabric adder tree per output;
    * 1-bit operands (no DSP): products in LUTs and a fabric adder tree (a popcount);
    * products wider than one DSP: partial products in DSPs and a fabric adder tree.

    Returns the resources and the latency from operands to accumulated sum.
    """
    n_mult = in_lanes * out_lanes
    terms = products_per_out
    tree_levels = clog2(terms)
    product_bits = in_bits + weight_bits
    if float32:
        n_add = out_lanes * terms  # (products - 1) tree adders + 1 accumulator per lane
        res = Resources(
            dsp=dsp_for_float32(n_mult, n_add),
            lut=n_mult * FLOAT32_MUL_LUT + n_add * FLOAT32_ADD_LUT,
            ff=n_mult * FLOAT32_MUL_FF + n_add * FLOAT32_ADD_FF,
        )
        return res, FLOAT32_MUL_LATENCY + (tree_levels + 1) * FLOAT32_ADD_LATENCY

    accumulators = adders(out_lanes, acc_bits)
    per = dsp_per_multiply(in_bits, weight_bits, dsp_type)
    if per == 0:
        # A 1-bit operand: each product is an AND / conditional negate of the other operand.
        res = Resources(lut=n_mult * max(in_bits, weight_bits))
        res += adders(out_lanes * (terms - 1), product_bits + tree_levels)
        return res + accumulators, tree_levels + 2
    if packs(in_bits, weight_bits, packing, dsp_type) and out_lanes > 1:
        chain = packed_chain_length(in_bits, weight_bits, a_unsigned=in_unsigned)
        pairs = -(-out_lanes // 2)
        chains = -(-terms // chain)
        res = Resources(dsp=in_lanes * pairs)
        res += adders(pairs * chains, product_bits + clog2(min(terms, chain)))  # split each chain's two sums
        res += adders(out_lanes * (chains - 1), product_bits + tree_levels)
        return res + accumulators, DSP_MULTIPLY_LATENCY + min(terms, chain) + clog2(chains) + 1
    if per == 1:
        return Resources(dsp=n_mult) + accumulators, DSP_MULTIPLY_LATENCY + terms + 1
    res = Resources(dsp=n_mult * per) + adders(out_lanes * (terms - 1), product_bits + tree_levels)
    return res + accumulators, DSP_MULTIPLY_LATENCY + tree_levels + 1
