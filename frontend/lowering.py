"""The walk over the ONNX graph: constants are folded, layers are lowered.

For each node, in topological order:

1. an op type with neither a handler nor a folder is recorded as unsupported
   (always, so the error lists every such node even downstream of another
   failure);
2. if an input is poisoned (its producer failed) the outputs are poisoned too;
3. if every input is constant and the op can be evaluated, it is folded
   (constant_fold.py);
4. otherwise the op's handler (handlers/, found in `HANDLERS`) maps the input
   values to output values, emitting ops as needed.

A handler that cannot import its node raises `Unsupported(reason)`; the walk
records it and continues, and the caller raises one error listing all.
"""

from __future__ import annotations

import numpy as np
import onnx

from fpga_opt.frontend import constant_fold
from fpga_opt.frontend.binary_streamline import streamline_binary
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.handlers import HANDLERS, handler_key
from fpga_opt.frontend.issues import UNSUPPORTED_OP, IssueLog, Unsupported
from fpga_opt.frontend.loader import OnnxGraph
from fpga_opt.frontend.values import POISON, Const, Poison, QConst, Unreadable, Value, onnx_shape


def lower(graph: OnnxGraph) -> ImportContext:
    """Fold or lower every node of `graph`; the failures are in the returned context's `issues`.

    Binarised layers are streamlined first (binary_streamline.py): each with its sign becomes one node.
    """
    issues = IssueLog()
    graph = streamline_binary(graph, issues)
    ctx = ImportContext(graph)
    ctx.issues = issues
    for index, proto in enumerate(graph.nodes):
        _lower_node(ctx, index, proto)
    return ctx


def _lower_node(ctx: ImportContext, index: int, proto: onnx.NodeProto) -> None:
    opset = ctx.graph.opset(proto.domain)
    name = proto.name or f"{proto.op_type.lower()}_{index}"
    outputs = list(proto.output)
    key = handler_key(proto)
    inputs = [ctx.value(n) for n in proto.input]
    if key not in HANDLERS and key not in constant_fold.FOLDERS:
        ctx.issues.add(proto.op_type, name, opset, UNSUPPORTED_OP)
        _poison(ctx, outputs)
        return
    for v in inputs:
        if isinstance(v, Unreadable):
            ctx.issues.add(
                v.op,
                v.node,
                v.opset,
                f"its output '{v.output}' is read by '{name}', but only its first output is supported",
            )
            _poison(ctx, outputs)
            return
    if any(isinstance(v, Poison) for v in inputs):
        _poison(ctx, outputs)
        return
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
    node = Node(proto, name, opset, attrs, inputs)
    try:
        results = _fold(node) if _foldable(node, key) else _handle(ctx, node, key)
    except Unsupported as error:
        ctx.issues.add(proto.op_type, name, opset, str(error))
        _poison(ctx, outputs)
        return
    if not isinstance(results, list):
        results = [results]
    for output, result in zip(outputs, results, strict=False):
        if output:
            ctx.values[output] = result
            _check_shape(ctx, node, output, result)
    for output in outputs[len(results) :]:
        if output:
            ctx.values[output] = Unreadable(node.op, node.name, node.opset, output)


def _check_shape(ctx: ImportContext, node: Node, output: str, result: Value) -> None:
    """The importer's shapes must agree with onnx.shape_inference's (a disagreement is a bug here)."""
    inferred = ctx.graph.inferred.get(output)
    shape = onnx_shape(result)
    if inferred is not None and shape is not None and tuple(shape) != inferred:
        raise AssertionError(
            f"fpga-opt frontend bug: {node.op} '{node.name}' output '{output}' has shape {list(shape)}, "
            f"onnx.shape_inference says {list(inferred)}"
        )


def _foldable(node: Node, key: str) -> bool:
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


def _fold(node: Node) -> list[Value]:
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


def _handle(ctx: ImportContext, node: Node, key: str) -> Value | list[Value]:
    if key not in HANDLERS:
        raise Unsupported(f"{node.op} on a non-constant input is not supported")
    return HANDLERS[key](ctx, node)


def _poison(ctx: ImportContext, outputs: list[str]) -> None:
    for output in outputs:
        if output:
            ctx.values[output] = POISON
