"""`lower-dataflow-to-hls`: turn a dataflow network into an `hls.design`.

Every decision about the C++ is made here, so that it can be read in the IR,
tested with FileCheck and changed by a researcher; the emitter only prints.
For each `dataflow` op, in program order:

* **Lanes.**  A stream is as wide as the folding of the op writing it (conv:
  `coarse_out*coarse_group`, its side stream `coarse_in*coarse_group` when
  forwarding the centre pixel, `coarse_out` for a merged 1x1 conv; linear:
  `coarse_out`; channel-wise ops: `coarse`).  A reader that wants another
  width gets a `squeeze` kernel in between.  Input ports are as wide as their
  reader, output ports as their writer (as in backend/costs/op_costs.py).
* **Convolutions** become a `sliding_window` (line buffer; skipped for an
  unpadded 1x1 stride-1 conv) and one `conv*` kernel: `conv`, plus `_skip`
  with a skip input, plus `_fwd` (centre pixel forwarded) or `_merged` (merged
  1x1 conv) with a side output.  Pools become `sliding_window` + `pool`
  (max pooling pads with the lowest value).  Linear layers become `linear`
  (FINN's MVAU), adds `add`, concats a chain of two-input `concat`s, forks
  `fork`; standalone requantise, activation and softmax have kernels of their
  own.  `dataflow.buffer` is no kernel: it deepens the stream it sits on.
* **Fan-out.**  A value read more than once gets a `fork` kernel.
* **Accumulators** are exact: `acc_t` is wide enough for the largest possible
  sum (input range x weight range x terms), so no value ever wraps; the
  epilogue works in 64-bit integers (`epi_t = i64`), and every requant input
  is checked to stay below 2^32 in magnitude so that `x * multiplier` is exact.
* **Weights** are laid out for the kernel: word `a` of a table holds the
  values one cycle reads (`coarse_in*coarse_out*fine*coarse_group` weights of
  a conv, `coarse_in*coarse_out` of a linear), with `ARRAY_RESHAPE` to make it
  one memory word and `BIND_STORAGE` on LUTRAM or BRAM as
  `passes/analysis/resources.memory_resources` chooses (the cost model's
  layout, so its estimates hold).  Biases are 32-bit words (float: f32).
* **FIFO depths.**  Streams get `fifo-depth` tokens; a `dataflow.buffer` of
  `d` elements adds `ceil(d / lanes)` tokens to its stream.  A join (add,
  concat, conv skip input) whose input comes from a fork without passing
  through any kernel that delays it as much as the other branch would
  deadlock the hardware (C simulation cannot see it); with
  `skip-fifo = "frame"` (the default) every join input but the most delayed
  one gets a FIFO holding a whole frame, unless a `dataflow.buffer` already
  sized it (`minimize-residual-buffers` does so tightly).  `skip-fifo =
  "none"` leaves them at `fifo-depth`.

Early-exit ops are lowered by passes/lower_dataflow_to_hls/exits.py (registered in
`EXTRA_LOWERINGS`, with a `DESIGN_FINISHERS` step that gates the stages after
each exit).  Not supported (a one-line error): grouped convs that fold
several groups (`coarse_group > 1`) while also splitting a group's channels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    NoneType,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.errors import FpgaOptError

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

I64_TYPE = IntegerType(64)
F32_BITS = 32


def _int(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _stype(value: SSAValue) -> df.StreamType:
    t = value.type
    assert isinstance(t, df.StreamType)
    return t


def _is_int(t: Attribute) -> bool:
    return isinstance(t, IntegerType)


def _max_abs(t: Attribute) -> int:
    """Largest magnitude of an integer type's values."""
    assert isinstance(t, IntegerType)
    lo, hi = df.int_range(t)
    return max(-lo, hi)


def _bits_for(bound: int) -> int:
    """Signed bits that hold every integer in [-bound, bound]."""
    return max(bound.bit_length() + 1, 2)


def _acc_type(bound: int, what: str) -> IntegerType:
    bits = _bits_for(bound)
    if bits > 64:
        raise FpgaOptError(f"{what}: the exact accumulator needs {bits} bits, more than 64")
    return IntegerType(bits)


_REQUANT_INPUT_LIMIT = 2**32


def _check_requant_input(bound: int, what: str) -> None:
    if bound >= _REQUANT_INPUT_LIMIT:
        raise FpgaOptError(
            f"{what}: values reaching the requant may be as large as {bound} (>= 2^32), so "
            "x * multiplier could overflow 64 bits in the HLS kernel"
        )


def _requant_or_none(rq: df.RequantAttr | None) -> Attribute:
    return rq if rq is not None else NoneType()


def _act_or_none(act: df.ActivationAttr | None) -> Attribute:
    """The activation parameter (an integer clip's bounds are rounded inwards: ceil(lo), floor(hi))."""
    return act if act is not None else NoneType()


def c_identifier(text: str) -> str:
    """A readable C identifier for a layer or port name."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "x"
    if name[0].isdigit():
        name = "l" + name
    return name


class _Names:
    """Unique C identifiers within one design (C++ keywords and library names avoided)."""

    RESERVED = frozenset(
        "auto bool break case char class const continue default delete do double else enum extern float for "
        "goto if inline int long new operator private protected public register return short signed sizeof "
        "static struct switch template this typedef union unsigned using virtual void volatile while hls "
        "fpga_opt std main".split()
    )

    def __init__(self) -> None:
        self.used: set[str] = set()

    def fresh(self, text: str) -> str:
        base = c_identifier(text)
        if base in self.RESERVED:
            base += "_"
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


def _dims_text(t: df.StreamType) -> str:
    return "x".join(map(str, t.dims)) + "x" + str(t.element_type)


# --------------------------------------------------------------------------
# Lanes: what each op reads and writes per token
# --------------------------------------------------------------------------


def _input_lanes(op: Operation, operand_index: int) -> int:
    if isinstance(op, df.ConvOp):
        cg = op.coarse_group.value.data
        if op.skip is not None and operand_index == 1:
            return op.coarse_out.value.data * cg
        return op.coarse_in.value.data * cg
    if isinstance(op, df.LinearOp):
        return op.coarse_in.value.data
    if isinstance(op, df.ChannelParallelOp):
        return op.coarse.value.data
    return 1


def _first_reader_lanes(value: SSAValue) -> int:
    """Lanes of the first reader of `value`, looking through buffers (1 if none)."""
    seen: set[SSAValue] = set()
    while value not in seen:
        seen.add(value)
        uses = sorted(value.uses, key=lambda u: _op_index(u.operation))
        for use in uses:
            user = use.operation
            if isinstance(user, df.BufferOp):
                value = user.output
                break
            if isinstance(user, df.DataflowOp):
                return _input_lanes(user, use.index)
        else:
            return 1
    return 1


def _op_index(op: Operation) -> int:
    block = op.parent_block()
    if block is None:
        return 0
    for i, other in enumerate(block.ops):
        if other is op:
            return i
    return 0


# --------------------------------------------------------------------------
# The lowering
# --------------------------------------------------------------------------

#: op class -> `lower(lowering, op)` for ops lowered outside this module (the early-exit ops:
#: passes/lower_dataflow_to_hls/exits.py); it uses the `_Lowering` helpers (`take`, `produce`, `kernels`, ...).
EXTRA_LOWERINGS: dict[type, Callable[[Any, Operation], None]] = {}
#: `finish(lowering, design)` steps run on every finished `hls.design` (early exits: stage gates).
DESIGN_FINISHERS: list[Callable[[Any, hls.DesignOp], None]] = []


@dataclass
class _Handle:
    """A stream (or port) that carries a dataflow value and is not yet read."""

    value: SSAValue
    lanes: int
    name: str


@dataclass
class _Lowering:
    func_op: func.FuncOp
    opts: LowerDataflowToHlsPass
    board: Any
    names: _Names = field(default_factory=_Names)
    ports: list[Operation] = field(default_factory=list)
    weights: list[Operation] = field(default_factory=list)
    streams: list[hls.StreamOp] = field(default_factory=list)
    kernels: list[Operation] = field(default_factory=list)
    handles: dict[SSAValue, list[_Handle]] = field(default_factory=dict)
    stream_ops: dict[SSAValue, hls.StreamOp] = field(default_factory=dict)
    pending_forks: list[tuple[SSAValue, list[_Handle], df.StreamType, int, str]] = field(default_factory=list)
    return_handles: dict[int, _Handle] = field(default_factory=dict)
    carried: dict[SSAValue, hls.StreamOp] = field(default_factory=dict)
    """The stream that brought each dataflow value to its reader (for FIFO sizing)."""

    # ----- streams and ports ------------------------------------------------

    def new_stream(self, name: str, token: hls.StreamType, tokens: int) -> SSAValue:
        op = hls.StreamOp(self.names.fresh(name), token, depth=self.opts.fifo_depth, tokens=tokens)
        op.result.name_hint = op.stream_name.data
        self.streams.append(op)
        self.stream_ops[op.result] = op
        return op.result

    def pack_type(self, t: df.StreamType, lanes: int) -> hls.StreamType:
        return hls.StreamType([lanes], t.element_type)

    def produce(self, value: SSAValue, lanes: int, base: str) -> SSAValue:
        """The stream the producer of `value` writes: a port, a stream, or a fork's input."""
        t = _stype(value)
        uses = list(value.uses)
        if not uses:
            raise FpgaOptError(f"{base}: result is never read; every stream needs a consumer in hardware")
        if len(uses) == 1:
            return self.sink_for(uses[0], value, lanes, f"{base}_out").value
        sinks = [self.sink_for(use, value, lanes, f"{base}_out{i}") for i, use in enumerate(uses)]
        src = self.new_stream(f"{base}_out", self.pack_type(t, lanes), t.numel // lanes)
        self.pending_forks.append((src, sinks, t, lanes, base))
        return src

    def flush_forks(self) -> None:
        """Emit the forks for values read more than once (right after their producer)."""
        for src, sinks, t, lanes, base in self.pending_forks:
            self.kernels.append(
                hls.KernelOp(
                    "fork",
                    self.names.fresh(f"{base}_fork"),
                    [src],
                    [s.value for s in sinks],
                    {"N": _int(t.numel // lanes)},
                    source=f"fan-out of {base} (implicit fork)",
                )
            )
        self.pending_forks = []

    def sink_for(self, use, value: SSAValue, lanes: int, stream_name: str) -> _Handle:
        """Where one reader of `value` finds it: an output port (func.return) or a new stream."""
        t = _stype(value)
        user = use.operation
        if isinstance(user, func.ReturnOp):
            name = self.output_port_name(use.index)
            port = hls.PortOp(name, "out", t.dims, self.pack_type(t, lanes))
            port.result.name_hint = name
            self.ports.append(port)
            handle = _Handle(port.result, lanes, name)
            self.return_handles[use.index] = handle
            return handle
        stream = self.new_stream(stream_name, self.pack_type(t, lanes), t.numel // lanes)
        handle = _Handle(stream, lanes, self.stream_ops[stream].stream_name.data)
        self.handles.setdefault(value, []).append(handle)
        return handle

    def output_port_name(self, index: int) -> str:
        names = self.func_op.attributes.get("dataflow.output_names")
        text = f"out{index}"
        if isinstance(names, ArrayAttr) and index < len(names.data) and isinstance(names.data[index], StringAttr):
            text = names.data[index].data
        return self.names.fresh(text)

    def take(self, value: SSAValue, lanes: int, reader: str) -> SSAValue:
        """A stream carrying `value` with `lanes` lanes for one reader (adds a squeeze if needed)."""
        available = self.handles.get(value)
        if not available:
            raise FpgaOptError(f"{reader}: reads a value with no stream left (internal error: read twice?)")
        handle = available.pop(0)
        if handle.value in self.stream_ops:
            self.carried[value] = self.stream_ops[handle.value]
        if handle.lanes == lanes:
            return handle.value
        t = _stype(value)
        out = self.new_stream(f"{reader}_in", self.pack_type(t, lanes), t.numel // lanes)
        self.kernels.append(
            hls.KernelOp(
                "squeeze",
                self.names.fresh(f"{reader}_squeeze"),
                [handle.value],
                [out],
                {
                    "T": t.element_type,
                    "NUM": _int(t.numel),
                    "IL": _int(handle.lanes),
                    "OL": _int(lanes),
                    "GCD": _int(math.gcd(handle.lanes, lanes)),
                },
                source=f"{handle.lanes} -> {lanes} lanes for {reader}",
            )
        )
        return out

    # ----- weights ------------------------------------------------------------

    def table(
        self,
        name: str,
        source: str,
        element: Attribute,
        source_shape: Sequence[int],
        view: Sequence[int],
        permutation: Sequence[int],
        shape: Sequence[int],
    ) -> str:
        from fpga_opt.backend.target.resources import memory_resources

        sym = self.names.fresh(name)
        words, lanes = shape
        bits = df.element_bitwidth(element)
        mem = memory_resources(bits * lanes, words, allow_uram=False)
        storage = "bram" if mem.bram18 else "lutram"
        pragmas = ["ARRAY_RESHAPE complete dim=2", f"BIND_STORAGE type=rom_1p impl={storage}"]
        self.weights.append(
            hls.WeightsOp(
                sym,
                source=source,
                element=element,
                source_shape=source_shape,
                view=view,
                permutation=permutation,
                shape=shape,
                storage=storage,
                pragmas=pragmas,
            )
        )
        return sym

    def bias_element(self, integer: bool) -> Attribute:
        return IntegerType(32) if integer else _f32()

    # ----- the walk -------------------------------------------------------------

    def run(self) -> hls.DesignOp:
        block = self.func_op.body.block
        for i, arg in enumerate(block.args):
            t = arg.type
            if not isinstance(t, df.StreamType):
                raise FpgaOptError(f"@{self.func_op.sym_name.data}: argument {i} is {t}, not a !dataflow.stream")
            names = self.func_op.attributes.get("dataflow.input_names")
            text = f"in{i}"
            if isinstance(names, ArrayAttr) and i < len(names.data) and isinstance(names.data[i], StringAttr):
                text = names.data[i].data
            lanes = _first_reader_lanes(arg)
            name = self.names.fresh(text)
            port = hls.PortOp(name, "in", t.dims, self.pack_type(t, lanes))
            port.result.name_hint = name
            self.ports.append(port)
            uses = list(arg.uses)
            if any(isinstance(u.operation, func.ReturnOp) for u in uses):
                raise FpgaOptError(
                    f"@{self.func_op.sym_name.data}: input '{text}' is returned unchanged; nothing to build"
                )
            if len(uses) == 1:
                self.handles[arg] = [_Handle(port.result, lanes, name)]
            elif uses:
                sinks = [self.sink_for(u, arg, lanes, f"{name}_out{j}") for j, u in enumerate(uses)]
                self.pending_forks.append((port.result, sinks, t, lanes, name))
                self.flush_forks()
        for op in block.ops:
            if isinstance(op, func.ReturnOp):
                continue
            self.lower_op(op)
            self.flush_forks()
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        design = hls.DesignOp(
            c_identifier(self.func_op.sym_name.data),
            part=self.board.part,
            clock_mhz=self.opts.resolved_clock(self.func_op, self.board),
            board=self.board.name,
            body=[*self.input_ports(), *self.output_ports_in_order(ret), *self.weights, *self.streams, *self.kernels],
        )
        for finish in DESIGN_FINISHERS:
            finish(self, design)
        return design

    def input_ports(self) -> list[Operation]:
        return [p for p in self.ports if isinstance(p, hls.PortOp) and p.direction.data == "in"]

    def output_ports_in_order(self, ret: func.ReturnOp) -> list[Operation]:
        order = [self.return_handles[i].value.owner for i in range(len(ret.operands))]
        return order  # type: ignore[return-value]

    def lower_op(self, op: Operation) -> None:
        if isinstance(op, df.BufferOp):
            self.lower_buffer(op)
            return
        if not isinstance(op, df.DataflowOp):
            raise FpgaOptError(f"'{op.name}': not a dataflow op; only dataflow networks lower to HLS")
        lower = {
            df.ConvOp: self.lower_conv,
            df.LinearOp: self.lower_linear,
            df.PoolOp: self.lower_pool,
            df.GlobalPoolOp: self.lower_global_pool,
            df.AddOp: self.lower_add,
            df.ConcatOp: self.lower_concat,
            df.ForkOp: self.lower_fork,
            df.RequantizeOp: self.lower_requantize,
            df.ActivationOp: self.lower_activation,
            df.SoftmaxOp: self.lower_softmax,
        }.get(type(op))
        if lower is None:
            extra = EXTRA_LOWERINGS.get(type(op))
            if extra is None:
                raise FpgaOptError(f"{_who(op)}: HLS emission does not support '{op.name}' yet")
            extra(self, op)
            return
        lower(op)

    # ----- ops ----------------------------------------------------------------

    def lower_buffer(self, op: df.BufferOp) -> None:
        """A buffer deepens the stream it sits on; no kernel."""
        src = self.handles.get(op.input)
        if not src:
            raise FpgaOptError(f"{_who(op)}: input has no stream")
        handle = src.pop(0)
        depth = op.depth.value.data
        stream = self.stream_ops.get(handle.value)
        if stream is None:
            # A buffer right after an input port: give it a stream and a copy kernel? Not needed:
            # the port itself is the FIFO's input; add a stream via a squeeze-free copy.
            raise FpgaOptError(f"{_who(op)}: a buffer directly on an input port is not supported; buffer after a layer")
        extra = -(-depth // handle.lanes)
        stream.depth = _int(stream.depth.value.data + extra)
        stream.attributes["explicit_buffer"] = _int(1)
        # The buffer's result is carried by the same stream; if it is read more than once, fork it.
        uses = list(op.output.uses)
        if len(uses) == 1 and not isinstance(uses[0].operation, func.ReturnOp):
            self.handles[op.output] = [handle]
            return
        t = _stype(op.output)
        sinks = [self.sink_for(u, op.output, handle.lanes, f"{self.layer(op)}_out{i}") for i, u in enumerate(uses)]
        self.carried[op.input] = stream
        self.kernels.append(
            hls.KernelOp(
                "fork",
                self.names.fresh(f"{self.layer(op)}_fork"),
                [handle.value],
                [s.value for s in sinks],
                {"N": _int(t.numel // handle.lanes)},
                source=f"{op.name} '{op.layer_name}' feeding {len(uses)} reader(s)",
            )
        )

    def layer(self, op: df.DataflowOp) -> str:
        return c_identifier(op.layer_name)

    def source(self, op: df.DataflowOp) -> str:
        ins = ", ".join(_dims_text(_stype(v)) for v in op.operands)
        outs = ", ".join(_dims_text(_stype(v)) for v in op.results)
        return f"{op.name} '{op.layer_name}': {ins} -> {outs}"

    def lower_conv(self, op: df.ConvOp) -> None:
        name = self.layer(op)
        inp, out = _stype(op.input), _stype(op.output)
        integer = inp.is_integer
        kh, kw = op.kernel_size
        sh, sw = op.stride.get_values()
        pt, pl, pb, pr = op.pad.get_values()
        groups = op.groups.value.data
        ci, co = op.coarse_in.value.data, op.coarse_out.value.data
        fine, cg = op.fine.value.data, op.coarse_group.value.data
        cin_g, cout_g = inp.channels // groups, out.channels // groups
        if op.reuse_factor > 1:
            raise FpgaOptError(
                f"{_who(op)}: temporal reuse (reuse = {op.reuse_factor}) has no HLS conv kernel yet; "
                "run merge-loops without reuse for HLS emission"
            )
        if cg > 1 and (ci != cin_g or co != cout_g):
            raise FpgaOptError(
                f"{_who(op)}: coarse_group = {cg} needs coarse_in = C_in/groups ({cin_g}) and coarse_out = "
                f"C_out/groups ({cout_g}) in the HLS conv kernel (channels of parallel groups must be contiguous)"
            )
        side_kind = None
        if op.side is not None:
            side_kind = "forward" if op.side_weights is None else "merged"
            if side_kind == "merged" and groups != 1:
                raise FpgaOptError(f"{_who(op)}: a merged 1x1 side conv needs groups = 1, got {groups}")
        in_lanes, out_lanes = ci * cg, co * cg
        x = self.take(op.input, in_lanes, name)
        oh, ow = out.height, out.width
        kp = kh * kw
        needs_window = not (kh == kw == 1 and sh == sw == 1 and max(pt, pl, pb, pr) == 0)
        if needs_window:
            win = self.new_stream(
                f"{name}_win", hls.StreamType([kp, in_lanes], inp.element_type), oh * ow * inp.channels // in_lanes
            )
            self.kernels.append(
                self.sliding_window(
                    f"{name}_swg", x, win, inp, (kh, kw), (sh, sw), (pt, pl, pb, pr), in_lanes, False, op
                )
            )
            x = win
        self.window_depth(op, x, inp.channels // in_lanes)
        ins = [x]
        skip_t: Attribute = inp.element_type
        if op.skip is not None:
            ins.append(self.take(op.skip, out_lanes, name))
            skip_t = _stype(op.skip).element_type
        outs = [self.produce(op.output, out_lanes, name)]
        side_t: Attribute = inp.element_type
        c_side = 0
        if op.side is not None:
            side = _stype(op.side)
            side_lanes = in_lanes if side_kind == "forward" else co
            outs.append(self.produce(op.side, side_lanes, f"{name}_side"))
            side_t, c_side = side.element_type, side.channels

        # Weight layout: word ((G*NK + k)*NJ + j)*NF + f holds [gi][o][p][i].
        ng, nk, nj, nf = groups // cg, cin_g // ci, cout_g // co, kp // fine
        w = self.table(
            f"{name}_w",
            op.weights.data,
            op.weight_type,
            [out.channels, cin_g, kh, kw],
            [ng, cg, nj, co, nk, ci, nf, fine],
            [0, 4, 2, 6, 1, 3, 7, 5],
            [ng * nk * nj * nf, cg * co * fine * ci],
        )
        tables: list[str | None] = [w, None]
        if op.bias is not None:
            tables[1] = self.table(
                f"{name}_b",
                op.bias.data,
                self.bias_element(integer),
                [out.channels],
                [ng, cg, nj, co],
                [0, 2, 1, 3],
                [ng * nj, cg * co],
            )
        side_acc_t: Attribute = I64_TYPE if integer else _f32()
        if side_kind == "merged":
            assert op.side_weights is not None
            nsj = c_side // co
            tables.append(
                self.table(
                    f"{name}_sw",
                    op.side_weights.data,
                    op.weight_type,
                    [c_side, inp.channels, 1, 1],
                    [nsj, co, nk, ci],
                    [2, 0, 1, 3],
                    [nk * nsj, co * ci],
                )
            )
            tables.append(
                self.table(
                    f"{name}_sb", op.side_bias.data, self.bias_element(integer), [c_side], [nsj, co], [0, 1], [nsj, co]
                )
                if op.side_bias is not None
                else None
            )
            if integer:
                bound = inp.channels * _max_abs(inp.element_type) * _max_abs(op.weight_type)
                side_acc_t = _acc_type(bound, _who(op))
                if op.side_requant is not None:
                    _check_requant_input(bound + 2**31, f"{_who(op)} side conv")

        if integer:
            acc_bound = cin_g * kp * _max_abs(inp.element_type) * _max_abs(op.weight_type)
            acc_t: Attribute = _acc_type(acc_bound, _who(op))
            epi_t: Attribute = I64_TYPE
            value_bound = acc_bound + (2**31 if op.bias is not None else 0)
            if op.requant is not None:
                _check_requant_input(value_bound, _who(op))
                lo, hi = op.requant.min.data, op.requant.max.data
            else:
                lo, hi = -value_bound, value_bound
            if op.skip is not None:
                skip_bound = _max_abs(skip_t) if isinstance(skip_t, IntegerType) else 0
                sum_bound = max(abs(lo), abs(hi)) * abs(op.acc_mult.value.data) + skip_bound * abs(
                    op.skip_mult.value.data
                )
                if op.skip_requant is not None:
                    _check_requant_input(sum_bound, f"{_who(op)} skip epilogue")
        else:
            acc_t = epi_t = _f32()
        params: dict[str, Attribute] = {
            "in_t": inp.element_type,
            "out_t": out.element_type,
            "acc_t": acc_t,
            "epi_t": epi_t,
            "skip_t": skip_t,
            "side_t": side_t,
            "side_acc_t": side_acc_t,
            "rq_t": _requant_or_none(op.requant),
            "skip_rq_t": _requant_or_none(op.skip_requant),
            "side_rq_t": _requant_or_none(op.side_requant),
            "OH": _int(oh),
            "OW": _int(ow),
            "KP": _int(kp if needs_window else 1),
            "CENTRE": _int((kh // 2) * kw + kw // 2 if needs_window else 0),
            "GROUPS": _int(groups),
            "CG": _int(cg),
            "CIN_G": _int(cin_g),
            "CI": _int(ci),
            "COUT_G": _int(cout_g),
            "CO": _int(co),
            "FINE": _int(fine),
            "HAS_SKIP": _int(1 if op.skip is not None else 0),
            "ACC_MULT": _int(op.acc_mult.value.data),
            "SKIP_MULT": _int(op.skip_mult.value.data),
            "SIDE": _int({None: 0, "forward": 1, "merged": 2}[side_kind]),
            "C_SIDE": _int(c_side),
            "act": _act_or_none(op.activation),
        }
        kernel = (
            "conv"
            + ("_skip" if op.skip is not None else "")
            + {None: "", "forward": "_fwd", "merged": "_merged"}[side_kind]
        )
        self.kernels.append(
            hls.KernelOp(kernel, self.names.fresh(name), ins, outs, params, tables=tables, source=self.source(op))
        )

    def window_depth(self, op: df.ConvOp | df.PoolOp, stream: SSAValue, tokens_per_window: int) -> None:
        """`window_depth` (set by size-fifos): the stream into the compute kernel holds that many windows
        (C/lanes tokens each; without a sliding window, pixels of the input stream)."""
        stream_op = self.stream_ops.get(stream)
        if op.window_depth is None or stream_op is None:
            return
        depth = max(stream_op.depth.value.data, op.window_depth.value.data * tokens_per_window)
        stream_op.depth = _int(depth)

    def sliding_window(
        self,
        inst: str,
        x: SSAValue,
        win: SSAValue,
        inp: df.StreamType,
        kernel: tuple[int, int],
        stride: Sequence[int],
        pad: Sequence[int],
        lanes: int,
        pad_lowest: bool,
        op: df.DataflowOp,
    ) -> hls.KernelOp:
        h, w, c = inp.dims
        kh, kw = kernel
        sh, sw = stride
        pt, pl, pb, pr = pad
        params = {
            "in_t": inp.element_type,
            **{
                k: _int(v)
                for k, v in dict(
                    H=h,
                    W=w,
                    C=c,
                    KH=kh,
                    KW=kw,
                    SH=sh,
                    SW=sw,
                    PT=pt,
                    PL=pl,
                    PB=pb,
                    PR=pr,
                    L=lanes,
                    PAD_LOWEST=int(pad_lowest),
                ).items()
            },
        }
        return hls.KernelOp(
            "sliding_window", self.names.fresh(inst), [x], [win], params, source=f"line buffer of {self.source(op)}"
        )

    def lower_pool(self, op: df.PoolOp) -> None:
        name = self.layer(op)
        inp, out = _stype(op.input), _stype(op.output)
        lanes = op.coarse.value.data
        kh, kw = op.kernel.get_values()
        is_max = op.mode.data == "max"
        x = self.take(op.input, lanes, name)
        kp = kh * kw
        win = self.new_stream(
            f"{name}_win", hls.StreamType([kp, lanes], inp.element_type), out.height * out.width * inp.channels // lanes
        )
        self.kernels.append(
            self.sliding_window(
                f"{name}_swg", x, win, inp, (kh, kw), op.stride.get_values(), op.pad.get_values(), lanes, is_max, op
            )
        )
        self.window_depth(op, win, inp.channels // lanes)
        y = self.produce(op.output, lanes, name)
        acc_t, epi_t = self.pool_types(op, inp, kp)
        params = {
            "in_t": inp.element_type,
            "out_t": out.element_type,
            "acc_t": acc_t,
            "epi_t": epi_t,
            "rq_t": _requant_or_none(op.requant),
            "OH": _int(out.height),
            "OW": _int(out.width),
            "C": _int(inp.channels),
            "L": _int(lanes),
            "KP": _int(kp),
            "MODE": _int(0 if is_max else 1),
        }
        self.kernels.append(hls.KernelOp("pool", self.names.fresh(name), [win], [y], params, source=self.source(op)))

    def pool_types(self, op: df.DataflowOp, inp: df.StreamType, count: int) -> tuple[Attribute, Attribute]:
        if not inp.is_integer:
            return _f32(), _f32()
        if op.mode.data == "max":  # type: ignore[attr-defined]
            return inp.element_type, I64_TYPE
        bound = count * _max_abs(inp.element_type)
        if op.requant is not None:  # type: ignore[attr-defined]
            _check_requant_input(bound, _who(op))
        return _acc_type(bound, _who(op)), I64_TYPE

    def lower_global_pool(self, op: df.GlobalPoolOp) -> None:
        name = self.layer(op)
        inp, out = _stype(op.input), _stype(op.output)
        lanes = op.coarse.value.data
        x = self.take(op.input, lanes, name)
        y = self.produce(op.output, lanes, name)
        pix = inp.height * inp.width
        acc_t, epi_t = self.pool_types(op, inp, pix)
        params = {
            "in_t": inp.element_type,
            "out_t": out.element_type,
            "acc_t": acc_t,
            "epi_t": epi_t,
            "rq_t": _requant_or_none(op.requant),
            "PIX": _int(pix),
            "C": _int(inp.channels),
            "L": _int(lanes),
            "MODE": _int(0 if op.mode.data == "max" else 1),
        }
        self.kernels.append(
            hls.KernelOp("global_pool", self.names.fresh(name), [x], [y], params, source=self.source(op))
        )

    def lower_linear(self, op: df.LinearOp) -> None:
        name = self.layer(op)
        inp, out = _stype(op.input), _stype(op.output)
        integer = inp.is_integer
        ci, co = op.coarse_in.value.data, op.coarse_out.value.data
        nin, nout = inp.numel, out.channels
        x = self.take(op.input, ci, name)
        y = self.produce(op.output, co, name)
        nsf, nnf = nin // ci, nout // co
        w = self.table(
            f"{name}_w",
            op.weights.data,
            op.weight_type,
            [nout, nin],
            [nnf, co, nsf, ci],
            [0, 2, 1, 3],
            [nnf * nsf, co * ci],
        )
        b = None
        if op.bias is not None:
            b = self.table(f"{name}_b", op.bias.data, self.bias_element(integer), [nout], [nnf, co], [0, 1], [nnf, co])
        if integer:
            bound = nin * _max_abs(inp.element_type) * _max_abs(op.weight_type)
            acc_t: Attribute = _acc_type(bound, _who(op))
            epi_t: Attribute = I64_TYPE
            if op.requant is not None:
                _check_requant_input(bound + (2**31 if b else 0), _who(op))
        else:
            acc_t = epi_t = _f32()
        params = {
            "in_t": inp.element_type,
            "out_t": out.element_type,
            "acc_t": acc_t,
            "epi_t": epi_t,
            "rq_t": _requant_or_none(op.requant),
            "NIN": _int(nin),
            "NOUT": _int(nout),
            "CI": _int(ci),
            "CO": _int(co),
            "act": _act_or_none(op.activation),
        }
        self.kernels.append(
            hls.KernelOp("linear", self.names.fresh(name), [x], [y], params, tables=[w, b], source=self.source(op))
        )

    def lower_add(self, op: df.AddOp) -> None:
        name = self.layer(op)
        lhs, rhs, out = _stype(op.lhs), _stype(op.rhs), _stype(op.output)
        lanes = op.coarse.value.data
        a = self.take(op.lhs, lanes, name)
        b = self.take(op.rhs, lanes, name)
        y = self.produce(op.output, lanes, name)
        integer = out.is_integer
        lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
        if integer:
            bound = _max_abs(lhs.element_type) * abs(lm) + _max_abs(rhs.element_type) * abs(rm)
            if op.requant is not None:
                _check_requant_input(bound, _who(op))
        params = {
            "lhs_t": lhs.element_type,
            "rhs_t": rhs.element_type,
            "out_t": out.element_type,
            "epi_t": I64_TYPE if integer else _f32(),
            "rq_t": _requant_or_none(op.requant),
            "N": _int(out.numel // lanes),
            "L": _int(lanes),
            "LHS_MULT": _int(lm),
            "RHS_MULT": _int(rm),
            "act": _act_or_none(op.activation),
        }
        self.kernels.append(hls.KernelOp("add", self.names.fresh(name), [a, b], [y], params, source=self.source(op)))

    def lower_concat(self, op: df.ConcatOp) -> None:
        name = self.layer(op)
        out = _stype(op.output)
        lanes = op.coarse.value.data
        parts = [(self.take(v, lanes, name), _stype(v).channels) for v in op.inputs]
        pix = out.height * out.width
        acc, acc_c = parts[0]
        for i, (nxt, c) in enumerate(parts[1:], start=1):
            last = i == len(parts) - 1
            total = acc_c + c
            if last:
                dst = self.produce(op.output, lanes, name)
            else:
                dst = self.new_stream(
                    f"{name}_part{i}_out", hls.StreamType([lanes], out.element_type), pix * total // lanes
                )
            params = {"T": out.element_type, "PIX": _int(pix), "C0": _int(acc_c), "C1": _int(c), "L": _int(lanes)}
            inst = self.names.fresh(name if last else f"{name}_part{i}")
            self.kernels.append(hls.KernelOp("concat", inst, [acc, nxt], [dst], params, source=self.source(op)))
            acc, acc_c = dst, total

    def lower_fork(self, op: df.ForkOp) -> None:
        name = self.layer(op)
        t = _stype(op.input)
        lanes = op.coarse.value.data
        x = self.take(op.input, lanes, name)
        outs = [self.produce(r, lanes, f"{name}_{i}") for i, r in enumerate(op.outputs)]
        self.kernels.append(
            hls.KernelOp(
                "fork", self.names.fresh(name), [x], outs, {"N": _int(t.numel // lanes)}, source=self.source(op)
            )
        )

    def lower_requantize(self, op: df.RequantizeOp) -> None:
        name = self.layer(op)
        inp, out = _stype(op.input), _stype(op.output)
        lanes = op.coarse.value.data
        if inp.bitwidth > 32:
            raise FpgaOptError(f"{_who(op)}: requantising {inp.element_type} values needs more than a 64-bit product")
        x = self.take(op.input, lanes, name)
        y = self.produce(op.output, lanes, name)
        params = {
            "in_t": inp.element_type,
            "out_t": out.element_type,
            "rq_t": op.requant,
            "N": _int(inp.numel // lanes),
            "L": _int(lanes),
        }
        self.kernels.append(
            hls.KernelOp("requantize", self.names.fresh(name), [x], [y], params, source=self.source(op))
        )

    def lower_activation(self, op: df.ActivationOp) -> None:
        name = self.layer(op)
        inp = _stype(op.input)
        lanes = op.coarse.value.data
        x = self.take(op.input, lanes, name)
        y = self.produce(op.output, lanes, name)
        params = {
            "in_t": inp.element_type,
            "epi_t": I64_TYPE if inp.is_integer else _f32(),
            "N": _int(inp.numel // lanes),
            "L": _int(lanes),
            "act": _act_or_none(op.activation),
        }
        self.kernels.append(
            hls.KernelOp("activation", self.names.fresh(name), [x], [y], params, source=self.source(op))
        )

    def lower_softmax(self, op: df.SoftmaxOp) -> None:
        name = self.layer(op)
        inp = _stype(op.input)
        if df.element_bitwidth(inp.element_type) != F32_BITS:
            raise FpgaOptError(f"{_who(op)}: the HLS softmax kernel computes in f32, got {inp.element_type}")
        lanes = op.coarse.value.data
        x = self.take(op.input, lanes, name)
        y = self.produce(op.output, lanes, name)
        params = {
            "in_t": inp.element_type,
            "PIX": _int(inp.height * inp.width),
            "C": _int(inp.channels),
            "L": _int(lanes),
        }
        self.kernels.append(hls.KernelOp("softmax", self.names.fresh(name), [x], [y], params, source=self.source(op)))


def _f32() -> Attribute:
    from xdsl.dialects.builtin import f32

    return f32


def _who(op: Operation) -> str:
    if isinstance(op, df.DataflowOp) and op.layer is not None:
        return f"'{op.name}' op \"{op.layer.data}\""
    return f"'{op.name}' op"


# --------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LowerDataflowToHlsPass(ModulePass):
    """Lower a dataflow network to an hls.design: kernel instances, streams with depths, weight tables, ports.

    Options are the decisions a researcher may want to change; everything
    else follows from the dataflow ops' properties (see the module docstring).
    """

    name = "lower-dataflow-to-hls"

    board: str = ""
    """Target board (name or .toml file) for the part number and default clock; default: the module's dataflow.board, else kv260."""

    clock_mhz: int | float = 0
    """Target clock in MHz; 0 means the module's dataflow.clock_mhz, else the board's clock."""

    fifo_depth: int = 2
    """Depth in tokens of every stream between kernels (a dataflow.buffer adds to it)."""

    skip_fifo: str = "frame"
    """FIFOs on join inputs fed from a fork: "frame" (deadlock-free, whole frame) or "none" (fifo-depth)."""

    def resolved_board(self, module: ModuleOp):
        from fpga_opt.backend.target.boards import resolve_board

        spec = self.board
        if not spec:
            attr = module.attributes.get("dataflow.board")
            spec = attr.data if isinstance(attr, StringAttr) else "kv260"
        return resolve_board(spec)

    def resolved_clock(self, func_op: func.FuncOp, board) -> float:
        if self.clock_mhz > 0:
            return self.clock_mhz
        module = func_op.parent_op()
        attr = module.attributes.get("dataflow.clock_mhz") if module is not None else None
        if isinstance(attr, FloatAttr | IntegerAttr):
            return float(attr.value.data)
        return float(board.clock_mhz)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.fifo_depth < 1:
            raise FpgaOptError(f"lower-dataflow-to-hls: fifo-depth must be >= 1, got {self.fifo_depth}")
        if self.skip_fifo not in ("frame", "none"):
            raise FpgaOptError(f'lower-dataflow-to-hls: skip-fifo must be "frame" or "none", got "{self.skip_fifo}"')
        board = self.resolved_board(op)  # an unknown board is reported before any rewriting
        funcs = [o for o in op.body.block.ops if isinstance(o, func.FuncOp)]
        if any(isinstance(o, hls.DesignOp) for o in op.body.block.ops) and not funcs:
            return  # already lowered
        if len(funcs) != 1:
            raise FpgaOptError(f"lower-dataflow-to-hls: expected one func.func (the network), found {len(funcs)}")
        func_op = funcs[0]
        lowering = _Lowering(func_op, self, board)
        design = lowering.run()
        if self.skip_fifo == "frame":
            _size_join_fifos(func_op, lowering)
        func_op.detach()
        op.body.block.add_op(design)
        func_op.erase()


def _size_join_fifos(func_op: func.FuncOp, lowering: _Lowering) -> None:
    """Deepen the FIFOs of join inputs that come from a fork on the less delayed branch."""
    # Delay of each dataflow value since its nearest fork, in elements of that fork's stream
    # (a sliding window holds (Kh-1) padded rows plus Kw-1 pixels before its first output).
    delay: dict[SSAValue, int] = {}
    origin: dict[SSAValue, SSAValue | None] = {}
    for arg in func_op.body.block.args:
        delay[arg], origin[arg] = 0, None
    for op in func_op.body.block.ops:
        if isinstance(op, df.ForkOp):
            for r in op.outputs:
                delay[r], origin[r] = 0, r
            continue
        if not op.results:
            continue
        ins = [v for v in op.operands if v in delay]
        base = max((delay[v] for v in ins), default=0)
        org = next((origin[v] for v in ins if origin.get(v) is not None), None)
        extra = 0
        if isinstance(op, df.ConvOp | df.PoolOp):
            inp = _stype(op.operands[0])
            kh, kw = op.kernel.get_values()
            pad = op.pad.get_values()
            extra = ((kh - 1) * (inp.width + pad[1] + pad[3]) + (kw - 1)) * inp.channels + 1
        elif isinstance(op, df.LinearOp | df.GlobalPoolOp):
            extra = _stype(op.operands[0]).numel
        for r in op.results:
            delay[r], origin[r] = base + extra, org
    joins: list[tuple[Operation, list[SSAValue]]] = []
    for op in func_op.body.block.ops:
        if isinstance(op, df.AddOp):
            joins.append((op, [op.lhs, op.rhs]))
        elif isinstance(op, df.ConcatOp):
            joins.append((op, list(op.inputs)))
        elif isinstance(op, df.ConvOp) and op.skip is not None:
            joins.append((op, [op.input, op.skip]))
    for _join, operands in joins:
        if not any(origin.get(v) is not None for v in operands):
            continue
        longest = max(operands, key=lambda v: delay.get(v, 0))
        for v in operands:
            if v is longest or origin.get(v) is None:
                continue
            stream = _stream_of(lowering, v)
            if stream is None or "explicit_buffer" in stream.attributes:
                continue
            lanes = stream.result.type.lanes  # type: ignore[union-attr]
            frame = _stype(v).numel // lanes
            if stream.depth.value.data < frame:
                stream.depth = _int(frame)
                stream.attributes["sized_for"] = StringAttr("join")


def _stream_of(lowering: _Lowering, value: SSAValue) -> hls.StreamOp | None:
    """The hls.stream that carried dataflow `value` into its reader (None for ports)."""
    while True:
        stream = lowering.carried.get(value)
        if stream is not None:
            return stream
        # A buffer's result is carried by its input's stream.
        if isinstance(value, OpResult) and isinstance(value.op, df.BufferOp):
            value = value.op.input
            continue
        return None


# The early-exit ops register their lowering here (imported last: it imports this module).
from fpga_opt.passes.lower_dataflow_to_hls import exits as _exits  # noqa: E402,F401
