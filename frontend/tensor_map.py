"""Which ONNX tensor each imported layer computes: the map a per-layer trace compares along.

The importer knows, for every ONNX tensor, the stream that carries it
(values.py).  Several tensors can ride one stream (a Conv's output, the Relu
after it, the QuantizeLinear closing it, the DequantizeLinear reading it back);
the one a layer is compared with is the last in graph order among the best
kind: the integers of a QuantizeLinear (compared exactly), else a dequantised
float `(q - zero_point) * scale` of an integer stream, else a float tensor.
Flattened views are skipped (their order is ONNX's CHW, not the stream's).

The map is written on the function as `dataflow.onnx_tensors`:

    {conv1 = ["conv1_out_q", "int", 0.0235 : f64, 3], fc = ["logits", "dq", 0.0012 : f64, 0], ...}

that is layer -> [ONNX tensor, kind ("int", "dq" or "float"), scale, zero point].
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp
from xdsl.ir import Block, Operation, SSAValue

from fpga_opt.dialects.dataflow import DataflowOp
from fpga_opt.frontend.values import IntVal, Pending, Stream, Value

ONNX_TENSORS = "dataflow.onnx_tensors"
KIND_RANK = {"float": 0, "dq": 1, "int": 2}


def _stream_of(value: Value) -> Stream | None:
    if isinstance(value, Stream):
        return value
    if isinstance(value, Pending | IntVal):
        return value.result
    return None


def candidates(values: dict[str, Value]) -> dict[SSAValue, tuple[str, str, float, int]]:
    """For each stream SSA value, the ONNX tensor it is best compared with (see the module docstring)."""
    best: dict[SSAValue, tuple[str, str, float, int]] = {}
    for tensor, value in values.items():
        stream = _stream_of(value)
        if stream is None or stream.flat or len(stream.shape) not in (2, 4):
            continue
        if stream.is_int:
            kind = "dq" if stream.dq else "int"
            info = (tensor, kind, float(stream.scale), int(stream.zero_point))
        else:
            info = (tensor, "float", 0.0, 0)
        old = best.get(stream.ssa)
        if old is None or KIND_RANK[kind if stream.is_int else "float"] >= KIND_RANK[old[1]]:
            best[stream.ssa] = info
    return best


def attach(func: FuncOp, found: dict[SSAValue, tuple[str, str, float, int]], replaced: dict[SSAValue, SSAValue]):
    """Write `dataflow.onnx_tensors` for the layers still in `func` (following values the builder replaced)."""
    entries: dict[str, ArrayAttr] = {}
    block = func.body.block
    for ssa, (tensor, kind, scale, zero_point) in found.items():
        while ssa in replaced:
            ssa = replaced[ssa]
        owner = ssa.owner
        if isinstance(owner, Block) or not isinstance(owner, DataflowOp) or owner.parent is not block:
            continue
        if owner.results[0] is not ssa or owner.layer is None:
            continue
        layer = owner.layer.data
        previous = entries.get(layer)
        if previous is not None and KIND_RANK[previous.data[1].data] > KIND_RANK[kind]:  # type: ignore[union-attr]
            continue
        entries[layer] = ArrayAttr(
            [StringAttr(tensor), StringAttr(kind), FloatAttr(scale, f64), IntegerAttr(zero_point, i64)]
        )
    if entries:
        func.attributes[ONNX_TENSORS] = DictionaryAttr(dict(sorted(entries.items())))


def read(func: Operation) -> dict[str, tuple[str, str, float, int]]:
    """`dataflow.onnx_tensors` of a function: layer -> (tensor, kind, scale, zero point)."""
    attr = func.attributes.get(ONNX_TENSORS)
    if not isinstance(attr, DictionaryAttr):
        return {}
    result = {}
    for layer, entry in attr.data.items():
        tensor, kind, scale, zero_point = entry.data  # type: ignore[attr-defined]
        result[layer] = (tensor.data, kind.data, scale.value.data, zero_point.value.data)
    return result
