"""The walk over the ONNX graph: constants are folded, layers are lowered.

For each node, in topological order:

1. an unknown op type is recorded as unsupported (always, so the error lists
   every such node even downstream of another failure);
2. if an input is poisoned (its producer failed) the outputs are poisoned too;
3. if every input is constant and the op can be evaluated, it is folded;
4. otherwise the op's handler (float_ops.py, quant_ops.py, shape_ops.py)
   maps the input values to output values, emitting ops as needed.

A handler that cannot import its node raises `Unsupported(reason)`; the
walk records it and continues, and `run()` raises one error listing all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from fpga_opt.frontend import constant_fold
from fpga_opt.frontend.builder import FuncBuilder
from fpga_opt.frontend.emit import Final, emit, stream_type
from fpga_opt.frontend.issues import UNSUPPORTED_OP, IssueLog, Unsupported
from fpga_opt.frontend.layout import stream_dims
from fpga_opt.frontend.loader import OnnxGraph
from fpga_opt.frontend.values import (
    ACC,
    POISON,
    Const,
    DroppedSoftmax,
    GraphInput,
    IntType,
    IntVal,
    Pending,
    Poison,
    QConst,
    Stream,
    Value,
    onnx_shape,
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


Handler = Callable[["Lowering", Node], Value | list[Value]]
HANDLERS: dict[str, Handler] = {}
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")


def handles(*op_types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for op_type in op_types:
            HANDLERS[op_type] = fn
        return fn

    return register


def handler_key(node: onnx.NodeProto) -> str:
    """Ops are looked up by type; QONNX ops by `qonnx.<type>` so they cannot shadow ONNX ones."""
    if node.domain in QONNX_DOMAINS or node.domain.startswith("qonnx"):
        return f"qonnx.{node.op_type}"
    if node.domain in ("", "ai.onnx", "com.microsoft"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


class Lowering:
    """State of one import: the values of the tensors seen so far, the IR builder, the issues."""

    def __init__(self, graph: OnnxGraph):
        self.graph = graph
        self.b = FuncBuilder()
        self.inputs = [GraphInput(name, index, shape) for index, (name, shape, _) in enumerate(graph.inputs)]
        self.values: dict[str, Value] = {gi.name: gi for gi in self.inputs}
        self.issues = IssueLog()

    def input_stream(self, gi: GraphInput, itype: IntType | None = None, scale: float | None = None) -> Stream:
        """The function argument of a graph input, created by its first reader with that reader's type."""
        if gi.stream is None:
            dims = stream_dims(gi.shape, f"input '{gi.name}'")
            position = sum(1 for other in self.inputs if other.stream is not None and other.index < gi.index)
            arg = self.b.insert_arg(position, stream_type(dims, itype), gi.name)
            gi.stream = Stream(arg, gi.shape, dims, scale, itype, dq=True)
        elif gi.stream.itype != itype or gi.stream.scale != scale:

            def describe(t, s):
                return "float" if t is None else f"{t} at scale {s:g}"

            raise Unsupported(
                f"reads input '{gi.name}' as {describe(itype, scale)}, but another node reads it as "
                f"{describe(gi.stream.itype, gi.stream.scale)}"
            )
        return gi.stream

    # values ------------------------------------------------------------------
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
                value.result = Stream(ssa, value.shape, value.dims, value.scale, _acc_type(value), dq=True)
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
            final = Final(value.scale, value.itype, value.qmin, value.qmax, value.rounding)
            source = value.source
            assert isinstance(source, Pending)
            ssa = emit(self.b, source, final)
            value.result = Stream(ssa, source.shape, source.dims, value.scale, value.itype, dq=False)
        return value.result

    # the walk ----------------------------------------------------------------
    def run(self) -> None:
        for index, proto in enumerate(self.graph.nodes):
            self.lower_node(index, proto)

    def lower_node(self, index: int, proto: onnx.NodeProto) -> None:
        opset = self.graph.opset(proto.domain)
        name = proto.name or f"{proto.op_type.lower()}_{index}"
        outputs = [o for o in proto.output]
        key = handler_key(proto)
        inputs = [self.value(n) for n in proto.input]
        if key not in HANDLERS and key not in constant_fold.FOLDERS:
            self.issues.add(proto.op_type, name, opset, UNSUPPORTED_OP)
            self._poison(outputs)
            return
        for v in inputs:
            if isinstance(v, _Unreadable):
                self.issues.add(
                    v.node.op,
                    v.node.name,
                    v.node.opset,
                    f"its output '{v.output}' is read by '{name}', but only its first output is supported",
                )
                self._poison(outputs)
                return
        if any(isinstance(v, Poison) for v in inputs):
            self._poison(outputs)
            return
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        node = Node(proto, name, opset, attrs, inputs)
        try:
            results = self._fold(node) if self._foldable(node, key) else self._handle(node, key)
        except Unsupported as error:
            self.issues.add(proto.op_type, name, opset, str(error))
            self._poison(outputs)
            return
        if not isinstance(results, list):
            results = [results]
        for output, result in zip(outputs, results, strict=False):
            if output:
                self.values[output] = result
                self._check_shape(node, output, result)
        for output in outputs[len(results) :]:
            if output:
                self.values[output] = _unused_output(node, output)

    def _check_shape(self, node: Node, output: str, result: Value) -> None:
        """The importer's shapes must agree with onnx.shape_inference's (a disagreement is a bug here)."""
        inferred = self.graph.inferred.get(output)
        shape = onnx_shape(result)
        if inferred is not None and shape is not None and tuple(shape) != inferred:
            raise AssertionError(
                f"fpga-opt frontend bug: {node.op} '{node.name}' output '{output}' has shape {list(shape)}, "
                f"onnx.shape_inference says {list(inferred)}"
            )

    def _foldable(self, node: Node, key: str) -> bool:
        if key not in constant_fold.FOLDERS:
            return False
        present = [v for v in node.inputs if v is not None]
        if key == "Shape" or key == "Size":
            return bool(present) and onnx_shape(present[0]) is not None
        if all(isinstance(v, Const) for v in present):
            return True
        # moving the integers of a dequantised constant (a weight Transpose/Reshape)
        return (
            key in constant_fold.LAYOUT_FOLDERS
            and bool(present)
            and isinstance(present[0], QConst)
            and all(isinstance(v, Const) for v in present[1:])
        )

    def _fold(self, node: Node) -> list[Value]:
        first = next((v for v in node.inputs if v is not None), None)
        if node.op in ("Shape", "Size"):
            shape = onnx_shape(first)
            assert shape is not None
            if node.op == "Size":
                return [Const(np.array(int(np.prod(shape)), dtype=np.int64))]
            start, end = node.attr("start", 0), node.attr("end", len(shape))
            return [Const(np.array(shape[start:end], dtype=np.int64))]
        if isinstance(first, QConst):
            if first.per_tensor_scale is None:
                raise Unsupported("moves a per-channel quantised constant (only per-tensor scales can be moved)")
            arrays = [first.ints] + [v.array if isinstance(v, Const) else None for v in node.inputs[1:]]
            out = constant_fold.fold(node.op, node.attrs, arrays, node.opset)
            return [QConst(out[0], np.asarray(first.per_tensor_scale), first.itype)]
        arrays = [v.array if isinstance(v, Const) else None for v in node.inputs]
        return [Const(a) for a in constant_fold.fold(node.op, node.attrs, arrays, node.opset)]

    def _handle(self, node: Node, key: str) -> Value | list[Value]:
        if key not in HANDLERS:
            raise Unsupported(f"{node.op} on a non-constant input is not supported")
        return HANDLERS[key](self, node)

    def _poison(self, outputs: list[str]) -> None:
        for output in outputs:
            if output:
                self.values[output] = POISON


def _acc_type(p: Pending) -> IntType | None:
    if not p.is_int:
        return None
    if p.kind == "requantize":
        return p.inputs[0].itype
    return ACC


def _unused_output(node: Node, output: str) -> Value:
    """Extra outputs (MaxPool's indices, Dropout's mask, BN's running stats) must not be read."""
    return _Unreadable(node, output)


class _Unreadable(Value):
    """An extra output nobody may read (reading it is recorded against the producing node)."""

    def __init__(self, node: Node, output: str):
        self.node = node
        self.output = output
