"""The cost interface of the `dataflow` ops, attached from outside the dialect.

Like MLIR's `attachInterface`, the dialect stays free of cost code: this
module keeps a table from op class to a function `(op, ctx) -> LayerCost`
that reads the op's shapes, element bit widths and folding factors and asks
the pure layer models (`layer_models.py`).  Each op owns its model, as each
fpgaConvNet layer does; the search (`select-folding`), the report
(`estimate-resources`, `fpga-report`) and the interpreter (`fpga-sim`) only
ask.

Public API (all documented in docs/cost_model.md, section 8):

* `CostContext`: what a board implies for the models (DSP slice, int8
  packing, whether URAM may be used) plus optional *folding overrides*, so a
  search can cost a folding without rewriting the IR.
* `op_cost(op, ctx) -> LayerCost`: cycles per frame, pipeline depth and
  resources of one op, fused epilogues (requant, skip add, side forward or
  side 1x1 conv, activation) included.  `register_cost_model(OpClass)`
  attaches a model to a new op class; `has_cost_model(op)` asks.
* `op_rate(op) -> (cycles_per_frame, pipeline_depth)`: the board-independent
  rate model the interpreter uses (the same numbers `op_cost` returns).
* `stream_lanes(value, ctx)`: elements per cycle on a stream, set by the
  folding of the op that drives it (`lanes_driver(value)`).
* `folding_space(op)`: the legal values of each folding factor of an op.
* `analyse_network(root, ctx) -> NetworkCost`: a whole design (a module or
  a `func.func`): interval = the slowest op's cycles, latency = the longest
  path of pipeline depths, resources = every op plus every FIFO (explicit
  `dataflow.buffer`s and the default depth-2 stream on every other edge),
  and the bottleneck op.

Bad input that reaches here (an op with no cost model) is an `FpgaOptError`;
everything else was checked by the op verifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from math import gcd

from xdsl.ir import Operation, OpResult, SSAValue

from fpga_opt.backend.costs.layer_models import (
    ADDER_FF_PER_BIT,
    ADDER_LUT_PER_BIT,
    CONTROL_FF,
    CONTROL_LUT,
    DSP_MULTIPLY_LATENCY,
    FLOAT32_ADD_FF,
    FLOAT32_ADD_LATENCY,
    FLOAT32_ADD_LUT,
    FLOAT32_MUL_FF,
    FLOAT32_MUL_LATENCY,
    FLOAT32_MUL_LUT,
    IO_LATENCY,
    SIMPLE_CONTROL_FF,
    SIMPLE_CONTROL_LUT,
    WINDOW_LUT_PER_BIT,
    LayerCost,
    add_cost,
    concat_cost,
    conv_cost,
    fork_cost,
    global_pool_cost,
    linear_cost,
    pool_cost,
)
from fpga_opt.backend.target.boards import DSP48E2, Board
from fpga_opt.backend.target.resources import (
    PACKING_MAX_BITS,
    Resources,
    dsp_for_float32,
    dsp_per_multiply,
    fifo_resources,
    memory_resources,
)
from fpga_opt.dialects.dataflow import (
    ActivationAttr,
    ActivationOp,
    AddOp,
    BufferOp,
    ChannelParallelOp,
    ConcatOp,
    ConditionalBufferOp,
    ConvOp,
    DataflowOp,
    ExitDecisionOp,
    ExitMergeOp,
    ForkOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    RequantAttr,
    RequantizeOp,
    SoftmaxOp,
    StreamType,
    element_bitwidth,
)
from fpga_opt.dialects.errors import FpgaOptError

# --------------------------------------------------------------------------------------
# Constants of the fused parts and the ops the layer library has no model for.
# All are estimates (docs/cost_model.md, section 8); calibrate against synthesis.
# --------------------------------------------------------------------------------------

#: Depth of the `hls::stream` Vitis HLS creates for an edge without a `dataflow.buffer`.
DEFAULT_FIFO_DEPTH = 2
#: Integer accumulators are 32 bits (DESIGN.md: int32 accumulators); so are float values.
ACC_BITS = 32
#: Biases are stored as 32-bit values (the corpus' int8 models carry int32 biases).
BIAS_BITS = 32
#: float32 exponential (Floating-Point Operator, full DSP usage): DSPs, LUT, FF, latency.
FLOAT32_EXP_DSP, FLOAT32_EXP_LUT, FLOAT32_EXP_FF, FLOAT32_EXP_LATENCY = 7, 600, 800, 20
#: float32 divider/reciprocal (Floating-Point Operator, fabric only): LUT, FF, latency.
FLOAT32_DIV_LUT, FLOAT32_DIV_FF, FLOAT32_DIV_LATENCY = 800, 1400, 28
#: float32 comparator (max, clamp): LUT, FF.
FLOAT32_CMP_LUT, FLOAT32_CMP_FF = 40, 32


# --------------------------------------------------------------------------------------
# The context: board-dependent choices and folding overrides
# --------------------------------------------------------------------------------------


@dataclass
class CostContext:
    """What the models need besides the op: the board's DSP slice, int8 packing, URAM.

    `overrides` maps an op to a folding (`{"coarse_in": 4, ...}`) to cost
    instead of the factors written on the op; missing factors keep the op's
    own.  The search sets it, costs, and never touches the IR until the end.
    """

    dsp_type: str = DSP48E2
    packing: bool = True
    allow_uram: bool = False
    overrides: dict[Operation, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def for_board(cls, board: Board) -> CostContext:
        """DSP48E2 boards pack two int8 multiplies per DSP; URAM is used where the board has it."""
        return cls(dsp_type=board.dsp_type, packing=board.int8_packing, allow_uram=board.uram > 0)

    def folding(self, op: Operation) -> dict[str, int]:
        """The op's folding factors, with this context's override applied."""
        own = op.folding() if isinstance(op, DataflowOp) else {}
        override = self.overrides.get(op)
        if override:
            own = {**own, **override}
        return own


#: Rates and depths do not depend on the board; this context stands for "any board".
REFERENCE_CONTEXT = CostContext()

CostFn = Callable[[Operation, CostContext], LayerCost]
_COST_MODELS: dict[type[Operation], CostFn] = {}


def register_cost_model(op_type: type[Operation]) -> Callable[[CostFn], CostFn]:
    """Attach a cost model to an op class (and its subclasses): `@register_cost_model(MyOp)`."""

    def attach(fn: CostFn) -> CostFn:
        _COST_MODELS[op_type] = fn
        return fn

    return attach


def cost_model_for(op: Operation) -> CostFn | None:
    """The cost function of `op`'s class (or the nearest base class that has one)."""
    for cls in type(op).__mro__:
        fn = _COST_MODELS.get(cls)  # type: ignore[arg-type]
        if fn is not None:
            return fn
    return None


def has_cost_model(op: Operation) -> bool:
    return cost_model_for(op) is not None


def op_cost(op: Operation, ctx: CostContext = REFERENCE_CONTEXT) -> LayerCost:
    """Cycles per frame, pipeline depth and resources of one op under `ctx`."""
    fn = cost_model_for(op)
    if fn is None:
        raise FpgaOptError(
            f"no cost model for '{op.name}'{_layer_suffix(op)}: attach one with "
            "fpga_opt.backend.costs.op_costs.register_cost_model"
        )
    return fn(op, ctx)


def op_rate(op: Operation) -> tuple[int, int]:
    """(cycles per frame, pipeline depth) of `op` with the factors written on it.

    Independent of the board: DSP type, packing and URAM change resources
    only.  This is the rate model `fpga-sim` shares with the cost model.
    """
    cost = op_cost(op, REFERENCE_CONTEXT)
    return cost.cycles, cost.pipeline_depth


def layer_name(op: Operation) -> str:
    """The op's `layer` name, or its op name without the dialect."""
    if isinstance(op, DataflowOp):
        return op.layer_name
    return op.name


def _layer_suffix(op: Operation) -> str:
    if isinstance(op, DataflowOp) and op.layer is not None:
        return f' (layer "{op.layer.data}")'
    return ""


# --------------------------------------------------------------------------------------
# Streams: lanes (elements per cycle) and who sets them
# --------------------------------------------------------------------------------------

#: Ops that pass a stream through at their input's width: FIFOs.
PASSTHROUGH_OPS = (BufferOp, ConditionalBufferOp)


def _stream_type(value: SSAValue) -> StreamType:
    t = value.type
    assert isinstance(t, StreamType), f"not a stream: {t}"
    return t


def _bits(t: StreamType) -> int:
    return t.bitwidth


def input_lanes(op: Operation, value: SSAValue, ctx: CostContext = REFERENCE_CONTEXT) -> int:
    """Elements per cycle `op` reads from its operand `value` (at full rate)."""
    f = ctx.folding(op)
    if isinstance(op, ConvOp):
        if op.skip is not None and value is op.skip and op.input is not value:
            return f["coarse_out"] * f["coarse_group"]
        return f["coarse_in"] * f["coarse_group"]
    if isinstance(op, LinearOp):
        return f["coarse_in"]
    if isinstance(op, ChannelParallelOp):
        return f["coarse"]
    return 1


def _upstream_origin(value: SSAValue) -> SSAValue:
    """`value`, or, if a FIFO op produced it, that FIFO's input (repeatedly)."""
    seen: set[SSAValue] = set()
    while isinstance(value, OpResult) and isinstance(value.op, PASSTHROUGH_OPS) and value not in seen:
        seen.add(value)
        value = value.op.operands[0]
    return value


def _downstream_reader(value: SSAValue) -> Operation | None:
    """The first dataflow op reading `value`, looking through FIFO ops."""
    seen: set[SSAValue] = set()
    while value not in seen:
        seen.add(value)
        for use in value.uses:
            user = use.operation
            if isinstance(user, PASSTHROUGH_OPS) and use.index == 0:
                value = user.results[0]
                break
            if isinstance(user, DataflowOp):
                return user
        else:
            return None
    return None


def lanes_driver(value: SSAValue) -> Operation | None:
    """The op whose folding sets how many elements per cycle `value` carries.

    An op result: its producer, looking through FIFOs (`dataflow.buffer`,
    `dataflow.conditional_buffer`) to the op that feeds them.  A function
    argument: its first reader (through FIFOs), since the input is delivered
    as fast as the first layer reads it.  None when no op sets it (1 lane).
    """
    origin = _upstream_origin(value)
    if isinstance(origin, OpResult):
        return origin.op if isinstance(origin.op, DataflowOp) else None
    return _downstream_reader(origin)


def stream_lanes(value: SSAValue, ctx: CostContext = REFERENCE_CONTEXT) -> int:
    """Elements per cycle on stream `value`: the output width of the op that drives it.

    conv: `coarse_out*coarse_group` (its side stream: `coarse_in*coarse_group`
    for a forwarded centre pixel, `coarse_out` for a side 1x1 conv); linear:
    `coarse_out`; channel-parallel ops: `coarse`; FIFOs: their input's lanes;
    a function argument: what its first reader reads per cycle; otherwise 1.
    """
    driver = lanes_driver(value)
    if driver is None:
        return 1
    origin = _upstream_origin(value)
    if isinstance(origin, OpResult) and origin.op is driver:
        return _output_lanes(driver, origin, ctx)
    for operand in driver.operands:
        if _upstream_origin(operand) is origin:
            return input_lanes(driver, operand, ctx)
    return 1


def _output_lanes(op: Operation, result: SSAValue, ctx: CostContext) -> int:
    f = ctx.folding(op)
    if isinstance(op, ConvOp):
        if op.side is not None and result is op.side:
            return f["coarse_in"] * f["coarse_group"] if op.has_forward else f["coarse_out"]
        return f["coarse_out"] * f["coarse_group"]
    if isinstance(op, LinearOp):
        return f["coarse_out"]
    if isinstance(op, ChannelParallelOp):
        return f["coarse"]
    return 1


def _stream_cycles(t: StreamType, lanes: int) -> int:
    return -(-t.numel // lanes)


def fifo_cost(value: SSAValue, depth: int, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """A FIFO of `depth` elements on `value`, one word of `stream_lanes` elements each."""
    if depth <= 0:
        return Resources()
    lanes = stream_lanes(value, ctx)
    t = _stream_type(value)
    return fifo_resources(lanes * _bits(t), -(-depth // lanes), ctx.allow_uram)


# --------------------------------------------------------------------------------------
# Folding spaces
# --------------------------------------------------------------------------------------


def divisors(n: int) -> list[int]:
    """The positive divisors of `n`, ascending."""
    small, large = [], []
    d = 1
    while d * d <= n:
        if n % d == 0:
            small.append(d)
            if d * d != n:
                large.append(n // d)
        d += 1
    return small + large[::-1]


def fine_values(kh: int, kw: int) -> list[int]:
    """`fine` values the HLS flow implements: 1, one kernel row (Kw) or column (Kh), the whole Kh*Kw."""
    return sorted({1, kw, kh, kh * kw})


def folding_space(op: Operation) -> dict[str, list[int]]:
    """The legal values of each folding factor of `op` (empty when it has none).

    conv: coarse_in | C_in/groups, coarse_out | C_out/groups (and | the side
    conv's channels), fine in {1, Kh, Kw, Kh*Kw}, coarse_group | groups;
    linear: coarse_in | H*W*C, coarse_out | N; channel-parallel ops:
    coarse | C (every input's C for concat).
    """
    if isinstance(op, ConvOp):
        inp, out = _stream_type(op.input), _stream_type(op.output)
        g = op.groups.value.data
        co_dim = out.channels // g
        if op.side is not None and not op.has_forward:
            co_dim = gcd(co_dim, _stream_type(op.side).channels)
        kh, kw = op.kernel_size
        return {
            "coarse_in": divisors(inp.channels // g),
            "coarse_out": divisors(co_dim),
            "fine": fine_values(kh, kw),
            "coarse_group": divisors(g),
        }
    if isinstance(op, LinearOp):
        return {
            "coarse_in": divisors(_stream_type(op.input).numel),
            "coarse_out": divisors(_stream_type(op.output).channels),
        }
    if isinstance(op, ConcatOp):
        c = 0
        for v in op.inputs:
            c = gcd(c, _stream_type(v).channels)
        return {"coarse": divisors(c)}
    if isinstance(op, ChannelParallelOp):
        operand = op.operands[0]
        return {"coarse": divisors(_stream_type(operand).channels)}
    return {}


# --------------------------------------------------------------------------------------
# Fused parts shared by several ops
# --------------------------------------------------------------------------------------


def _adders(count: int, bits: int) -> Resources:
    return Resources(lut=count * bits * ADDER_LUT_PER_BIT, ff=count * bits * ADDER_FF_PER_BIT)


def _clog2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


def _is_power_of_two(m: int) -> bool:
    return m > 0 and m & (m - 1) == 0


def requant_part(rq: RequantAttr, in_bits: int, out_bits: int, lanes: int, ctx: CostContext) -> tuple[Resources, int]:
    """A fused `#dataflow.requant` on `lanes` values per cycle: (resources, latency).

    One multiplier and shift for the whole tensor (constants): a power-of-two
    multiplier is wiring, otherwise one `in_bits x bits(m)` DSP multiply per
    lane (`dsp_per_multiply`); then a rounding adder, the constant shift
    (wiring) and a saturating clamp (two comparators and a mux, 3 LUT per
    output bit).  The latency is board-independent (DSP48E2 tiling).
    """
    m = rq.multiplier.data
    res = Resources()
    latency = 0
    product_bits = in_bits
    if not _is_power_of_two(m):
        m_bits = m.bit_length() + 1  # a signed operand
        res += Resources(dsp=lanes * dsp_per_multiply(in_bits, m_bits, ctx.dsp_type))
        latency += DSP_MULTIPLY_LATENCY + _clog2(dsp_per_multiply(in_bits, m_bits, DSP48E2))
        product_bits = in_bits + m_bits
    if rq.shift.data > 0 or rq.zero_point.data != 0:
        res += _adders(lanes, product_bits)
        latency += 1
    res += Resources(lut=lanes * 3 * out_bits, ff=lanes * out_bits)
    return res, latency + 1


def const_multiply_part(m: int, bits: int, lanes: int) -> tuple[Resources, int]:
    """`lanes` multiplies by the integer constant `m`: wiring for 0 and +-2^k, else shift-and-add in LUTs.

    A shift-and-add multiplier needs one adder of `bits + bits(m)` per extra
    set bit of |m| (estimate; synthesis may use CSD recoding and do better).
    """
    a = abs(m)
    if a == 0 or _is_power_of_two(a):
        return Resources(), 0
    width = bits + a.bit_length()
    extra = bin(a).count("1") - 1
    return _adders(lanes * extra, width), _clog2(extra + 1)


def activation_part(act: ActivationAttr, bits: int, lanes: int, is_float: bool) -> tuple[Resources, int]:
    """A fused `#dataflow.act` on `lanes` values per cycle: (resources, latency).

    Integers: relu one LUT per bit, clip three per bit.  Floats: relu/clip
    comparators, leaky_relu a float multiply, sigmoid an exponential, an
    adder and a divider (float32 operator figures, estimates).
    """
    kind = act.kind.data
    if not is_float:
        per_bit = 1 if kind == "relu" else 3
        return Resources(lut=lanes * per_bit * bits, ff=lanes * bits), 1
    if kind in ("relu", "relu6", "clip"):
        n = 1 if kind == "relu" else 2
        return Resources(lut=lanes * n * FLOAT32_CMP_LUT, ff=lanes * FLOAT32_CMP_FF), 1
    if kind == "leaky_relu":
        return (
            Resources(
                dsp=dsp_for_float32(lanes, 0),
                lut=lanes * (FLOAT32_MUL_LUT + FLOAT32_CMP_LUT),
                ff=lanes * FLOAT32_MUL_FF,
            ),
            FLOAT32_MUL_LATENCY + 1,
        )
    # sigmoid: 1 / (1 + exp(-x))
    res = Resources(
        dsp=lanes * FLOAT32_EXP_DSP + dsp_for_float32(0, lanes),
        lut=lanes * (FLOAT32_EXP_LUT + FLOAT32_ADD_LUT + FLOAT32_DIV_LUT),
        ff=lanes * (FLOAT32_EXP_FF + FLOAT32_ADD_FF + FLOAT32_DIV_FF),
    )
    return res, FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY + FLOAT32_DIV_LATENCY


def _float_adders(n: int) -> Resources:
    return Resources(dsp=dsp_for_float32(0, n), lut=n * FLOAT32_ADD_LUT, ff=n * FLOAT32_ADD_FF)


def _epilogue_bits(t: StreamType) -> int:
    return 32 if not t.is_integer else _bits(t)


# --------------------------------------------------------------------------------------
# The op models
# --------------------------------------------------------------------------------------


def _conv_window_args(op: ConvOp | PoolOp) -> dict[str, int]:
    kh, kw = op.kernel.get_values()
    sh, sw = op.stride.get_values()
    pt, pl, pb, pr = op.pad.get_values()
    return {"kh": kh, "kw": kw, "stride_h": sh, "stride_w": sw, "pad_t": pt, "pad_l": pl, "pad_b": pb, "pad_r": pr}


def window_fifo_cost(op: ConvOp | PoolOp, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """The window stream of a conv/pool deepened to its `window_depth` windows (set by `size-fifos`).

    Absent, the stream is the default 2-deep one, counted with the window registers of the layer
    model.  Vitis HLS moves a window as C/lanes tokens of Kh*Kw*lanes elements (the sliding window's
    output stream), so the FIFO is Kh*Kw*lanes*bits wide and window_depth*C/lanes tokens deep; a 1x1
    stride-1 unpadded conv has no sliding window, and its input stream (lanes*bits wide) is deepened.
    """
    depth = op.window_depth
    if depth is None:
        return Resources()
    inp = _stream_type(op.input)
    f = ctx.folding(op)
    lanes = f["coarse_in"] * f["coarse_group"] if isinstance(op, ConvOp) else f["coarse"]
    bits = 32 if not inp.is_integer else _bits(inp)
    kh, kw = op.kernel.get_values()
    pads = op.pad.get_values()
    positions = 1 if (kh == kw == 1 and tuple(op.stride.get_values()) == (1, 1) and not any(pads)) else kh * kw
    return fifo_resources(positions * lanes * bits, depth.value.data * (inp.channels // lanes), ctx.allow_uram)


@register_cost_model(ConvOp)
def conv_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.conv`: `conv_cost` plus the fused epilogue and side output.

    Epilogue on `coarse_out*coarse_group` lanes: bias (in `conv_cost`),
    requant, skip add (constant multiplies by `acc_mult`/`skip_mult`, an
    adder, `skip_requant`), activation.  A forwarded centre pixel costs an
    output register; a side 1x1 conv (`side_weights`) is a second MAC array
    of `coarse_in x coarse_out` multipliers over the same loop, with its own
    weights, partial sums, bias and requant: cycles are the larger of the
    two convs'.
    """
    assert isinstance(op, ConvOp)
    f = ctx.folding(op)
    inp, out = _stream_type(op.input), _stream_type(op.output)
    h_in, w_in, c_in = inp.dims
    is_float = not inp.is_integer
    in_bits = 32 if is_float else _bits(inp)
    weight_bits = 32 if is_float else element_bitwidth(op.weight_type)
    final_requant = op.skip_requant if op.skip is not None else op.requant
    acc_bits = (
        ACC_BITS if is_float or final_requant is not None or op.requant is not None else max(ACC_BITS, _bits(out))
    )
    common = {
        "in_bits": in_bits,
        "weight_bits": weight_bits,
        "acc_bits": acc_bits,
        "packing": ctx.packing,
        "allow_uram": ctx.allow_uram,
        "dsp_type": ctx.dsp_type,
        "float32": is_float,
    }
    base = conv_cost(
        h_in=h_in,
        w_in=w_in,
        c_in=c_in,
        c_out=out.channels,
        groups=op.groups.value.data,
        bias_bits=BIAS_BITS if op.bias is not None else 0,
        coarse_in=f["coarse_in"],
        coarse_out=f["coarse_out"],
        coarse_group=f["coarse_group"],
        fine=f["fine"],
        **_conv_window_args(op),
        **common,
    )
    cycles, depth, res = base.cycles, base.pipeline_depth, base.resources
    lanes = f["coarse_out"] * f["coarse_group"]
    out_bits = _epilogue_bits(out)

    # Epilogue: requant -> skip add (-> skip_requant) -> activation.
    value_bits = acc_bits
    if op.requant is not None:
        r, lat = requant_part(op.requant, acc_bits, out_bits, lanes, ctx)
        res, depth, value_bits = res + r, depth + lat, out_bits
    if op.skip is not None:
        skip_bits = _epilogue_bits(_stream_type(op.skip))
        if is_float:
            r, lat = _float_adders(lanes), FLOAT32_ADD_LATENCY
            sum_bits = 32
        else:
            ra, la = const_multiply_part(op.acc_mult.value.data, value_bits, lanes)
            rs, ls = const_multiply_part(op.skip_mult.value.data, skip_bits, lanes)
            a_bits = value_bits + abs(op.acc_mult.value.data).bit_length() - 1
            s_bits = skip_bits + abs(op.skip_mult.value.data).bit_length() - 1
            sum_bits = max(a_bits, s_bits) + 1
            r, lat = ra + rs + _adders(lanes, sum_bits), max(la, ls) + 1
        res, depth, value_bits = res + r, depth + lat, sum_bits
        if op.skip_requant is not None:
            r, lat = requant_part(op.skip_requant, value_bits, out_bits, lanes, ctx)
            res, depth, value_bits = res + r, depth + lat, out_bits
    if op.activation is not None:
        r, lat = activation_part(op.activation, out_bits, lanes, is_float)
        res, depth = res + r, depth + lat

    if op.side is not None:
        side = _stream_type(op.side)
        if op.has_forward:
            # The centre pixel is already in the window registers: an output register.
            res += Resources(ff=f["coarse_in"] * f["coarse_group"] * in_bits)
        else:
            h_out, w_out = out.height, out.width
            side_cost = conv_cost(
                h_in=h_out,
                w_in=w_out,
                c_in=c_in,
                c_out=side.channels,
                kh=1,
                kw=1,
                bias_bits=BIAS_BITS if op.side_bias is not None else 0,
                coarse_in=f["coarse_in"],
                coarse_out=f["coarse_out"],
                **common,
            )
            # The loop counters and control are shared with the main conv.
            side_res = side_cost.resources
            res += Resources(
                dsp=side_res.dsp,
                bram18=side_res.bram18,
                uram=side_res.uram,
                lut=max(0, side_res.lut - CONTROL_LUT),
                ff=max(0, side_res.ff - CONTROL_FF),
            )
            cycles = max(cycles, side_cost.cycles)
            if op.side_requant is not None:
                r, _ = requant_part(op.side_requant, acc_bits, _epilogue_bits(side), f["coarse_out"], ctx)
                res += r
    cost = LayerCost(cycles, depth, res + window_fifo_cost(op, ctx))
    if op.reuse_factor > 1:
        cost = apply_reuse(op, cost, ctx)
    return cost


# --------------------------------------------------------------------------------------
# Temporal reuse
# --------------------------------------------------------------------------------------


def apply_reuse(op: ConvOp, cost: LayerCost, ctx: CostContext = REFERENCE_CONTEXT) -> LayerCost:
    """The cost of `op` with temporal reuse R = `op.reuse`, from its cost without reuse.

    Each weight word read serves R consecutive output pixels of a row, computed
    side by side: R times the multipliers, adder trees and accumulators, but
    the weight memory is read once per R pixels, so its width and depth do
    not change (reaching the same parallelism with `coarse_out * R` would
    widen it R times).  The R products of one weight share that operand, so
    with int8 packing on DSP48E2 any two of them fill one DSP, even with
    `coarse_out = 1`.  The window registers widen by (R-1)*stride_w columns.
    Compute cycles divide by R; the input term (every input element is read
    once at `coarse_in` per cycle) does not.  The first output waits for
    (R-1)*stride_w more input pixels.
    """
    reuse = op.reuse_factor
    if reuse == 1:
        return cost
    inp, out = _stream_type(op.input), _stream_type(op.output)
    kh, kw = op.kernel_size
    sw = op.stride_size[1]
    f = ctx.folding(op)
    is_float = not inp.is_integer
    in_bits = 32 if is_float else inp.bitwidth
    weight_bits = 32 if is_float else element_bitwidth(op.weight_type)
    in_lanes = f["coarse_in"] * f["coarse_group"]
    groups = op.groups.value.data
    mult_lanes = f["coarse_in"] * f["coarse_out"] * f["coarse_group"] * f["fine"]
    in_cycles = inp.numel // in_lanes
    compute = out.height * out.width * (inp.channels // groups) * out.channels * kh * kw // mult_lanes
    cycles = max(in_cycles, -(-compute // reuse))
    extra_mults = mult_lanes * (reuse - 1)
    if is_float:
        extra = Resources(dsp=dsp_for_float32(extra_mults, extra_mults))
    elif ctx.packing and ctx.dsp_type == "DSP48E2" and max(in_bits, weight_bits) <= PACKING_MAX_BITS:
        per_in_lane = f["coarse_in"] * f["fine"] * f["coarse_group"]
        packed = per_in_lane * -(-(f["coarse_out"] * reuse) // 2)
        extra = Resources(dsp=max(0, packed - cost.resources.dsp))
    else:
        extra = Resources(dsp=extra_mults * dsp_per_multiply(in_bits, weight_bits, ctx.dsp_type))
    extra += _adders(extra_mults, in_bits + weight_bits + 4)
    window_bits = kh * (reuse - 1) * sw * in_lanes * in_bits
    extra += Resources(lut=WINDOW_LUT_PER_BIT * window_bits, ff=window_bits)
    depth = cost.pipeline_depth + (reuse - 1) * sw * inp.channels // in_lanes
    return LayerCost(cycles, depth, cost.resources + extra)


@register_cost_model(LinearOp)
def linear_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.linear`: FINN's MVAU (`linear_cost`) over the H*W*C input vector, plus requant and activation."""
    assert isinstance(op, LinearOp)
    f = ctx.folding(op)
    inp, out = _stream_type(op.input), _stream_type(op.output)
    is_float = not inp.is_integer
    acc_bits = ACC_BITS if is_float or op.requant is not None else max(ACC_BITS, _bits(out))
    base = linear_cost(
        c_in=inp.numel,
        c_out=out.channels,
        in_bits=32 if is_float else _bits(inp),
        weight_bits=32 if is_float else element_bitwidth(op.weight_type),
        acc_bits=acc_bits,
        bias_bits=BIAS_BITS if op.bias is not None else 0,
        coarse_in=f["coarse_in"],
        coarse_out=f["coarse_out"],
        packing=ctx.packing,
        allow_uram=ctx.allow_uram,
        dsp_type=ctx.dsp_type,
        float32=is_float,
    )
    res, depth = base.resources, base.pipeline_depth
    lanes, out_bits = f["coarse_out"], _epilogue_bits(out)
    if op.requant is not None:
        r, lat = requant_part(op.requant, acc_bits, out_bits, lanes, ctx)
        res, depth = res + r, depth + lat
    if op.activation is not None:
        r, lat = activation_part(op.activation, out_bits, lanes, is_float)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)


@register_cost_model(PoolOp)
def pool_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.pool`: `pool_cost`; float averages use float adders; integer averages emit the sum, then requant."""
    assert isinstance(op, PoolOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = _stream_type(op.input), _stream_type(op.output)
    is_float = not inp.is_integer
    bits = 32 if is_float else _bits(inp)
    kind = op.mode.data
    window = _conv_window_args(op)
    base = pool_cost(
        h_in=inp.height,
        w_in=inp.width,
        c=inp.channels,
        bits=bits,
        coarse=coarse,
        kind=kind,
        allow_uram=ctx.allow_uram,
        dsp_type=ctx.dsp_type,
        **window,
    )
    res, depth = base.resources, base.pipeline_depth
    k2 = window["kh"] * window["kw"]
    if is_float and kind == "avg":
        res += _float_adders(coarse * (k2 - 1)) + Resources(
            dsp=dsp_for_float32(coarse, 0), lut=coarse * FLOAT32_MUL_LUT, ff=coarse * FLOAT32_MUL_FF
        )
        depth += _clog2(k2) * FLOAT32_ADD_LATENCY + FLOAT32_MUL_LATENCY
    if op.requant is not None:
        sum_bits = bits + (_clog2(k2) if kind == "avg" else 0)
        r, lat = requant_part(op.requant, sum_bits, _bits(out), coarse, ctx)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res + window_fifo_cost(op, ctx))


@register_cost_model(GlobalPoolOp)
def global_pool_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.global_pool`: `global_pool_cost`; float averages add and scale in float32; then requant."""
    assert isinstance(op, GlobalPoolOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = _stream_type(op.input), _stream_type(op.output)
    is_float = not inp.is_integer
    bits = 32 if is_float else _bits(inp)
    kind = op.mode.data
    base = global_pool_cost(
        h=inp.height,
        w=inp.width,
        c=inp.channels,
        bits=bits,
        coarse=coarse,
        kind=kind,
        allow_uram=ctx.allow_uram,
        dsp_type=ctx.dsp_type,
    )
    res, depth = base.resources, base.pipeline_depth
    if is_float and kind == "avg":
        res += _float_adders(coarse) + Resources(
            dsp=dsp_for_float32(coarse, 0), lut=coarse * FLOAT32_MUL_LUT, ff=coarse * FLOAT32_MUL_FF
        )
        depth += FLOAT32_ADD_LATENCY + FLOAT32_MUL_LATENCY
    if op.requant is not None:
        sum_bits = bits + (_clog2(inp.height * inp.width) if kind == "avg" else 0)
        r, lat = requant_part(op.requant, sum_bits, _bits(out), coarse, ctx)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)


@register_cost_model(AddOp)
def add_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.add`: `add_cost`, constant multiplies by lhs_mult/rhs_mult, requant, activation; float adders on floats."""
    assert isinstance(op, AddOp)
    coarse = ctx.folding(op)["coarse"]
    lhs, rhs, out = _stream_type(op.lhs), _stream_type(op.rhs), _stream_type(op.output)
    h, w, c = out.dims
    if not out.is_integer:
        base = add_cost(h=h, w=w, c=c, bits=32, coarse=coarse)
        res = base.resources + _float_adders(coarse)
        depth = base.pipeline_depth + FLOAT32_ADD_LATENCY
        if op.activation is not None:
            r, lat = activation_part(op.activation, 32, coarse, True)
            res, depth = res + r, depth + lat
        return LayerCost(base.cycles, depth, res)
    lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
    l_bits = _bits(lhs) + abs(lm).bit_length() - 1
    r_bits = _bits(rhs) + abs(rm).bit_length() - 1
    bits = max(l_bits, r_bits)
    base = add_cost(h=h, w=w, c=c, bits=bits, coarse=coarse)
    ra, la = const_multiply_part(lm, _bits(lhs), coarse)
    rb, lb = const_multiply_part(rm, _bits(rhs), coarse)
    res, depth = base.resources + ra + rb, base.pipeline_depth + max(la, lb)
    if op.requant is not None:
        r, lat = requant_part(op.requant, bits + 1, _bits(out), coarse, ctx)
        res, depth = res + r, depth + lat
    if op.activation is not None:
        r, lat = activation_part(op.activation, _bits(out), coarse, False)
        res, depth = res + r, depth + lat
    return LayerCost(base.cycles, depth, res)


@register_cost_model(ConcatOp)
def concat_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.concat`: `concat_cost`."""
    assert isinstance(op, ConcatOp)
    out = _stream_type(op.output)
    return concat_cost(
        h=out.height,
        w=out.width,
        channels=[_stream_type(v).channels for v in op.inputs],
        bits=_bits(out),
        coarse=ctx.folding(op)["coarse"],
    )


@register_cost_model(ForkOp)
def fork_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.fork`: `fork_cost`."""
    assert isinstance(op, ForkOp)
    t = _stream_type(op.input)
    h, w, c = t.dims
    return fork_cost(h=h, w=w, c=c, bits=_bits(t), coarse=ctx.folding(op)["coarse"], n_outputs=len(op.outputs))


@register_cost_model(BufferOp)
def buffer_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.buffer`: a FIFO of `depth` elements as words of the stream's lanes (`fifo_resources`).

    It moves its stream at the width of the op that drives it (`stream_lanes`),
    so it is never slower than its producer.  Depth 0 is a wire.
    """
    assert isinstance(op, BufferOp)
    t = _stream_type(op.input)
    lanes = stream_lanes(op.input, ctx)
    depth = op.depth.value.data
    return LayerCost(_stream_cycles(t, lanes), 1 if depth else 0, fifo_cost(op.input, depth, ctx))


@register_cost_model(RequantizeOp)
def requantize_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.requantize`: `requant_part` on `coarse` lanes, at one word per cycle."""
    assert isinstance(op, RequantizeOp)
    coarse = ctx.folding(op)["coarse"]
    inp, out = _stream_type(op.input), _stream_type(op.output)
    r, lat = requant_part(op.requant, _bits(inp), _bits(out), coarse, ctx)
    res = r + Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(_stream_cycles(inp, coarse), lat + IO_LATENCY, res)


@register_cost_model(ActivationOp)
def activation_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.activation`: `activation_part` on `coarse` lanes."""
    assert isinstance(op, ActivationOp)
    coarse = ctx.folding(op)["coarse"]
    inp = _stream_type(op.input)
    is_float = not inp.is_integer
    r, lat = activation_part(op.activation, 32 if is_float else _bits(inp), coarse, is_float)
    res = r + Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(_stream_cycles(inp, coarse), lat + IO_LATENCY, res)


@register_cost_model(SoftmaxOp)
def softmax_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.softmax` (float): per pixel, max, exp and sum, then scale by the reciprocal.

    Three pipelined stages with a ping-pong buffer of the pixel's C values
    between them: one element per cycle per lane; the first output follows
    two passes over the channels.  Per lane: a comparator, an exponential, an
    adder and a multiplier; one divider computes the reciprocal per pixel.
    """
    assert isinstance(op, SoftmaxOp)
    coarse = ctx.folding(op)["coarse"]
    t = _stream_type(op.input)
    c = t.channels
    words = c // coarse
    buffers = memory_resources(32 * coarse, 2 * words, ctx.allow_uram, dual_port=True).scale(2)
    per_lane = Resources(
        dsp=FLOAT32_EXP_DSP + dsp_for_float32(1, 1),
        lut=FLOAT32_CMP_LUT + FLOAT32_EXP_LUT + FLOAT32_ADD_LUT + FLOAT32_MUL_LUT,
        ff=FLOAT32_CMP_FF + FLOAT32_EXP_FF + FLOAT32_ADD_FF + FLOAT32_MUL_FF,
    ).scale(coarse)
    divider = Resources(lut=FLOAT32_DIV_LUT, ff=FLOAT32_DIV_FF)
    res = buffers + per_lane + divider + Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = (
        2 * words + FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY + FLOAT32_DIV_LATENCY + FLOAT32_MUL_LATENCY + IO_LATENCY
    )
    return LayerCost(_stream_cycles(t, coarse), depth, res)


@register_cost_model(ExitDecisionOp)
def exit_decision_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.exit_decision`: two passes over the N logits (max, then the sum of exp(z - max)).

    One logit per cycle (N cycles per sample, N + pipeline to the decision).
    Integers: the exponential is the rule's table (`ExitDecisionOp.rule()`: at
    most 256 words of EXIT_FRAC_BITS + 1 = 17 bits, `memory_resources`) and the
    sum a 32-bit adder; floats: float32 exponential and adder.
    """
    assert isinstance(op, ExitDecisionOp)
    t = _stream_type(op.input)
    n = t.numel
    bits = _bits(t)
    store = memory_resources(bits, n, ctx.allow_uram, dual_port=True)
    rule = op.rule()
    if rule is not None:
        table = memory_resources(rule.frac_bits + 1, len(rule.table), ctx.allow_uram)
        logic = table + _adders(1, 32) + Resources(lut=2 * bits, ff=bits)
        lat = 4
    else:
        logic = Resources(
            dsp=FLOAT32_EXP_DSP, lut=FLOAT32_EXP_LUT + FLOAT32_CMP_LUT, ff=FLOAT32_EXP_FF
        ) + _float_adders(1)
        lat = FLOAT32_EXP_LATENCY + FLOAT32_ADD_LATENCY
    res = store + logic + Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(n, n + lat + IO_LATENCY, res)


@register_cost_model(ConditionalBufferOp)
def conditional_buffer_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.conditional_buffer`: a FIFO of `depth` elements that drops or forwards each frame."""
    assert isinstance(op, ConditionalBufferOp)
    t = _stream_type(op.input)
    lanes = stream_lanes(op.input, ctx)
    res = fifo_cost(op.input, op.depth.value.data, ctx) + Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(_stream_cycles(t, lanes), 1, res)


@register_cost_model(ExitMergeOp)
def exit_merge_op_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`dataflow.exit_merge`: an N-way multiplexer of result streams, one element per cycle."""
    assert isinstance(op, ExitMergeOp)
    out = _stream_type(op.output)
    n_exits = (len(op.inputs) + 1) // 2
    bits = _bits(out)
    res = Resources(lut=bits * -(-(n_exits - 1) // 3) + SIMPLE_CONTROL_LUT, ff=bits + SIMPLE_CONTROL_FF)
    return LayerCost(out.numel, IO_LATENCY, res)


# --------------------------------------------------------------------------------------
# Whole designs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """A stream between a producer (or a function argument) and one consumer, with its default FIFO."""

    value: SSAValue
    consumer: Operation
    resources: Resources


@dataclass(frozen=True)
class NetworkCost:
    """The cost of a whole design.

    `layers`: every op that has a cost model, in program order, with its
    `LayerCost`.  `fifos`: the default FIFOs on edges without a
    `dataflow.buffer`.  `resources`: layers + fifos.  `interval`: the slowest
    layer's cycles per frame (the design's initiation interval).
    `latency`: the longest path of pipeline depths from an input to an
    output.  `bottleneck`: the (first) slowest layer.
    """

    layers: dict[Operation, LayerCost]
    fifos: tuple[Edge, ...]
    fifo_resources: Resources
    resources: Resources
    interval: int
    latency: int
    bottleneck: Operation | None

    def fps(self, clock_mhz: float) -> float:
        return clock_mhz * 1e6 / self.interval if self.interval else float("inf")

    def utilisation(self, board: Board) -> dict[str, float]:
        return self.resources.utilisation(board)


def design_ops(root: Operation) -> Iterator[Operation]:
    """The ops with a cost model under `root` (a module, a function or one block's parent), in program order."""
    for op in root.walk():
        if op is not root and isinstance(op, DataflowOp):
            yield op


def _edge_uses(values: Iterable[SSAValue]) -> Iterator[tuple[SSAValue, Operation]]:
    for value in values:
        if not isinstance(value.type, StreamType):
            continue
        for use in value.uses:
            yield value, use.operation


def needs_default_fifo(value: SSAValue, consumer: Operation) -> bool:
    """Whether the edge gets an implicit depth-2 stream: not when a FIFO op is at either end."""
    if isinstance(value, OpResult) and isinstance(value.op, PASSTHROUGH_OPS):
        return False
    if isinstance(consumer, PASSTHROUGH_OPS):
        return False
    return True


def default_fifo_cost(value: SSAValue, ctx: CostContext = REFERENCE_CONTEXT) -> Resources:
    """The implicit `DEFAULT_FIFO_DEPTH`-deep stream of `stream_lanes(value)` elements per word."""
    t = _stream_type(value)
    return fifo_resources(stream_lanes(value, ctx) * _bits(t), DEFAULT_FIFO_DEPTH, ctx.allow_uram)


def design_edges(root: Operation) -> list[tuple[SSAValue, Operation]]:
    """Every (stream, consumer) pair under `root` that gets a default FIFO."""
    edges: list[tuple[SSAValue, Operation]] = []
    for op in root.walk():
        if op is root:
            continue
        for region in op.regions:
            for block in region.blocks:
                edges.extend((v, c) for v, c in _edge_uses(block.args) if needs_default_fifo(v, c))
        if isinstance(op, DataflowOp):
            edges.extend((v, c) for v, c in _edge_uses(op.results) if needs_default_fifo(v, c))
    return edges


def longest_path(layers: Mapping[Operation, LayerCost]) -> int:
    """The longest path of pipeline depths through the ops of `layers` (a topological walk).

    SSA order within a block is a topological order, so one walk suffices:
    an op starts when its last operand's producer has produced its first
    output; function arguments are ready at cycle 0.
    """
    ready: dict[SSAValue, int] = {}
    latest = 0
    for op, cost in layers.items():
        start = max((ready.get(v, 0) for v in op.operands), default=0)
        done = start + cost.pipeline_depth
        for r in op.results:
            ready[r] = done
        latest = max(latest, done)
    return latest


def analyse_network(root: Operation, ctx: CostContext = REFERENCE_CONTEXT) -> NetworkCost:
    """Cost the design under `root` (a `builtin.module` of one or more functions, or one `func.func`).

    Several functions in one module are one design: their resources add up
    and the interval is the slowest op of any of them.
    """
    layers = {op: op_cost(op, ctx) for op in design_ops(root)}
    edges = tuple(Edge(v, c, default_fifo_cost(v, ctx)) for v, c in design_edges(root))
    fifo_res = sum((e.resources for e in edges), Resources())
    total = sum((c.resources for c in layers.values()), Resources())
    bottleneck = None
    interval = 0
    for op, cost in layers.items():
        if cost.cycles > interval:
            interval, bottleneck = cost.cycles, op
    return NetworkCost(
        layers=layers,
        fifos=edges,
        fifo_resources=fifo_res,
        resources=total + fifo_res,
        interval=interval,
        latency=longest_path(layers),
        bottleneck=bottleneck,
    )


def macs_per_frame(root: Operation) -> int:
    """Multiply-accumulates of one frame: convs (side 1x1 convs included) and linears."""
    total = 0
    for op in design_ops(root):
        if isinstance(op, ConvOp):
            inp, out = _stream_type(op.input), _stream_type(op.output)
            kh, kw = op.kernel_size
            total += out.height * out.width * (inp.channels // op.groups.value.data) * out.channels * kh * kw
            if op.side is not None and not op.has_forward:
                total += out.height * out.width * inp.channels * _stream_type(op.side).channels
        elif isinstance(op, LinearOp):
            total += _stream_type(op.input).numel * _stream_type(op.output).channels
    return total


__all__ = [
    "ACC_BITS",
    "BIAS_BITS",
    "DEFAULT_FIFO_DEPTH",
    "REFERENCE_CONTEXT",
    "CostContext",
    "CostFn",
    "Edge",
    "NetworkCost",
    "analyse_network",
    "cost_model_for",
    "default_fifo_cost",
    "design_edges",
    "design_ops",
    "divisors",
    "fifo_cost",
    "window_fifo_cost",
    "fine_values",
    "folding_space",
    "has_cost_model",
    "input_lanes",
    "lanes_driver",
    "layer_name",
    "longest_path",
    "macs_per_frame",
    "op_cost",
    "op_rate",
    "register_cost_model",
    "stream_lanes",
]
