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

from fpga_opt.backend.target.resources import (
    PACKING_MAX_BITS,
    Resources,
    dsp_for_float32,
    dsp_for_multipliers,
    memory_resources,
)

#: Loop counters, FSM and stream handshakes of one compute kernel (conv, pool, linear, ...).
CONTROL_LUT, CONTROL_FF = 200, 250
#: Same for the simple streaming kernels (add, concat, requantise, activation).
SIMPLE_CONTROL_LUT, SIMPLE_CONTROL_FF = 40, 40
#: One pipelined adder (carry chain) costs about one LUT and one FF per result bit.
ADDER_LUT_PER_BIT, ADDER_FF_PER_BIT = 1, 1
#: Sliding-window register file: one FF per bit, and about one LUT per bit for the
#: shift/padding multiplexers.
WINDOW_LUT_PER_BIT = 1
#: Correcting and splitting the two products of a packed int8 DSP (AMD WP486): a small adder.
PACKING_LUT_PER_DSP = 20
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


def clog2(n: int) -> int:
    """ceil(log2(n)), 0 for n <= 1: the levels of a binary tree over n inputs."""
    return 0 if n <= 1 else (n - 1).bit_length()


def is_power_of_two(m: int) -> bool:
    return m > 0 and m & (m - 1) == 0


def adders(count: int, bits: int) -> Resources:
    """`count` pipelined integer adders of `bits` bits."""
    return Resources(lut=count * bits * ADDER_LUT_PER_BIT, ff=count * bits * ADDER_FF_PER_BIT)


def float_adders(count: int) -> Resources:
    """`count` float32 adders."""
    return Resources(dsp=dsp_for_float32(0, count), lut=count * FLOAT32_ADD_LUT, ff=count * FLOAT32_ADD_FF)


def float_multipliers(count: int) -> Resources:
    """`count` float32 multipliers."""
    return Resources(dsp=dsp_for_float32(count, 0), lut=count * FLOAT32_MUL_LUT, ff=count * FLOAT32_MUL_FF)


def sliding_window(*, kh: int, kw: int, row_words: int, c: int, lanes: int, bits: int, allow_uram: bool) -> Resources:
    """Line buffers, window buffers and window registers of a sliding window.

    Line buffers: (kh-1) rows x `lanes` values read at one address, so one
    memory of (kh-1)*lanes*bits x row_words*c/lanes.  Window buffers (the
    previous kw-1 pixels' channels of each row): one memory of
    kh*(kw-1)*lanes*bits x c/lanes.  Window registers: kh*kw*lanes values.
    """
    if kh * kw == 1:
        return Resources()
    per_lane_c = c // lanes
    line = Resources()
    if kh > 1:
        line = memory_resources((kh - 1) * lanes * bits, row_words * per_lane_c, allow_uram, dual_port=True)
    window = Resources()
    if kw > 1:
        window = memory_resources(kh * (kw - 1) * lanes * bits, per_lane_c, allow_uram, dual_port=True)
    window_bits = kh * kw * lanes * bits
    return line + window + Resources(lut=WINDOW_LUT_PER_BIT * window_bits, ff=window_bits)


def window_fill(*, kh: int, kw: int, row_words: int, c: int, lanes: int) -> int:
    """Cycles until the first window is in the line buffers: ((kh-1)*row + (kw-1)) * c / lanes.

    The formula of `WindowedOp.window_fill_cycles` for a window given by its
    numbers (a dilated kernel's effective size included), as the pure layer
    formulas need it.
    """
    return ((kh - 1) * row_words + (kw - 1)) * c // lanes


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
) -> tuple[Resources, int]:
    """Multipliers, adder trees and accumulators of `out_lanes` dot-product units.

    `in_lanes` input values per cycle each meet `out_lanes` weights (the out
    lanes share the activation operand, which is what int8 packing needs);
    each out lane sums `products_per_out` products per cycle and accumulates.
    Returns the resources and the latency from operands to accumulated sum.
    """
    n_mult = in_lanes * out_lanes
    tree_levels = clog2(products_per_out)
    if float32:
        n_add = out_lanes * products_per_out  # (products - 1) tree adders + 1 accumulator per lane
        res = Resources(
            dsp=dsp_for_float32(n_mult, n_add),
            lut=n_mult * FLOAT32_MUL_LUT + n_add * FLOAT32_ADD_LUT,
            ff=n_mult * FLOAT32_MUL_FF + n_add * FLOAT32_ADD_FF,
        )
        return res, FLOAT32_MUL_LATENCY + (tree_levels + 1) * FLOAT32_ADD_LATENCY

    dsp = (
        dsp_for_multipliers(
            out_lanes, in_bits, weight_bits, shared_operand=out_lanes > 1, packing=packing, dsp_type=dsp_type
        )
        * in_lanes
    )
    res = Resources(dsp=dsp)
    if dsp == 0:
        # A 1-bit operand: each product is an AND / conditional negate of the other operand.
        res += Resources(lut=n_mult * max(in_bits, weight_bits))
    elif packing and out_lanes > 1 and dsp_type == "DSP48E2" and max(in_bits, weight_bits) <= PACKING_MAX_BITS:
        res += Resources(lut=PACKING_LUT_PER_DSP * in_lanes * (out_lanes // 2))
    product_bits = in_bits + weight_bits
    tree_bits = product_bits + tree_levels
    res += adders(out_lanes * (products_per_out - 1), tree_bits)
    res += adders(out_lanes, acc_bits)
    return res, DSP_MULTIPLY_LATENCY + tree_levels + 1
