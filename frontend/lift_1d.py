"""1-D CNNs as 2-D ones of height 1: Conv1d, MaxPool1d/AvgPool1d, BatchNorm1d on `[N, C, L]` tensors.

torch exports `nn.Conv1d` as an ONNX `Conv` with a rank-3 weight `[C_out, C_in, K]` on rank-3
feature maps `[N, C, L]`.  A 1-D convolution is exactly a 2-D one of kernel `1 x K` on a map of
height 1 (`[N, C, 1, L]`): the same products, summed in the same order.  So instead of new ops,
the model is lifted before import and every concern (cost model, fpga-sim, HLS) sees the 2-D ops
it already has; the stream of a 1-D feature map is `1 x L x C`.

What the lift rewrites (docs/explore.md, "1-D CNNs"):

* rank-3 graph inputs and outputs `[N, C, L]` -> `[N, C, 1, L]`;
* the rank-3 weights of a Conv (an initialiser, or the integer initialiser behind its
  DequantizeLinear / Clip chain in a QDQ or QCDQ model) -> `[C_out, C_in, 1, K]`;
* Conv / MaxPool / AveragePool attributes: `kernel_shape [k]` -> `[1, k]`, `strides`,
  `dilations` `[s]` -> `[1, s]`, `pads [b, e]` -> `[0, b, 0, e]`;
* an axis that names `L` (2 or -1 of a rank-3 tensor) in a Reduce*, Squeeze or Unsqueeze: it
  names H and W both (H is 1, so reducing or squeezing it too is the identity);
* every intermediate value shape recorded in the file is dropped (shape inference redoes them).

Anything else on a rank-3 feature map (a Transpose, a rank-3 Reshape target, a softmax over L)
keeps its rank-3 semantics and fails import with the usual one-line message naming the node.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

_WINDOWED = ("Conv", "MaxPool", "AveragePool", "LpPool")
_AXES_OPS = ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "Squeeze")
_WEIGHT_PATH = ("DequantizeLinear", "QuantizeLinear", "Clip", "Identity", "Cast")


def _rank3_values(model: onnx.ModelProto) -> set[str]:
    """Names of the tensors shape inference finds to be rank 3 (graph inputs included)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # the loader reports a broken model with its own message
        inferred = model
    graph = inferred.graph
    return {
        v.name
        for v in (*graph.input, *graph.value_info, *graph.output)
        if v.type.HasField("tensor_type")
        and v.type.tensor_type.HasField("shape")
        and len(v.type.tensor_type.shape.dim) == 3
    }


def is_1d(model: onnx.ModelProto) -> bool:
    """Whether the model has a 1-D convolution or pooling (a rank-3 weight or a one-element kernel)."""
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type not in _WINDOWED:
            continue
        kernel = next((list(a.ints) for a in node.attribute if a.name == "kernel_shape"), None)
        if kernel is not None and len(kernel) == 1:
            return True
        if node.op_type == "Conv" and len(node.input) > 1:
            weight = _weight_initialiser(node.input[1], model.graph, inits)
            if weight is not None and len(weight.dims) == 3:
                return True
    return False


def _producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output}


def _weight_initialiser(name: str, graph: onnx.GraphProto, inits: dict) -> onnx.TensorProto | None:
    """The initialiser a Conv weight comes from, through DequantizeLinear / Clip / Identity chains."""
    producers = _producers(graph)
    seen = set()
    while name not in inits:
        node = producers.get(name)
        if node is None or node.op_type not in _WEIGHT_PATH or name in seen:
            return None
        seen.add(name)
        name = node.input[0]
    return inits[name]


def _set_ints(node: onnx.NodeProto, name: str, values: list[int]) -> None:
    for attr in node.attribute:
        if attr.name == name:
            node.attribute.remove(attr)
            break
    node.attribute.append(helper.make_attribute(name, values))


def _lift_window(node: onnx.NodeProto) -> None:
    attrs = {a.name: list(a.ints) for a in node.attribute if a.type == onnx.AttributeProto.INTS}
    if "kernel_shape" in attrs and len(attrs["kernel_shape"]) == 1:
        _set_ints(node, "kernel_shape", [1, *attrs["kernel_shape"]])
    for key in ("strides", "dilations"):
        if key in attrs and len(attrs[key]) == 1:
            _set_ints(node, key, [1, *attrs[key]])
    if "pads" in attrs and len(attrs["pads"]) == 2:
        begin, end = attrs["pads"]
        _set_ints(node, "pads", [0, begin, 0, end])


def _lift_axes(axes: list[int]) -> list[int]:
    """Axes of a rank-3 tensor as axes of its rank-4 lift: L (2 or -1) becomes H and W."""
    out: list[int] = []
    for axis in axes:
        a = axis + 3 if axis < 0 else axis
        out.extend([2, 3] if a == 2 else [a])
    return sorted(set(out))


def _lift_shape(value: onnx.ValueInfoProto) -> None:
    dims = value.type.tensor_type.shape.dim
    if len(dims) != 3:
        return
    length = onnx.TensorShapeProto.Dimension()
    length.CopyFrom(dims[2])
    dims[2].Clear()
    dims[2].dim_value = 1
    dims.append(length)


def lift_1d(model: onnx.ModelProto) -> bool:
    """Rewrite a 1-D CNN in place as a 2-D one of height 1 (see the module docstring); False if not 1-D."""
    if not is_1d(model):
        return False
    graph = model.graph
    rank3 = _rank3_values(model)
    inits = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type in _WINDOWED:
            _lift_window(node)
            if node.op_type == "Conv" and len(node.input) > 1:
                weight = _weight_initialiser(node.input[1], graph, inits)
                if weight is not None and len(weight.dims) == 3:
                    array = numpy_helper.to_array(weight)
                    weight.CopyFrom(numpy_helper.from_array(np.expand_dims(array, 2), weight.name))
        elif node.op_type in _AXES_OPS + ("Unsqueeze",) and node.input and node.input[0] in rank3:
            _lift_axes_of(node, graph, inits)
    for value in (*graph.input, *graph.output):
        if value.name in rank3:
            _lift_shape(value)
    del graph.value_info[:]
    return True


def _lift_axes_of(node: onnx.NodeProto, graph: onnx.GraphProto, inits: dict) -> None:
    """The `axes` (attribute, or constant second input from opset 13/18) of a Reduce/Squeeze/Unsqueeze."""
    if node.op_type == "Unsqueeze":
        return  # adding an axis to [N, C, 1, L] at a rank-3 position is not a 1-D CNN pattern; left to fail
    for attr in node.attribute:
        if attr.name == "axes":
            _set_ints(node, "axes", _lift_axes(list(attr.ints)))
            return
    if len(node.input) > 1 and node.input[1] in inits:
        tensor = inits[node.input[1]]
        axes = [int(a) for a in numpy_helper.to_array(tensor).reshape(-1)]
        lifted = np.asarray(_lift_axes(axes), dtype=np.int64)
        new_name = f"{tensor.name}__lifted_1d_{node.name or node.output[0]}"
        graph.initializer.append(numpy_helper.from_array(lifted, new_name))
        inits[new_name] = graph.initializer[-1]
        node.input[1] = new_name
