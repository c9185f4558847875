"""Rate, latency and resource models of each streaming hardware layer.

Each layer kind has one pure function of plain ints (shapes, kernel, stride,
pads, groups, bit widths and the folding factors `coarse_in`, `coarse_out`,
`coarse_group`, `fine`, `coarse`) returning a `LayerCost`:

- `cycles`: the initiation interval of one frame, i.e. clock cycles per frame
  in steady state (throughput = clock / cycles);
- `pipeline_depth`: cycles from the layer's first input to its first output
  (the network latency is the sum along the longest path);
- `resources`: DSP, RAMB18, URAM, LUT and FF estimates.

The rates follow fpgaConvNet (Venieris & Bouganis) and FINN's MVAU; the
memory and DSP mappings are in `resources.py`; every formula, its source and
every constant (the LUT/FF figures are estimates to be calibrated against
synthesis) are in `docs/cost_model.md`.  Streams are channel-last (H x W x C)
and carry `coarse` elements per cycle.

These are internal functions: illegal arguments (a folding factor that does
not divide its dimension, an empty output) raise `ValueError`.  Users see the
IR verifier's `FpgaOptError` instead.  All arguments are keyword-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fpga_opt.backend.target.resources import (
    DSP_MULTIPLIER_WIDTHS,
    PACKING_MAX_BITS,
    Resources,
    dsp_for_float32,
    dsp_for_multipliers,
    dsp_per_multiply,
    fifo_resources,
    memory_resources,
)


@dataclass(frozen=True)
class LayerCost:
    """Cycles per frame (steady state), cycles to first output, and resources."""

    cycles: int
    pipeline_depth: int
    resources: Resources

    def fps(self, clock_mhz: float) -> float:
        """Frames per second of this layer alone at `clock_mhz`."""
        return fps_from_cycles(self.cycles, clock_mhz)


# --------------------------------------------------------------------------------------
# Constants.  The latencies are typical Vitis HLS schedules; the LUT/FF figures are
# estimates (see docs/cost_model.md) and are the numbers to calibrate first.
# --------------------------------------------------------------------------------------

#: Loop counters, FSM and stream handshakes of one compute kernel (conv, pool, linear, ...).
CONTROL_LUT, CONTROL_FF = 200, 250
#: Same for the simple streaming kernels (add, concat, requantise, activation).
SIMPLE_CONTROL_LUT, SIMPLE_CONTROL_FF = 40, 40
#: One pipelined adder (carry chain) costs about one LUT and one FF per result bit.
ADDER_LUT_PER_BIT, ADDER_FF_PER_BIT = 1, 1
#: Sliding-window register file: one FF per bit, and about one LUT per bit for the
#: shift/padding multiplexers.
WINDOW_LUT_PER_BIT = 1
#: Correcting and splitting the two products of a packed int8 DSP (WP486): a small adder.
PACKING_LUT_PER_DSP = 20
#: Latency of a fully pipelined DSP multiply (A/B, M and P registers + one) in cycles.
DSP_MULTIPLY_LATENCY = 4
#: Input and output stream registers of a kernel.
IO_LATENCY = 2
#: float32 operators (Floating-Point Operator, full DSP usage, ~250 MHz): latency and fabric cost.
FLOAT32_MUL_LATENCY, FLOAT32_ADD_LATENCY = 4, 5
FLOAT32_MUL_LUT, FLOAT32_MUL_FF = 80, 150
FLOAT32_ADD_LUT, FLOAT32_ADD_FF = 220, 350
#: A multiply built from LUTs costs about one LUT per partial-product bit (a_bits * b_bits).
LUT_MULTIPLY_LUT_PER_BIT = 1


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------


def _positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _non_negative(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def _divides(factor_name: str, factor: int, dim_name: str, dim: int) -> None:
    if dim % factor:
        raise ValueError(f"{factor_name}={factor} does not divide {dim_name}={dim}")


def _dsp_type(dsp_type: str) -> None:
    if dsp_type not in DSP_MULTIPLIER_WIDTHS:
        raise ValueError(f"unknown DSP type '{dsp_type}'")


def _clog2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


def conv_output_size(
    size: int, kernel: int, stride: int = 1, pad_before: int = 0, pad_after: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution/pooling along one axis (floor mode)."""
    _positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    _non_negative(pad_before=pad_before, pad_after=pad_after)
    effective = dilation * (kernel - 1) + 1
    out = (size + pad_before + pad_after - effective) // stride + 1
    if out < 1:
        raise ValueError(
            f"kernel {kernel} (dilation {dilation}) is larger than the padded input {size}+{pad_before}+{pad_after}"
        )
    return out


# --------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------


def _sliding_window(*, kh: int, kw: int, row_words: int, c: int, lanes: int, bits: int, allow_uram: bool) -> Resources:
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


def _window_fill(*, kh: int, kw: int, row_words: int, c: int, lanes: int) -> int:
    """Cycles until the first window is in the line buffers: ((kh-1)*row + (kw-1)) * c / lanes."""
    return ((kh - 1) * row_words + (kw - 1)) * c // lanes


def _adders(count: int, bits: int) -> Resources:
    return Resources(lut=count * bits * ADDER_LUT_PER_BIT, ff=count * bits * ADDER_FF_PER_BIT)


def _mac_array(
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
    tree_levels = _clog2(products_per_out)
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
    res += _adders(out_lanes * (products_per_out - 1), tree_bits)
    res += _adders(out_lanes, acc_bits)
    return res, DSP_MULTIPLY_LATENCY + tree_levels + 1


def _check_float32(float32: bool, **bits: int) -> None:
    if float32 and any(b != 32 for b in bits.values()):
        raise ValueError(f"float32 datapath needs 32-bit operands, got {bits}")


# --------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------


def conv_cost(
    *,
    h_in: int,
    w_in: int,
    c_in: int,
    c_out: int,
    kh: int,
    kw: int,
    stride_h: int = 1,
    stride_w: int = 1,
    pad_t: int = 0,
    pad_b: int = 0,
    pad_l: int = 0,
    pad_r: int = 0,
    dilation_h: int = 1,
    dilation_w: int = 1,
    groups: int = 1,
    in_bits: int = 8,
    weight_bits: int = 8,
    acc_bits: int = 32,
    bias_bits: int = 0,
    coarse_in: int = 1,
    coarse_out: int = 1,
    coarse_group: int = 1,
    fine: int = 1,
    packing: bool = True,
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
    float32: bool = False,
) -> LayerCost:
    """A (grouped, depthwise, dilated) convolution as a sliding window + MAC array.

    cycles = max(H_in*W_in*C_in / (ci*cg),
                 H_out*W_out*(C_in/groups)*C_out*Kh*Kw / (ci*co*cg*fine))   [fpgaConvNet]
    Legal: groups | C_in, C_out; ci | C_in/groups; co | C_out/groups;
    cg | groups; fine | Kh*Kw.  With cg = 1 this is fpgaConvNet's formula.
    """
    _positive(
        h_in=h_in,
        w_in=w_in,
        c_in=c_in,
        c_out=c_out,
        kh=kh,
        kw=kw,
        stride_h=stride_h,
        stride_w=stride_w,
        dilation_h=dilation_h,
        dilation_w=dilation_w,
        groups=groups,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        coarse_in=coarse_in,
        coarse_out=coarse_out,
        coarse_group=coarse_group,
        fine=fine,
    )
    _non_negative(pad_t=pad_t, pad_b=pad_b, pad_l=pad_l, pad_r=pad_r, bias_bits=bias_bits)
    _dsp_type(dsp_type)
    _check_float32(float32, in_bits=in_bits, weight_bits=weight_bits, acc_bits=acc_bits)
    _divides("groups", groups, "C_in", c_in)
    _divides("groups", groups, "C_out", c_out)
    cin_g, cout_g = c_in // groups, c_out // groups
    _divides("coarse_in", coarse_in, "C_in/groups", cin_g)
    _divides("coarse_out", coarse_out, "C_out/groups", cout_g)
    _divides("coarse_group", coarse_group, "groups", groups)
    _divides("fine", fine, "Kh*Kw", kh * kw)

    h_out = conv_output_size(h_in, kh, stride_h, pad_t, pad_b, dilation_h)
    w_out = conv_output_size(w_in, kw, stride_w, pad_l, pad_r, dilation_w)
    kh_eff, kw_eff = dilation_h * (kh - 1) + 1, dilation_w * (kw - 1) + 1
    in_lanes = coarse_in * coarse_group
    out_lanes = coarse_out * coarse_group
    mult_lanes = coarse_in * coarse_out * coarse_group * fine

    in_cycles = h_in * w_in * c_in // in_lanes
    compute_cycles = h_out * w_out * cin_g * c_out * kh * kw // mult_lanes
    cycles = max(in_cycles, compute_cycles)

    row_words = w_in + pad_l + pad_r
    fill = _window_fill(kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes)
    per_pixel = -(-cycles // (h_out * w_out))

    # One group lane: coarse_in * fine input values per cycle, each meeting coarse_out weights
    # (the coarse_out multiplies share the activation operand); the group lanes are copies.
    mac, mac_latency = _mac_array(
        in_lanes=coarse_in * fine,
        out_lanes=coarse_out,
        products_per_out=coarse_in * fine,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        packing=packing,
        dsp_type=dsp_type,
        float32=float32,
    )
    mac = mac.scale(coarse_group)

    # All multipliers read their weight at the same address each cycle: one memory of
    # mult_lanes weights per word (see "memory layout" in docs/cost_model.md).
    weight_depth = c_out * cin_g * kh * kw // mult_lanes
    weights = memory_resources(weight_bits * mult_lanes, weight_depth, allow_uram)
    bias = Resources()
    if bias_bits:
        bias = memory_resources(bias_bits * out_lanes, c_out // out_lanes, allow_uram)
    window = _sliding_window(
        kh=kh_eff, kw=kw_eff, row_words=row_words, c=c_in, lanes=in_lanes, bits=in_bits, allow_uram=allow_uram
    )
    # Input channels are accumulated one lane-group per cycle while all output channels of the
    # group are in flight: partial sums live in a memory unless one cycle covers all inputs.
    partial_sums = Resources()
    if cin_g // coarse_in > 1:
        partial_sums = memory_resources(acc_bits * out_lanes, cout_g // coarse_out, allow_uram, dual_port=True)
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)

    resources = mac + weights + bias + window + partial_sums + control
    depth = fill + per_pixel + mac_latency + IO_LATENCY
    return LayerCost(cycles, depth, resources)


def pool_cost(
    *,
    h_in: int,
    w_in: int,
    c: int,
    kh: int,
    kw: int,
    stride_h: int = 1,
    stride_w: int = 1,
    pad_t: int = 0,
    pad_b: int = 0,
    pad_l: int = 0,
    pad_r: int = 0,
    bits: int = 8,
    coarse: int = 1,
    kind: str = "max",
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Max or average pooling: a sliding window and a comparator/adder tree per lane.

    cycles = H_in*W_in*C / coarse (the whole window is reduced in one cycle).
    Average divides by Kh*Kw: a shift if that is a power of two, else one
    multiply by the reciprocal per lane.
    """
    _positive(h_in=h_in, w_in=w_in, c=c, kh=kh, kw=kw, stride_h=stride_h, stride_w=stride_w, bits=bits, coarse=coarse)
    _non_negative(pad_t=pad_t, pad_b=pad_b, pad_l=pad_l, pad_r=pad_r)
    _dsp_type(dsp_type)
    if kind not in ("max", "avg"):
        raise ValueError(f"pool kind must be 'max' or 'avg', got '{kind}'")
    _divides("coarse", coarse, "C", c)
    h_out = conv_output_size(h_in, kh, stride_h, pad_t, pad_b)
    w_out = conv_output_size(w_in, kw, stride_w, pad_l, pad_r)

    cycles = h_in * w_in * c // coarse
    row_words = w_in + pad_l + pad_r
    window = _sliding_window(kh=kh, kw=kw, row_words=row_words, c=c, lanes=coarse, bits=bits, allow_uram=allow_uram)
    k2 = kh * kw
    levels = _clog2(k2)
    reduce_bits = bits if kind == "max" else bits + levels
    reduce = _adders(coarse * (k2 - 1), reduce_bits)
    divide = Resources()
    if kind == "avg" and k2 & (k2 - 1):
        divide = Resources(dsp=dsp_for_multipliers(coarse, reduce_bits, 18, dsp_type=dsp_type))
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)

    fill = _window_fill(kh=kh, kw=kw, row_words=row_words, c=c, lanes=coarse)
    per_pixel = -(-cycles // (h_out * w_out))
    depth = fill + per_pixel + levels + (DSP_MULTIPLY_LATENCY if divide.dsp else 0) + IO_LATENCY
    return LayerCost(cycles, depth, window + reduce + divide + control)


def global_pool_cost(
    *,
    h: int,
    w: int,
    c: int,
    bits: int = 8,
    coarse: int = 1,
    kind: str = "avg",
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Global max/average pooling: one running max/sum per channel.

    cycles = H*W*C / coarse.  The C accumulators (bits + ceil(log2(H*W)) wide
    for avg) are `coarse` memories of C/coarse words.  The first output
    appears once the last pixel's first channels arrive.
    """
    _positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    _dsp_type(dsp_type)
    if kind not in ("max", "avg"):
        raise ValueError(f"global pool kind must be 'max' or 'avg', got '{kind}'")
    _divides("coarse", coarse, "C", c)

    cycles = h * w * c // coarse
    acc_bits = bits if kind == "max" else bits + _clog2(h * w)
    accumulators = memory_resources(acc_bits * coarse, c // coarse, allow_uram, dual_port=True)
    update = _adders(coarse, acc_bits)
    divide = Resources()
    if kind == "avg" and (h * w) & (h * w - 1):
        divide = Resources(dsp=dsp_for_multipliers(coarse, acc_bits, 18, dsp_type=dsp_type))
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = (h * w - 1) * c // coarse + 1 + (DSP_MULTIPLY_LATENCY if divide.dsp else 0) + IO_LATENCY
    return LayerCost(cycles, depth, accumulators + update + divide + control)


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
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
    float32: bool = False,
) -> LayerCost:
    """A fully connected layer as FINN's matrix-vector unit (MVAU).

    cycles = n_vectors * (C_out/coarse_out) * (C_in/coarse_in)   [FINN: (MH/PE)*(MW/SIMD)*N]
    coarse_in is FINN's SIMD, coarse_out its PE.  The input vector is kept in a
    buffer of C_in/coarse_in words (reused for every output fold); the weights
    are one memory of coarse_in*coarse_out weights per word, C_in*C_out/(that) deep.
    """
    _positive(
        c_in=c_in,
        c_out=c_out,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        coarse_in=coarse_in,
        coarse_out=coarse_out,
        n_vectors=n_vectors,
    )
    _non_negative(bias_bits=bias_bits)
    _dsp_type(dsp_type)
    _check_float32(float32, in_bits=in_bits, weight_bits=weight_bits, acc_bits=acc_bits)
    _divides("coarse_in", coarse_in, "C_in", c_in)
    _divides("coarse_out", coarse_out, "C_out", c_out)

    synapse_fold, neuron_fold = c_in // coarse_in, c_out // coarse_out
    cycles = n_vectors * neuron_fold * synapse_fold

    mac, mac_latency = _mac_array(
        in_lanes=coarse_in,
        out_lanes=coarse_out,
        products_per_out=coarse_in,
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        packing=packing,
        dsp_type=dsp_type,
        float32=float32,
    )
    lanes = coarse_in * coarse_out
    weights = memory_resources(weight_bits * lanes, c_in * c_out // lanes, allow_uram)
    bias = Resources()
    if bias_bits:
        bias = memory_resources(bias_bits * coarse_out, neuron_fold, allow_uram)
    input_buffer = Resources()
    if neuron_fold > 1:
        input_buffer = memory_resources(in_bits * coarse_in, synapse_fold, allow_uram, dual_port=True)
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = synapse_fold + mac_latency + IO_LATENCY
    return LayerCost(cycles, depth, mac + weights + bias + input_buffer + control)


def add_cost(*, h: int, w: int, c: int, bits: int = 8, coarse: int = 1, n_inputs: int = 2) -> LayerCost:
    """Elementwise addition of `n_inputs` streams: cycles = H*W*C / coarse.

    The result is bits + ceil(log2(n_inputs)) wide (requantisation is a separate layer).
    """
    _positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 2:
        raise ValueError(f"n_inputs must be an int >= 2, got {n_inputs!r}")
    _divides("coarse", coarse, "C", c)
    levels = _clog2(n_inputs)
    resources = _adders(coarse * (n_inputs - 1), bits + levels) + Resources(
        lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF
    )
    return LayerCost(h * w * c // coarse, levels + IO_LATENCY, resources)


def concat_cost(*, h: int, w: int, channels: Sequence[int], bits: int = 8, coarse: int = 1) -> LayerCost:
    """Channel concatenation: for each pixel, the inputs' channels in turn.

    cycles = H*W*sum(C_i) / coarse; coarse must divide every C_i.  Cost: an
    n-way multiplexer per output bit and the control.
    """
    _positive(h=h, w=w, bits=bits, coarse=coarse)
    channels = list(channels)
    if len(channels) < 1:
        raise ValueError("concat needs at least one input")
    for i, ci in enumerate(channels):
        _positive(**{f"channels[{i}]": ci})
        _divides("coarse", coarse, f"channels[{i}]", ci)
    n = len(channels)
    mux_lut = coarse * bits * -(-(n - 1) // 3) if n > 1 else 0  # a LUT6 is a 4:1 mux
    resources = Resources(lut=mux_lut + SIMPLE_CONTROL_LUT, ff=coarse * bits + SIMPLE_CONTROL_FF)
    return LayerCost(h * w * sum(channels) // coarse, IO_LATENCY, resources)


#: A fork writes every word to all its outputs: a few LUTs of handshake per output.
FORK_LUT, FORK_LUT_PER_OUTPUT, FORK_FF, FORK_FF_PER_OUTPUT = 4, 2, 2, 1


def fork_cost(*, h: int, w: int, c: int, bits: int = 8, coarse: int = 1, n_outputs: int = 2) -> LayerCost:
    """Fan-out of one stream to `n_outputs` consumers: cycles = H*W*C / coarse, tiny logic."""
    _positive(h=h, w=w, c=c, bits=bits, coarse=coarse, n_outputs=n_outputs)
    _divides("coarse", coarse, "C", c)
    resources = Resources(
        lut=FORK_LUT + FORK_LUT_PER_OUTPUT * n_outputs,
        ff=FORK_FF + FORK_FF_PER_OUTPUT * n_outputs,
    )
    return LayerCost(h * w * c // coarse, 1, resources)


def fifo_cost(
    *, h: int, w: int, c: int, depth: int, bits: int = 8, coarse: int = 1, allow_uram: bool = False
) -> LayerCost:
    """A FIFO/buffer of `depth` words, each `coarse` elements of `bits` (see `fifo_resources`)."""
    _positive(h=h, w=w, c=c, depth=depth, bits=bits, coarse=coarse)
    _divides("coarse", coarse, "C", c)
    return LayerCost(h * w * c // coarse, 1, fifo_resources(bits * coarse, depth, allow_uram))


def requantise_cost(
    *,
    h: int,
    w: int,
    c: int,
    acc_bits: int = 32,
    mult_bits: int = 32,
    shift_bits: int = 6,
    out_bits: int = 8,
    coarse: int = 1,
    per_channel: bool = True,
    use_dsp: bool = True,
    allow_uram: bool = False,
    dsp_type: str = "DSP48E2",
) -> LayerCost:
    """Requantisation y = saturate(round((x * m) >> s)) per element.

    cycles = H*W*C / coarse.  One acc_bits x mult_bits multiply per lane: on
    DSPs (`dsp_per_multiply`, 4 for 32x32) or, without `use_dsp`, in LUTs
    (about a*b LUTs).  Then a rounding adder, a barrel shifter (per-channel
    shifts) and a saturating clamp.  Per-channel (m, s) pairs live in a
    memory of C/coarse words per lane.
    """
    _positive(h=h, w=w, c=c, acc_bits=acc_bits, mult_bits=mult_bits, out_bits=out_bits, coarse=coarse)
    _non_negative(shift_bits=shift_bits)
    _dsp_type(dsp_type)
    _divides("coarse", coarse, "C", c)

    product_bits = acc_bits + mult_bits
    if use_dsp:
        per_lane = dsp_per_multiply(acc_bits, mult_bits, dsp_type)
        multiply = Resources(dsp=coarse * per_lane)
        mul_latency = DSP_MULTIPLY_LATENCY + _clog2(per_lane)  # partial products cascade
    else:
        multiply = Resources(lut=coarse * acc_bits * mult_bits * LUT_MULTIPLY_LUT_PER_BIT, ff=coarse * product_bits)
        mul_latency = 2 + _clog2(min(acc_bits, mult_bits))
    rounding = _adders(coarse, product_bits)
    # A variable shift is ceil(shift_bits/2) levels of 4:1 multiplexers (one LUT6 per bit each).
    shifter_levels = -(-shift_bits // 2) if per_channel else 0
    shifter = Resources(lut=coarse * product_bits * shifter_levels)
    clamp = Resources(lut=coarse * 3 * out_bits, ff=coarse * out_bits)  # two compares + a mux
    params = Resources()
    if per_channel:
        params = memory_resources((mult_bits + shift_bits) * coarse, c // coarse, allow_uram)
    control = Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    depth = mul_latency + 1 + (1 if shifter_levels else 0) + 1 + IO_LATENCY
    return LayerCost(h * w * c // coarse, depth, multiply + rounding + shifter + clamp + params + control)


#: Activations computed by a lookup table of 2**bits entries (any function of an int input).
TABLE_ACTIVATIONS = frozenset(
    {
        "table",
        "sigmoid",
        "tanh",
        "silu",
        "swish",
        "hardswish",
        "hardsigmoid",
        "gelu",
        "elu",
        "leaky_relu",
        "leakyrelu",
        "exp",
    }
)
#: Activations that clamp to constant bounds: two comparators and a multiplexer.
CLIP_ACTIVATIONS = frozenset({"clip", "relu6", "hardtanh"})


def activation_cost(
    *,
    h: int,
    w: int,
    c: int,
    bits: int = 8,
    out_bits: int | None = None,
    coarse: int = 1,
    kind: str = "relu",
    allow_uram: bool = False,
) -> LayerCost:
    """An elementwise activation on integers: cycles = H*W*C / coarse.

    relu: one LUT per bit (AND with the inverted sign).  clip/relu6/hardtanh:
    about three LUTs per bit.  Anything else in TABLE_ACTIVATIONS: a ROM of
    2**bits words of out_bits per lane (`memory_resources`; lanes read different
    addresses, so each has its own table).
    """
    _positive(h=h, w=w, c=c, bits=bits, coarse=coarse)
    _divides("coarse", coarse, "C", c)
    out_bits = bits if out_bits is None else out_bits
    _positive(out_bits=out_bits)
    kind = kind.lower()
    if kind == "relu":
        logic, depth = Resources(lut=coarse * bits, ff=coarse * out_bits), 1
    elif kind in CLIP_ACTIVATIONS:
        logic, depth = Resources(lut=coarse * 3 * bits, ff=coarse * out_bits), 2
    elif kind in TABLE_ACTIVATIONS:
        if bits > 16:
            raise ValueError(f"a lookup-table activation needs at most 16 input bits, got {bits}")
        logic = memory_resources(out_bits, 2**bits, allow_uram).scale(coarse) + Resources(ff=coarse * out_bits)
        depth = 2
    else:
        known = sorted({"relu"} | CLIP_ACTIVATIONS | TABLE_ACTIVATIONS)
        raise ValueError(f"unknown activation '{kind}' (known: {', '.join(known)})")
    resources = logic + Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(h * w * c // coarse, depth + IO_LATENCY, resources)


# --------------------------------------------------------------------------------------
# Whole designs
# --------------------------------------------------------------------------------------


def chain_cost(costs: Iterable[LayerCost]) -> LayerCost:
    """Layers one after another: the slowest interval, the summed depth and resources."""
    costs = list(costs)
    if not costs:
        raise ValueError("chain_cost needs at least one layer")
    return LayerCost(
        max(c.cycles for c in costs),
        sum(c.pipeline_depth for c in costs),
        sum((c.resources for c in costs), Resources()),
    )


def fps_from_cycles(cycles: int, clock_mhz: float) -> float:
    """Frames per second of a design whose interval is `cycles` at `clock_mhz`."""
    if cycles <= 0 or clock_mhz <= 0:
        raise ValueError(f"cycles and clock must be positive, got {cycles}, {clock_mhz}")
    return clock_mhz * 1e6 / cycles


def roofline_fps(dsp: int, macs_per_dsp_per_cycle: float, clock_mhz: float, macs_per_frame: int) -> float:
    """The compute roof: dsp * macs_per_dsp_per_cycle * clock / macs_per_frame frames per second.

    `macs_per_dsp_per_cycle` is 1, or 2 with int8 packing on a DSP48E2.
    """
    if dsp < 0 or macs_per_dsp_per_cycle <= 0 or clock_mhz <= 0 or macs_per_frame <= 0:
        raise ValueError(
            f"roofline_fps needs dsp >= 0 and positive rates, got {dsp}, {macs_per_dsp_per_cycle}, "
            f"{clock_mhz}, {macs_per_frame}"
        )
    return dsp * macs_per_dsp_per_cycle * clock_mhz * 1e6 / macs_per_frame


def conv_macs(*, h_out: int, w_out: int, c_in: int, c_out: int, kh: int, kw: int, groups: int = 1) -> int:
    """Multiply-accumulates of one frame of a convolution."""
    _positive(h_out=h_out, w_out=w_out, c_in=c_in, c_out=c_out, kh=kh, kw=kw, groups=groups)
    _divides("groups", groups, "C_in", c_in)
    return h_out * w_out * (c_in // groups) * c_out * kh * kw
