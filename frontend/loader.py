"""Reading an ONNX file into a checked, batch-1, statically shaped graph.

Everything that can be wrong with the *file* is found here, each with a
one-line `FpgaOptError` naming the file: unreadable or corrupted bytes,
missing or truncated external-data files, an opset below 11 that
onnx.version_converter cannot convert (it converts the others), a tensor
whose data does not match its dims or whose data_type is unknown, an
attribute of the wrong type for its op (Flatten `axis` given as INTS), a
dynamic input dimension without `--input-shape`, a dangling tensor name, a
cycle.
What can be wrong with the *nodes* is found later, all at once (issues.py).

The result is the graph reduced to what the outputs need, in topological
order, with every graph input fixed to a static shape (a symbolic batch
dimension becomes 1), use counts per tensor, and the shapes that
`onnx.shape_inference` derives (used to cross-check the importer's own).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import onnx
from onnx import numpy_helper

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.lift_1d import lift_1d

MIN_OPSET = 11
MAX_TESTED_OPSET = 18
DEFAULT_DOMAINS = ("", "ai.onnx")
SMALL_INITIALISER = 64
"""Initialisers up to this many elements stay in the model given to shape inference (shape constants)."""
MAX_TENSOR_ELEMENTS = 2**31
"""Most elements a tensor may claim (8 GiB of float32): larger dims are a corrupted file, not a CNN."""


@dataclass
class OnnxGraph:
    """A loaded model, ready for lowering."""

    path: str
    """How to name the file in messages."""
    name: str
    nodes: list[onnx.NodeProto]
    """The nodes the outputs depend on, in topological order."""
    initialisers: dict[str, onnx.TensorProto]
    inputs: list[tuple[str, tuple[int, ...], int]]
    """(name, static shape, ONNX element type) of the real graph inputs, in order."""
    outputs: list[str]
    opsets: dict[str, int]
    uses: Counter[str]
    """How many node inputs and graph outputs read each tensor."""
    inferred: dict[str, tuple[int, ...]]
    """Static shapes from onnx.shape_inference (only where fully known)."""

    def opset(self, domain: str) -> int:
        if domain in DEFAULT_DOMAINS:
            return self.opsets.get("", self.opsets.get("ai.onnx", 0))
        return self.opsets.get(domain, 1)

    def constant(self, name: str) -> np.ndarray:
        return numpy_helper.to_array(self.initialisers[name])


def load_graph(path: str | Path, input_shapes: Mapping[str, tuple[int, ...]] | None = None) -> OnnxGraph:
    """Load, check and prepare the model at `path` (see the module docstring)."""
    path = Path(path)
    where = str(path)
    model = _parse(path, where)
    _load_external_data(model, path.parent, where)
    opsets = {o.domain: o.version for o in model.opset_import}
    version = opsets.get("", opsets.get("ai.onnx"))
    if version is None:
        raise FpgaOptError(f"{where}: the model imports no default ONNX opset")
    if version > onnx.defs.onnx_opset_version():
        raise FpgaOptError(
            f"{where}: opset {version} is newer than any the installed onnx {onnx.__version__} knows "
            f"(up to {onnx.defs.onnx_opset_version()}): a corrupted file, or a newer onnx is needed"
        )
    if version < MIN_OPSET:
        model = _convert_opset(model, version, where)
        opsets = {o.domain: o.version for o in model.opset_import}
    overrides = dict(input_shapes or {})
    if lift_1d(model):  # a 1-D CNN is imported as a 2-D one of height 1 (lift_1d.py)
        overrides = {k: (*v[:2], 1, *v[2:]) if len(v) == 3 else v for k, v in overrides.items()}
    graph = model.graph
    for tensor in _all_tensors(graph):
        _check_tensor(tensor, where)
    _check_attribute_types(graph, opsets, where)
    initialisers = {t.name: t for t in graph.initializer}
    inputs = _fix_input_shapes(graph, initialisers, overrides, where)
    outputs = [o.name for o in graph.output]
    if not outputs:
        raise FpgaOptError(f"{where}: the graph has no outputs")
    if len(set(outputs)) != len(outputs):
        raise FpgaOptError(f"{where}: the graph lists an output twice")
    nodes = _sorted_live_nodes(graph, initialisers, [name for name, _, _ in inputs], outputs, where)
    uses: Counter[str] = Counter()
    for node in nodes:
        uses.update(name for name in node.input if name)
    uses.update(outputs)
    inferred = _infer_shapes(model, nodes, initialisers, inputs, where)
    return OnnxGraph(
        path=where,
        name=graph.name,
        nodes=nodes,
        initialisers=initialisers,
        inputs=inputs,
        outputs=outputs,
        opsets=opsets,
        uses=uses,
        inferred=inferred,
    )


CONVERT_TO_OPSET = 13
"""Models below MIN_OPSET are converted to this opset (onnx.version_converter) before import."""


def _convert_opset(model: onnx.ModelProto, version: int, where: str) -> onnx.ModelProto:
    """The model in opset CONVERT_TO_OPSET, or one line naming the node whose op the converter cannot move."""
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, CONVERT_TO_OPSET)
    except Exception as error:  # the converter raises RuntimeError/ConvertError/ValueError with C++ text
        text = _first_line(error)
        node = _unconvertible_node(model)
        culprit = f" at {node.op_type} '{node.name or node.output[0]}'" if node is not None else ""
        raise FpgaOptError(
            f"{where}: cannot convert opset {version} to {CONVERT_TO_OPSET}{culprit} (onnx.version_converter: "
            f"{text}); re-export the model with opset {MIN_OPSET} or newer"
        ) from None


def _unconvertible_node(model: onnx.ModelProto) -> onnx.NodeProto | None:
    """The first node the converter cannot move on its own (the converter's own message rarely names it)."""
    from onnx import version_converter

    for node in model.graph.node:
        names = [n for n in node.input if n]
        graph = onnx.helper.make_graph(
            [node],
            "probe",
            [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in names],
            [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in node.output if n],
        )
        probe = onnx.helper.make_model(graph, opset_imports=list(model.opset_import))
        try:
            version_converter.convert_version(probe, CONVERT_TO_OPSET)
        except Exception:
            return node
    return None


def _parse(path: Path, where: str) -> onnx.ModelProto:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise FpgaOptError(f"{where}: is a directory, not an ONNX file") from None
    except OSError as error:
        raise FpgaOptError(f"{where}: cannot read the model ({error.strerror or error})") from None
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as error:  # protobuf's DecodeError and friends
        raise FpgaOptError(f"{where}: not a valid ONNX file (corrupted protobuf: {_first_line(error)})") from None
    if model.ir_version <= 0 or not model.HasField("graph") or not model.graph.node:
        raise FpgaOptError(f"{where}: not a valid ONNX file (no ir_version or no graph nodes; empty or corrupted?)")
    return model


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _load_external_data(model: onnx.ModelProto, base_dir: Path, where: str) -> None:
    """Read tensors stored in external files, with a clear error for each way that can fail."""
    for tensor in _all_tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location")
        if not location:
            raise FpgaOptError(f"{where}: initializer '{tensor.name}' has external data without a location")
        file = base_dir / location
        if Path(location).is_absolute() or ".." in Path(location).parts:
            raise FpgaOptError(
                f"{where}: external data '{location}' of initializer '{tensor.name}' must be a relative path "
                "inside the model's directory"
            )
        try:
            offset = int(info.get("offset", 0))
            length = int(info["length"]) if "length" in info else None
        except ValueError:
            raise FpgaOptError(
                f"{where}: initializer '{tensor.name}' has a malformed external-data offset/length"
            ) from None
        try:
            with open(file, "rb") as f:
                f.seek(offset)
                data = f.read() if length is None else f.read(length)
        except FileNotFoundError:
            raise FpgaOptError(
                f"{where}: external data file '{location}' of initializer '{tensor.name}' not found (looked in {base_dir})"
            ) from None
        except OSError as error:
            raise FpgaOptError(
                f"{where}: cannot read external data file '{location}' of initializer '{tensor.name}' "
                f"({error.strerror or error})"
            ) from None
        expected = _byte_size(tensor)
        if (length is not None and len(data) != length) or (expected is not None and len(data) != expected):
            want = expected if expected is not None else length
            raise FpgaOptError(
                f"{where}: external data file '{location}' is truncated: initializer '{tensor.name}' needs "
                f"{want} bytes at offset {offset}, found {len(data)}"
            )
        tensor.raw_data = data
        del tensor.external_data[:]
        tensor.data_location = onnx.TensorProto.DEFAULT


def _all_tensors(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                yield attr.t


def _check_tensor(tensor: onnx.TensorProto, where: str) -> None:
    """Its data_type is known and its data holds exactly prod(dims) elements."""
    what = f"{where}: tensor '{tensor.name}'"
    try:
        onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)
    except (KeyError, ValueError, TypeError):
        raise FpgaOptError(f"{what} has an unknown data_type {tensor.data_type}") from None
    if any(d < 0 for d in tensor.dims):
        raise FpgaOptError(f"{what} has a negative dimension in {list(tensor.dims)}")
    count = math.prod(tensor.dims)
    if count > MAX_TENSOR_ELEMENTS:
        raise FpgaOptError(
            f"{what} claims {count:,} elements (dims {list(tensor.dims)}); the limit is {MAX_TENSOR_ELEMENTS:,}"
        )
    try:
        size = numpy_helper.to_array(tensor).size
    except Exception as error:  # the data and the dims disagree in one of many ways (ValueError, TypeError...)
        raise FpgaOptError(
            f"{what}: its data does not match its dims {list(tensor.dims)} and data_type "
            f"{onnx.TensorProto.DataType.Name(tensor.data_type)} ({_first_line(error)})"
        ) from None
    if size != count:
        raise FpgaOptError(f"{what} holds {size} elements but its dims {list(tensor.dims)} need {count}")


def _check_attribute_types(graph: onnx.GraphProto, opsets: dict[str, int], where: str) -> None:
    """Every attribute of a standard op has the type its schema declares (Flatten axis: INT, not INTS)."""
    version = opsets.get("", opsets.get("ai.onnx", 0))
    for node in graph.node:
        if node.domain not in DEFAULT_DOMAINS:
            continue
        try:
            schema = onnx.defs.get_schema(node.op_type, version, "")
        except onnx.defs.SchemaError:
            continue  # an unknown op: the importer reports it with the other unsupported ops
        for attr in node.attribute:
            declared = schema.attributes.get(attr.name)
            if declared is None or int(declared.type.value) in (0, attr.type):
                continue
            names = onnx.AttributeProto.AttributeType
            raise FpgaOptError(
                f"{where}: node '{node.name}' ({node.op_type}): attribute '{attr.name}' must be "
                f"{names.Name(int(declared.type.value))}, got {names.Name(attr.type) if attr.type in names.values() else attr.type}"
            )


def _byte_size(tensor: onnx.TensorProto) -> int | None:
    try:
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, ValueError, TypeError):
        return None
    return math.prod(tensor.dims) * itemsize


def _fix_input_shapes(
    graph: onnx.GraphProto,
    initialisers: dict[str, onnx.TensorProto],
    overrides: dict[str, tuple[int, ...]],
    where: str,
) -> list[tuple[str, tuple[int, ...], int]]:
    """Static shapes for the real inputs: a symbolic batch is 1, other dynamic dims need --input-shape."""
    real = [value for value in graph.input if value.name not in initialisers]
    names = [value.name for value in real]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise FpgaOptError(
            f"{where}: --input-shape names no graph input {', '.join(repr(u) for u in unknown)} "
            f"(the inputs are {', '.join(repr(n) for n in names)})"
        )
    fixed = []
    for value in real:
        tensor_type = value.type.tensor_type
        if not value.type.HasField("tensor_type"):
            raise FpgaOptError(f"{where}: input '{value.name}' is not a tensor")
        dims = list(tensor_type.shape.dim) if tensor_type.HasField("shape") else None
        if value.name in overrides:
            shape = overrides[value.name]
            if dims is not None:
                if len(dims) != len(shape):
                    raise FpgaOptError(
                        f"{where}: --input-shape gives input '{value.name}' {len(shape)} dimensions, "
                        f"the model {len(dims)}"
                    )
                for axis, (dim, size) in enumerate(zip(dims, shape, strict=True)):
                    fixed_size = dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None
                    if axis > 0 and fixed_size is not None and fixed_size != size:
                        raise FpgaOptError(
                            f"{where}: --input-shape gives input '{value.name}' size {size} in dimension {axis}, "
                            f"but the model fixes it to {fixed_size}"
                        )
        else:
            if dims is None:
                raise FpgaOptError(
                    f"{where}: input '{value.name}' has no shape; give it with --input-shape {value.name}:1x3x32x32"
                )
            shape = []
            for axis, dim in enumerate(dims):
                if dim.HasField("dim_value") and dim.dim_value > 0:
                    shape.append(dim.dim_value)
                elif axis == 0:
                    shape.append(1)  # a symbolic batch dimension: fpga-opt compiles batch 1
                else:
                    label = f"'{dim.dim_param}'" if dim.HasField("dim_param") and dim.dim_param else "?"
                    raise FpgaOptError(
                        f"{where}: input '{value.name}' has a dynamic dimension {label} (axis {axis}); "
                        f"give its shape with --input-shape {value.name}:{_example_shape(dims)}"
                    )
            shape = tuple(shape)
        del tensor_type.shape.dim[:]
        for size in shape:
            tensor_type.shape.dim.add().dim_value = size
        fixed.append((value.name, tuple(shape), tensor_type.elem_type))
    return fixed


def _example_shape(dims) -> str:
    return "x".join(
        "1" if axis == 0 else (str(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else "N")
        for axis, d in enumerate(dims)
    )


def _sorted_live_nodes(
    graph: onnx.GraphProto,
    initialisers: dict[str, onnx.TensorProto],
    inputs: list[str],
    outputs: list[str],
    where: str,
) -> list[onnx.NodeProto]:
    """The nodes the outputs depend on, topologically sorted (stable: ONNX order when it is valid)."""
    producer: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for name in node.output:
            if not name:
                continue
            if name in producer or name in initialisers or name in inputs:
                raise FpgaOptError(f"{where}: tensor '{name}' is produced twice (by node '{node.name}' and another)")
            producer[name] = index
    available = set(initialisers) | set(inputs)
    for name in outputs:
        if name not in producer and name not in available:
            raise FpgaOptError(f"{where}: graph output '{name}' is produced by no node")
    live: set[int] = set()
    stack = [producer[name] for name in outputs if name in producer]
    while stack:
        index = stack.pop()
        if index in live:
            continue
        live.add(index)
        node = graph.node[index]
        for name in node.input:
            if not name:
                continue
            if name in producer:
                stack.append(producer[name])
            elif name not in available:
                raise FpgaOptError(
                    f"{where}: node '{node.name}' ({node.op_type}) reads tensor '{name}', which no node, "
                    "input or initializer provides"
                )
    # The live nodes in dependence order, the smallest original index first among the ready ones.
    flow = nx.DiGraph()
    flow.add_nodes_from(live)
    flow.add_edges_from((producer[n], index) for index in live for n in graph.node[index].input if n in producer)
    try:
        order = list(nx.lexicographical_topological_sort(flow))
    except nx.NetworkXUnfeasible:
        raise FpgaOptError(f"{where}: the graph has a cycle") from None
    return [graph.node[index] for index in order]


def _infer_shapes(
    model: onnx.ModelProto,
    nodes: list[onnx.NodeProto],
    initialisers: dict[str, onnx.TensorProto],
    inputs: list[tuple[str, tuple[int, ...], int]],
    where: str,
) -> dict[str, tuple[int, ...]]:
    """Run onnx.shape_inference on a light copy of the graph (large initialisers become typed inputs)."""
    light = onnx.ModelProto()
    light.ir_version = max(model.ir_version, 4)
    light.opset_import.extend(model.opset_import)
    graph = light.graph
    graph.name = model.graph.name or "graph"
    graph.node.extend(nodes)
    real_inputs = {name for name, _, _ in inputs}
    graph.input.extend(value for value in model.graph.input if value.name in real_inputs)
    needed = {name for node in nodes for name in node.input}
    for name in sorted(needed & set(initialisers)):
        tensor = initialisers[name]
        if math.prod(tensor.dims) <= SMALL_INITIALISER:
            graph.initializer.append(tensor)
        else:
            graph.input.append(onnx.helper.make_tensor_value_info(name, tensor.data_type, list(tensor.dims)))
    for output in model.graph.output:
        value = graph.output.add()
        value.name = output.name
        if output.type.HasField("tensor_type"):
            value.type.tensor_type.elem_type = output.type.tensor_type.elem_type
    try:
        inferred = onnx.shape_inference.infer_shapes(light, strict_mode=True, data_prop=True)
    except Exception as error:  # InferenceError, ValidationError, RuntimeError from the C++ checker
        raise FpgaOptError(f"{where}: invalid model: shape inference failed: {_first_line(error)}") from None
    shapes: dict[str, tuple[int, ...]] = {}
    for value in [*inferred.graph.value_info, *inferred.graph.output]:
        tensor_type = value.type.tensor_type
        if not tensor_type.HasField("shape"):
            continue
        dims = tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[value.name] = tuple(d.dim_value for d in dims)
    return shapes
