"""Building the `func.func` of an imported graph: ops, names, weights, forks.

Ops are appended to one block in creation order, which is topological
because an op is only created once its operands exist.  Every op gets a
unique `layer` name derived from its ONNX node, every weight tensor the name
`<layer>.w` / `<layer>.b`, and results get the layer name as SSA name so the
IR reads like the model.  `finish()` makes fan-out explicit (a
`dataflow.fork` per value with several consumers, outputs handed out in
program order, so the result is deterministic), puts a full-tensor
`dataflow.buffer` on the faster branches into every join (so the design runs
with default FIFOs as imported) and removes dead ops.
"""

from __future__ import annotations

import re

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, FunctionType, IntegerAttr, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from fpga_opt.dialects.dataflow import (
    BufferOp,
    DataflowOp,
    ForkOp,
    RequantAttr,
    RequantizeOp,
    StreamType,
    WholeFrameOp,
    WindowedOp,
)

_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_NOT_SYMBOL = re.compile(r"[^A-Za-z0-9_$.]+")


def sanitise(name: str) -> str:
    """A node name as a layer name: `/layer1/conv/Conv` -> `layer1.conv.Conv`, `a:b c` -> `a_b_c`."""
    text = name.strip().strip("/").replace("/", ".")
    return _NOT_NAME.sub("_", text).strip("_")


def symbol_name(name: str) -> str:
    """A graph name as a bare `@symbol` for the func."""
    text = _NOT_SYMBOL.sub("_", name.strip()).strip("_")
    if not text:
        return "main"
    return text if not text[0].isdigit() else f"_{text}"


def ssa_name(name: str) -> str | None:
    """An SSA name hint for `name` (xDSL drops a trailing `_<digits>`, so such names get a dot)."""
    text = _NOT_NAME.sub("_", name).strip("_")
    if not text:
        return None
    if text[0].isdigit():
        text = f"v{text}"
    if re.search(r"_\d+$", text):
        text = re.sub(r"_(\d+)$", r".\1", text)
    return text


class FuncBuilder:
    """Accumulates the ops, layer names and weights of one imported function."""

    def __init__(self) -> None:
        self.block = Block()
        self.arg_names: list[str] = []
        self.weights: dict[str, np.ndarray] = {}
        self._layers: set[str] = set()
        self.replaced: dict[SSAValue, SSAValue] = {}
        """Results of ops removed while finishing -> the value that now carries them."""

    # names ---------------------------------------------------------------
    def layer_name(self, wanted: str) -> str:
        """A fresh, unique layer name based on `wanted`."""
        base = sanitise(wanted) or "layer"
        name, n = base, 1
        while name in self._layers:
            name = f"{base}_{n}"
            n += 1
        self._layers.add(name)
        return name

    def add_weight(self, layer: str, suffix: str, array: np.ndarray) -> str:
        name = f"{layer}.{suffix}"
        assert name not in self.weights, name
        self.weights[name] = np.ascontiguousarray(array)
        return name

    def insert_arg(self, position: int, type: Attribute, name: str) -> SSAValue:
        """Add a function argument at `position` (graph inputs get their type from their first reader)."""
        arg = self.block.insert_arg(type, position)
        arg.name_hint = ssa_name(name)
        self.arg_names.insert(position, name)
        return arg

    # ops -----------------------------------------------------------------
    def append(self, op: Operation) -> Operation:
        self.block.add_op(op)
        if isinstance(op, DataflowOp) and op.layer is not None:
            hint = ssa_name(op.layer.data)
            for result in op.results:
                result.name_hint = hint
        return op

    # finishing -----------------------------------------------------------
    def finish(self, name: str, results: list[SSAValue], attributes: dict[str, Attribute]) -> FuncOp:
        self.block.add_op(ReturnOp(*results))
        self._fold_saturations()
        self._remove_dead_ops()
        self._insert_forks()
        self._insert_join_buffers()
        self._keep_used_weights()
        func = FuncOp(
            symbol_name(name),
            FunctionType.from_lists([a.type for a in self.block.args], [r.type for r in results]),
            Region(self.block),
        )
        for key, value in attributes.items():
            func.attributes[key] = value
        return func

    def _keep_used_weights(self) -> None:
        used = set()
        for op in self.block.ops:
            if isinstance(op, DataflowOp):
                used.update(op.tensor_names())
        self.weights = {k: v for k, v in self.weights.items() if k in used}

    def _fold_saturations(self) -> None:
        """Merge a pure saturation (`requantize` by 1 into the same type) into the requant of its producer.

        QDQ exporters write `Conv -> Q -> DQ -> Relu -> Q -> DQ` with one scale: the second
        QuantizeLinear only clamps.  `clamp(clamp(x, a, b), c, d) = clamp(x, max(a, c), min(b, d))`,
        so the bounds move into the conv's requant when the conv has no other reader.
        """
        for op in list(self.block.ops):
            if not isinstance(op, RequantizeOp) or op.output.type != op.input.type:
                continue
            rq = op.requant
            if rq.channelwise or (rq.multiplier.data, rq.shift.data, rq.offset.data) != (1, 0, 0):
                continue
            if rq.zero_point.data != 0:
                continue
            source = op.input
            producer = source.owner
            if not isinstance(producer, Operation) or not source.has_one_use():
                continue
            if getattr(producer, "skip", None) is not None or producer.properties.get("activation") is not None:
                continue
            inner = producer.properties.get("requant")
            if not isinstance(inner, RequantAttr):
                continue
            lo, hi = max(inner.min.data, rq.min.data), min(inner.max.data, rq.max.data)
            if lo > hi:
                continue
            producer.properties["requant"] = inner.replace(min=lo, max=hi)
            self.replaced[op.output] = source
            op.output.replace_all_uses_with(source)
            self.block.erase_op(op)

    def _remove_dead_ops(self) -> None:
        for op in reversed(list(self.block.ops)):
            if isinstance(op, ReturnOp):
                continue
            if all(not result.uses for result in op.results):
                self.block.erase_op(op)

    def _insert_join_buffers(self) -> None:
        """A full-tensor FIFO on every branch into a join but the slowest, so the design runs as imported.

        A join (an add, a concat) consumes pixel p of every operand together, and a
        fork only advances when all its readers accept: the branches that produce
        pixel p earlier must hold what the slowest one has not caught up with.  The
        whole tensor is always enough (a branch is at most a frame ahead); the
        slowest branch (the most line buffers and whole-frame ops between the fork
        and the join) needs nothing.  `minimize-residual-buffers` and `size-fifos`
        shrink these to what timing needs.
        """
        for op in list(self.block.ops):
            streams = [v for v in op.operands if isinstance(v.type, StreamType)]
            if not isinstance(op, DataflowOp) or isinstance(op, ForkOp) or len(streams) < 2:
                continue
            delays = [_branch_delay(v) for v in op.operands]
            slowest = delays.index(max(delays))
            for index, value in enumerate(list(op.operands)):
                if index == slowest or not isinstance(value.type, StreamType):
                    continue
                base = op.layer.data if op.layer is not None else "join"
                buffer = BufferOp(value, value.type.numel, layer=self.layer_name(f"{base}.in{index}.fifo"))
                buffer.results[0].name_hint = ssa_name(buffer.layer.data)  # type: ignore[union-attr]
                self.block.insert_op_before(buffer, op)
                op.operands[index] = buffer.results[0]

    def _insert_forks(self) -> None:
        readers: dict[SSAValue, list[tuple[Operation, int]]] = {}
        last_arg_fork: Operation | None = None
        for op in self.block.ops:
            for index, operand in enumerate(op.operands):
                readers.setdefault(operand, []).append((op, index))
        for value, uses in readers.items():
            if len(uses) < 2:
                continue
            owner = value.owner
            if isinstance(owner, Operation) and isinstance(owner, DataflowOp) and owner.layer is not None:
                base = owner.layer.data
            elif isinstance(owner, Block):
                base = self.arg_names[value.index]  # type: ignore[union-attr]
            else:
                base = "value"
            fork = ForkOp(value, copies=len(uses), layer=self.layer_name(f"{base}.fork"))
            hint = ssa_name(fork.layer.data)  # type: ignore[union-attr]
            for result in fork.results:
                result.name_hint = hint
            if isinstance(owner, Operation):
                self.block.insert_op_after(fork, owner)
            elif last_arg_fork is not None:
                self.block.insert_op_after(fork, last_arg_fork)
                last_arg_fork = fork
            else:
                first = self.block.first_op
                assert first is not None
                self.block.insert_op_before(fork, first)
                last_arg_fork = fork
            for (op, index), copy in zip(uses, fork.results, strict=True):
                op.operands[index] = copy


def _branch_delay(value: SSAValue) -> int:
    """How far behind its source a value runs: line buffers (and whole frames) back to the fork it comes from."""
    delay = 0
    while True:
        owner = value.owner
        if not isinstance(owner, Operation) or isinstance(owner, ForkOp) or not owner.operands:
            return delay
        if isinstance(owner, WholeFrameOp):
            delay += 1000
        elif isinstance(owner, WindowedOp) and owner.has_line_buffer:
            delay += owner.window_extent[0]
        value = owner.operands[0]


def string_array(values: list[str]) -> ArrayAttr:
    return ArrayAttr([StringAttr(v) for v in values])


def float_array(values: list[float]) -> ArrayAttr:
    return ArrayAttr([FloatAttr(float(v), f64) for v in values])


def int_array(values: list[int]) -> ArrayAttr:
    return ArrayAttr([IntegerAttr(int(v), i64) for v in values])


def int_attr(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)
