"""The lowering's state, and what every op family's lowering uses to build an `vhls.design`.

`Lowering.run` walks the network's ops in program order and calls each op's entry in
`LOWERINGS` (filled by one module per op family).  An entry reads its operands with `take`
(which adds a `squeeze` when the stream's width is not what the op reads), writes its
results with `produce` (an output port, a stream, or a `fork` when the value has several
readers), lays out its weights with `table`, and appends its `vhls.kernel`s to `kernels`.
The ports, weights, streams and kernels then become the design's body in that order, and
the `DESIGN_FINISHERS` run on the finished design.

A stream is as wide as the op writing it (`op.output_lanes(j)`); input ports are as wide as
their first reader (`op.input_lanes(i)`), output ports as their writer, so ports never need
an adapter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, IntegerType, StringAttr, i64
from xdsl.ir import Attribute, Operation, SSAValue, Use

from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.resources import rom_resources
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.registry import OpRegistry
from fpga_opt.passes.lower_dataflow_to_hls.numerics import table_bytes

LowerFn = Callable[["Lowering", Operation], None]
FinishFn = Callable[["Lowering", hls.DesignOp], None]

LOWERINGS: OpRegistry[LowerFn] = OpRegistry("HLS lowering", "passes/lower_dataflow_to_hls")
"""dataflow op class -> `lower(lowering, op)`, registered by the op family modules of this package."""

DESIGN_FINISHERS: list[FinishFn] = []
"""`finish(lowering, design)` steps run, in order, on every finished `vhls.design` (early exits: stage gates)."""

KERNEL_HEADERS = {"stream_ops.h": ("squeeze", "fork")}
"""The kernels this module instantiates (lane adapters, implicit forks), by the header defining them."""


def int_attr(value: int) -> IntegerAttr:
    """A kernel parameter or stream depth."""
    return IntegerAttr(value, i64)


def stream_type(value: SSAValue) -> df.StreamType:
    """The `!dataflow.stream` type of a value of the network."""
    t = value.type
    assert isinstance(t, df.StreamType)
    return t


def c_identifier(text: str) -> str:
    """A readable C identifier for a layer or port name."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "x"
    if name[0].isdigit():
        name = "l" + name
    return name


class Names:
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


def first_reader_lanes(value: SSAValue) -> int:
    """Lanes of the first reader of `value` in program order, looking through FIFOs (1 if none)."""
    seen: set[SSAValue] = set()
    while value not in seen:
        seen.add(value)
        for use in sorted(value.uses, key=lambda u: _op_index(u.operation)):
            user = use.operation
            if isinstance(user, df.FifoOp) and use.index == 0:
                value = user.results[0]
                break
            if isinstance(user, df.DataflowOp):
                return user.input_lanes(use.index)
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


@dataclass
class Handle:
    """A stream (or port) that carries a dataflow value and is not yet read."""

    value: SSAValue
    lanes: int
    name: str


@dataclass
class PendingFork:
    """A value read more than once: its producer writes `src`, a fork copies it to `sinks`."""

    src: SSAValue
    sinks: list[Handle]
    tokens: int
    base: str


@dataclass
class Lowering:
    """One network being lowered: what the design holds so far, and the streams not yet read."""

    func_op: func.FuncOp
    board: Board
    fifo_depth: int
    names: Names = field(default_factory=Names)
    ports: list[hls.PortOp] = field(default_factory=list)
    weights: list[Operation] = field(default_factory=list)
    streams: list[hls.StreamOp] = field(default_factory=list)
    kernels: list[Operation] = field(default_factory=list)
    handles: dict[SSAValue, list[Handle]] = field(default_factory=dict)
    """The streams each dataflow value reaches its readers on, in the readers' order."""
    stream_ops: dict[SSAValue, hls.StreamOp] = field(default_factory=dict)
    """Each `vhls.stream` by its value (ports are not streams: they have no depth)."""
    pending_forks: list[PendingFork] = field(default_factory=list)
    return_handles: dict[int, Handle] = field(default_factory=dict)
    """The output port of each returned value, by its position in func.return."""
    carried: dict[SSAValue, hls.StreamOp] = field(default_factory=dict)
    """The stream that brought each dataflow value to its reader (for FIFO sizing)."""

    # ----- the walk -------------------------------------------------------------

    def run(self) -> hls.DesignOp:
        """Lower every op in program order (forks right after their producer), then finish the design."""
        block = self.func_op.body.block
        for i, arg in enumerate(block.args):
            self.input_port(i, arg)
        for op in block.ops:
            if isinstance(op, func.ReturnOp):
                continue
            if not isinstance(op, df.DataflowOp):
                raise FpgaOptError(f"'{op.name}': not a dataflow op; only dataflow networks lower to HLS")
            LOWERINGS.get(op)(self, op)
            self.flush_forks()
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        inputs = [p for p in self.ports if p.direction.data == "in"]
        outputs = [self.return_handles[i].value.owner for i in range(len(ret.operands))]
        design = hls.DesignOp(
            c_identifier(self.func_op.sym_name.data),
            part=self.board.part,
            clock_mhz=self.board.clock_mhz,
            board=self.board.name,
            body=[*inputs, *outputs, *self.weights, *self.streams, *self.kernels],  # type: ignore[list-item]
        )
        for finish in DESIGN_FINISHERS:
            finish(self, design)
        return design

    def input_port(self, index: int, arg: SSAValue) -> None:
        """The port of the network's input `index`, as wide as its first reader (forked if read more than once)."""
        fn = self.func_op.sym_name.data
        t = arg.type
        if not isinstance(t, df.StreamType):
            raise FpgaOptError(f"@{fn}: argument {index} is {t}, not a !dataflow.stream")
        text = self.io_name("dataflow.input_names", index, f"in{index}")
        lanes = first_reader_lanes(arg)
        name = self.names.fresh(text)
        port = hls.PortOp(name, "in", t.dims, self.pack_type(t, lanes))
        port.result.name_hint = name
        self.ports.append(port)
        uses = list(arg.uses)
        if any(isinstance(u.operation, func.ReturnOp) for u in uses):
            raise FpgaOptError(f"@{fn}: input '{text}' is returned unchanged; nothing to build")
        if len(uses) == 1:
            self.handles[arg] = [Handle(port.result, lanes, name)]
        elif uses:
            sinks = [self.sink_for(u, arg, lanes, f"{name}_out{j}") for j, u in enumerate(uses)]
            self.pending_forks.append(PendingFork(port.result, sinks, t.numel // lanes, name))
            self.flush_forks()

    def io_name(self, attr: str, index: int, default: str) -> str:
        """The ONNX name of input/output `index` (`dataflow.input_names`/`output_names`), else `default`."""
        names = self.func_op.attributes.get(attr)
        if isinstance(names, ArrayAttr) and index < len(names.data) and isinstance(names.data[index], StringAttr):
            return names.data[index].data
        return default

    # ----- streams and ports ------------------------------------------------

    def new_stream(self, name: str, token: hls.StreamType, tokens: int) -> SSAValue:
        op = hls.StreamOp(self.names.fresh(name), token, depth=self.fifo_depth, tokens=tokens)
        op.result.name_hint = op.stream_name.data
        self.streams.append(op)
        self.stream_ops[op.result] = op
        return op.result

    def pack_type(self, t: df.StreamType, lanes: int) -> hls.StreamType:
        return hls.StreamType([lanes], t.element_type)

    def produce(self, value: SSAValue, lanes: int, base: str) -> SSAValue:
        """The stream the producer of `value` writes: a port, a stream, or a fork's input."""
        t = stream_type(value)
        uses = list(value.uses)
        if not uses:
            raise FpgaOptError(f"{base}: result is never read; every stream needs a consumer in hardware")
        if len(uses) == 1:
            return self.sink_for(uses[0], value, lanes, f"{base}_out").value
        sinks = [self.sink_for(use, value, lanes, f"{base}_out{i}") for i, use in enumerate(uses)]
        src = self.new_stream(f"{base}_out", self.pack_type(t, lanes), t.numel // lanes)
        self.pending_forks.append(PendingFork(src, sinks, t.numel // lanes, base))
        return src

    def flush_forks(self) -> None:
        """Emit the forks for values read more than once (right after their producer)."""
        for p in self.pending_forks:
            self.fork(
                f"{p.base}_fork", p.src, [s.value for s in p.sinks], p.tokens, f"fan-out of {p.base} (implicit fork)"
            )
        self.pending_forks = []

    def fork(self, instance: str, src: SSAValue, outs: Sequence[SSAValue], tokens: int, source: str) -> None:
        """A `fork` kernel copying the `tokens` tokens of a frame from `src` to every stream of `outs`."""
        self.kernels.append(
            hls.KernelOp("fork", self.names.fresh(instance), [src], list(outs), {"N": int_attr(tokens)}, source=source)
        )

    def sink_for(self, use: Use, value: SSAValue, lanes: int, stream_name: str) -> Handle:
        """Where one reader of `value` finds it: an output port (func.return) or a new stream."""
        t = stream_type(value)
        if isinstance(use.operation, func.ReturnOp):
            name = self.names.fresh(self.io_name("dataflow.output_names", use.index, f"out{use.index}"))
            port = hls.PortOp(name, "out", t.dims, self.pack_type(t, lanes))
            port.result.name_hint = name
            self.ports.append(port)
            handle = Handle(port.result, lanes, name)
            self.return_handles[use.index] = handle
            return handle
        stream = self.new_stream(stream_name, self.pack_type(t, lanes), t.numel // lanes)
        handle = Handle(stream, lanes, self.stream_ops[stream].stream_name.data)
        self.handles.setdefault(value, []).append(handle)
        return handle

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
        t = stream_type(value)
        out = self.new_stream(f"{reader}_in", self.pack_type(t, lanes), t.numel // lanes)
        params = {
            "T": t.element_type,
            "NUM": int_attr(t.numel),
            "IL": int_attr(handle.lanes),
            "OL": int_attr(lanes),
            "GCD": int_attr(math.gcd(handle.lanes, lanes)),
        }
        self.kernels.append(
            hls.KernelOp(
                "squeeze",
                self.names.fresh(f"{reader}_squeeze"),
                [handle.value],
                [out],
                params,
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
        grid: Sequence[int] | None = None,
        padded: Sequence[int] | None = None,
    ) -> str:
        """A weight table: the sidecar tensor `source`, reshaped to `view`, permuted, as `shape` = [words, lanes].

        With `grid` and `padded` the tensor is first reshaped to `grid` and zero-padded to
        `padded` (padded passes).  A word holds what the kernel reads in one cycle; it lives in
        LUTRAM or BRAM as the cost model's `rom_resources` decides for this board (never URAM:
        the bitstream cannot initialise it).
        """
        sym = self.names.fresh(name)
        if grid is not None and padded is not None and list(grid) == list(padded):
            grid = padded = None  # nothing to pad: the plain reshape says it all
        words, lanes = shape
        ratio = self.board.lut / self.board.bram18 if self.board.bram18 else 0.0
        mem = rom_resources(df.element_bitwidth(element) * lanes, words, ratio)
        storage = "bram" if mem.bram18 else "lutram"
        # An integer table is emitted as one byte string (types.h): a word is lanes * bytes
        # consecutive bytes; a float table stays a [words][lanes] array.
        reshape = "ARRAY_RESHAPE complete dim=2"
        if isinstance(element, IntegerType):
            reshape = f"ARRAY_RESHAPE cyclic factor={lanes * table_bytes(element)} dim=1"
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
                pragmas=[reshape, f"BIND_STORAGE type=rom_1p impl={storage}"],
                grid=grid,
                padded=padded,
            )
        )
        return sym

    # ----- naming ---------------------------------------------------------------

    def layer(self, op: df.DataflowOp) -> str:
        """The op's layer name as a C identifier (instances and streams are named after it)."""
        return c_identifier(op.layer_name)

    def source(self, op: df.DataflowOp) -> str:
        """The kernel's `source`: the dataflow op and its stream types, printed as a comment in top.cpp."""
        ins = ", ".join(_dims_text(stream_type(v)) for v in op.operands)
        outs = ", ".join(_dims_text(stream_type(v)) for v in op.results)
        return f"{op.name} '{op.layer_name}': {ins} -> {outs}"


def _dims_text(t: df.StreamType) -> str:
    return "x".join(map(str, t.dims)) + "x" + str(t.element_type)
