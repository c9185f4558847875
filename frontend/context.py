"""What a node handler works with: its node, and the state of the import so far.

`ImportContext` holds the value of every ONNX tensor seen so far (values.py),
the function being built and the issues found.  Handlers read their inputs
through it: `stream()` turns a value into a `!dataflow.stream` SSA value,
emitting a pending layer raw or a QuantizeLinear's integers when needed, and
a graph input becomes a function argument on its first read.  The walk that
calls the handlers is lowering.py; the handlers are handlers/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from fpga_opt.frontend.builder import FuncBuilder
from fpga_opt.frontend.emit import Final, emit, stream_type
from fpga_opt.frontend.issues import IssueLog, Unsupported
from fpga_opt.frontend.layout import stream_dims
from fpga_opt.frontend.loader import OnnxGraph
from fpga_opt.frontend.values import (
    ACC,
    Const,
    DroppedSoftmax,
    GraphInput,
    IntType,
    IntVal,
    Pending,
    QConst,
    Stream,
    Value,
)


@dataclass
class Node:
    """One ONNX node as its handler sees it."""

    proto: onnx.NodeProto
    name: str
    """The node's name (or a generated `<op>_<index>` when it has none)."""
    opset: int
    attrs: dict[str, Any]
    inputs: list[Value | None]

    @property
    def op(self) -> str:
        return self.proto.op_type

    def input_name(self, index: int) -> str:
        return self.proto.input[index] if index < len(self.proto.input) else ""

    def has_input(self, index: int) -> bool:
        return bool(self.input_name(index))

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    def const(self, index: int, what: str) -> np.ndarray:
        """Input `index` as a numpy array; it must be a constant."""
        value = self.inputs[index] if index < len(self.inputs) else None
        if isinstance(value, Const):
            return value.array
        if isinstance(value, QConst):
            return value.dequantised()
        raise Unsupported(f"{what} '{self.input_name(index)}' is not a constant (an initializer or Constant node)")

    def optional_const(self, index: int, what: str) -> np.ndarray | None:
        return self.const(index, what) if self.has_input(index) else None


class ImportContext:
    """State of one import: the values of the tensors seen so far, the IR builder, the issues."""

    def __init__(self, graph: OnnxGraph):
        self.graph = graph
        self.b = FuncBuilder()
        self.inputs = [GraphInput(name, index, shape) for index, (name, shape, _) in enumerate(graph.inputs)]
        self.values: dict[str, Value] = {gi.name: gi for gi in self.inputs}
        self.issues = IssueLog()

    def input_stream(
        self, gi: GraphInput, itype: IntType | None = None, scale: float | None = None, zero_point: int = 0
    ) -> Stream:
        """The function argument of a graph input, created by its first reader with that reader's type."""
        if gi.stream is None:
            dims = stream_dims(gi.shape, f"input '{gi.name}'")
            position = sum(1 for other in self.inputs if other.stream is not None and other.index < gi.index)
            arg = self.b.insert_arg(position, stream_type(dims, itype), gi.name)
            gi.stream = Stream(arg, gi.shape, dims, scale, itype, dq=True, zero_point=zero_point)
        elif gi.stream.itype != itype or gi.stream.scale != scale or gi.stream.zero_point != zero_point:

            def describe(t, s):
                return "float" if t is None else f"{t} at scale {s:g}"

            raise Unsupported(
                f"reads input '{gi.name}' as {describe(itype, scale)}, but another node reads it as "
                f"{describe(gi.stream.itype, gi.stream.scale)}"
            )
        return gi.stream

    def value(self, name: str) -> Value | None:
        if not name:
            return None
        if name not in self.values and name in self.graph.initialisers:
            self.values[name] = Const(self.graph.constant(name))
        return self.values[name]

    def single_use(self, name: str) -> bool:
        return self.graph.uses[name] == 1

    def stream(self, value: Value | None, node: Node | None, index: int = 0) -> Stream:
        """The materialised stream of a value (emitting a pending layer raw if needed)."""
        label = node.input_name(index) if node is not None else "the value"
        if isinstance(value, Stream):
            return value
        if isinstance(value, GraphInput):
            return self.input_stream(value)
        if isinstance(value, Pending):
            if value.result is None:
                ssa = emit(self.b, value)
                zero_point = value.inputs[0].zero_point if value.kind == "requantize" else 0
                value.result = Stream(
                    ssa, value.shape, value.dims, value.scale, _acc_type(value), dq=True, zero_point=zero_point
                )
            return value.result
        if isinstance(value, IntVal):
            return self.materialise_int(value)
        if isinstance(value, DroppedSoftmax):
            raise Unsupported(
                f"reads the output of Softmax '{value.node}': in a quantised graph a Softmax is only "
                "supported as the last op before a graph output (it is dropped; argmax is unchanged)"
            )
        if isinstance(value, Const | QConst):
            raise Unsupported(
                f"input '{label}' is a constant where fpga-opt expects a feature map "
                "(computations on constants only are folded for shape ops)"
            )
        raise Unsupported(f"input '{label}' is missing")

    def materialise_int(self, value: IntVal) -> Stream:
        """Emit the op that produces a QuantizeLinear's integers (fusing its requant into the producer)."""
        if value.result is None:
            final = Final(value.scale, value.itype, value.qmin, value.qmax, value.rounding, value.zero_point)
            source = value.source
            assert isinstance(source, Pending)
            ssa = emit(self.b, source, final)
            value.result = Stream(
                ssa, source.shape, source.dims, value.scale, value.itype, dq=False, zero_point=value.zero_point
            )
        return value.result


def _acc_type(p: Pending) -> IntType | None:
    if not p.is_int:
        return None
    if p.kind == "requantize":
        return p.inputs[0].itype
    return ACC
