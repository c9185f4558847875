"""ONNX to `dataflow`: the entry points of the frontend.

    imported = import_onnx("lenet5.onnx")               # module + weights, nothing written
    write_import(imported, "out/lenet5.mlir")           # out/lenet5.weights.npz, then out/lenet5.mlir

The module holds one `func.func`, named after the graph, whose arguments are
the graph inputs and whose results are the graph outputs, in order.  Its
attributes tell the tools how to talk to the float world:

* `dataflow.input_names`, `dataflow.output_names`: the ONNX names, in order
  (for an early-exit model the output order is the exit order);
* `dataflow.exits`: the number of outputs, when there are several;
* `dataflow.input_scales`, `dataflow.output_scales` (quantised graphs): the
  host feeds `clamp(round_half_even(x / scale), lo, hi)` of the argument's
  type and reads results as `q * scale` (0.0 marks a float port);
* `dataflow.input_zero_points`, `dataflow.output_zero_points` (asymmetric
  quantised graphs): the integer standing for 0.0 at each port;
* `dataflow.onnx_tensors` (with `record_tensors`): layer -> the ONNX tensor it
  computes (tensor_map.py), what fpga-trace compares with onnxruntime;
* `dataflow.dropped_softmax`: the outputs whose final Softmax was dropped
  (quantised graphs only: the logits are returned, argmax is unchanged).

The module attribute `dataflow.weights` names the sidecar `.npz`, relative to
the IR file.  Nothing is written unless the whole import succeeded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute
from xdsl.printer import Printer

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import write_atomically
from fpga_opt.dialects.weights import WEIGHTS_ATTR, save_weights
from fpga_opt.frontend import tensor_map
from fpga_opt.frontend.builder import float_array, int_array, int_attr, string_array
from fpga_opt.frontend.context import ImportContext
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.loader import load_graph
from fpga_opt.frontend.lowering import lower
from fpga_opt.frontend.values import DroppedSoftmax, GraphInput, Poison, Stream, Unreadable

INPUT_NAMES = "dataflow.input_names"
OUTPUT_NAMES = "dataflow.output_names"
EXITS = "dataflow.exits"
INPUT_SCALES = "dataflow.input_scales"
OUTPUT_SCALES = "dataflow.output_scales"
INPUT_ZERO_POINTS = "dataflow.input_zero_points"
OUTPUT_ZERO_POINTS = "dataflow.output_zero_points"
DROPPED_SOFTMAX = "dataflow.dropped_softmax"
SIDECAR_SUFFIX = ".weights.npz"


@dataclass
class ImportedModel:
    """An imported model: the IR (without `dataflow.weights` yet) and its weight tensors."""

    module: ModuleOp
    weights: dict[str, np.ndarray]

    @property
    def func(self) -> FuncOp:
        op = self.module.body.block.first_op
        assert isinstance(op, FuncOp)
        return op


def import_onnx(
    path: str | Path, input_shapes: Mapping[str, tuple[int, ...]] | None = None, record_tensors: bool = False
) -> ImportedModel:
    """Import the ONNX model at `path`; raises one FpgaOptError for every kind of bad input.

    `record_tensors` writes `dataflow.onnx_tensors` (which ONNX tensor each layer computes, for
    fpga-trace) on the function.
    """
    graph = load_graph(path, input_shapes)
    ctx = lower(graph)
    results, out_scales, out_zps, dropped = [], [], [], []
    for name in graph.outputs:
        value = ctx.values.get(name)
        if isinstance(value, Poison):
            continue
        if isinstance(value, Unreadable):
            ctx.issues.add(
                value.op,
                value.node,
                value.opset,
                f"its output '{name}' is a graph output; only its first output is supported",
            )
            continue
        if isinstance(value, DroppedSoftmax):
            dropped.append(name)
            value = value.inner
        try:
            stream = _output_stream(ctx, value)
        except Unsupported as error:
            ctx.issues.add("output", name, graph.opset(""), str(error))
            continue
        results.append(stream.ssa)
        out_scales.append(stream.scale if stream.is_int else 0.0)
        out_zps.append(stream.zero_point if stream.is_int else 0)
    if ctx.issues:
        raise ctx.issues.error(graph.path)
    for gi in ctx.inputs:
        if gi.stream is None:  # an input nothing reads still belongs to the signature
            try:
                ctx.input_stream(gi)
            except Unsupported as error:
                ctx.issues.add("input", gi.name, graph.opset(""), str(error))
    if ctx.issues:
        raise ctx.issues.error(graph.path)
    in_scales = [gi.stream.scale if gi.stream.is_int else 0.0 for gi in ctx.inputs]
    attributes: dict[str, Attribute] = {
        INPUT_NAMES: string_array([gi.name for gi in ctx.inputs]),
        OUTPUT_NAMES: string_array(graph.outputs),
    }
    if len(graph.outputs) > 1:
        attributes[EXITS] = int_attr(len(graph.outputs))
    if any(s != 0.0 for s in in_scales + out_scales):
        attributes[INPUT_SCALES] = float_array(in_scales)
        attributes[OUTPUT_SCALES] = float_array(out_scales)
    in_zps = [gi.stream.zero_point if gi.stream.is_int else 0 for gi in ctx.inputs]
    if any(in_zps + out_zps):
        attributes[INPUT_ZERO_POINTS] = int_array(in_zps)
        attributes[OUTPUT_ZERO_POINTS] = int_array(out_zps)
    if dropped:
        attributes[DROPPED_SOFTMAX] = string_array(dropped)
    found = tensor_map.candidates(ctx.values)
    func = ctx.b.finish(graph.name, results, attributes)
    if record_tensors:
        tensor_map.attach(func, found, ctx.b.replaced)
    module = ModuleOp([func])
    module.verify()
    return ImportedModel(module, ctx.b.weights)


def _output_stream(ctx: ImportContext, value) -> Stream:
    if isinstance(value, GraphInput):
        return ctx.input_stream(value)
    stream = ctx.stream(value, None)
    if stream.flat:
        raise Unsupported(
            "is a flattened feature map; outputs must be feature maps [1, C, H, W] (streamed HWC) or vectors"
        )
    return stream


def sidecar_for(ir_path: str | Path) -> Path:
    """`out/model.mlir` -> `out/model.weights.npz`."""
    ir_path = Path(ir_path)
    return ir_path.with_name(ir_path.stem + SIDECAR_SUFFIX)


def attach_sidecar(module: ModuleOp, sidecar: str | Path, ir_dir: str | Path) -> None:
    """Set `dataflow.weights` to the sidecar's path relative to the IR file's directory."""
    relative = os.path.relpath(Path(sidecar).absolute(), Path(ir_dir).absolute())
    module.attributes[WEIGHTS_ATTR] = StringAttr(Path(relative).as_posix())


def module_text(module: ModuleOp) -> str:
    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def write_import(imported: ImportedModel, ir_path: str | Path, sidecar: str | Path | None = None) -> Path:
    """Write the sidecar, then the IR (both atomically); returns the sidecar's path."""
    ir_path = Path(ir_path)
    sidecar = Path(sidecar) if sidecar is not None else sidecar_for(ir_path)
    attach_sidecar(imported.module, sidecar, ir_path.parent)
    text = module_text(imported.module)
    save_weights(sidecar, imported.weights)
    write_atomically(ir_path, text)
    return sidecar


def parse_input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """`--input-shape input:1x3x32x32` -> ("input", (1, 3, 32, 32))."""
    name, sep, dims = text.rpartition(":")
    try:
        shape = tuple(int(d) for d in dims.lower().split("x"))
    except ValueError:
        shape = ()
    if not sep or not name or not shape or min(shape) < 1:
        raise FpgaOptError(f"--input-shape '{text}': expected NAME:DIMS with positive dims, e.g. input:1x3x32x32")
    return name, shape


def parse_input_shapes(texts: list[str]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for text in texts:
        name, shape = parse_input_shape(text)
        if name in shapes:
            raise FpgaOptError(f"--input-shape gives input '{name}' twice")
        shapes[name] = shape
    return shapes


def import_for_opt(
    input_file: str | None,
    output_file: str | None,
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    defer: Callable[[Callable[[], None]], None] | None = None,
) -> ModuleOp:
    """fpga-opt's `.onnx` frontend: import, then write the sidecar where the IR will refer to it.

    With `-o out/x.mlir` the sidecar is `out/x.weights.npz`; printing to stdout
    it is `<model stem>.weights.npz` beside the ONNX file, and `dataflow.weights`
    is relative to the current directory (where a redirected output lands).
    `defer` lets the driver write the sidecar only once the IR itself is written,
    so a failing pass leaves no files behind.
    """
    if input_file is None:
        raise FpgaOptError("an ONNX model must be given as a file name (its external data and sidecar live beside it)")
    imported = import_onnx(input_file, input_shapes)
    if output_file is not None:
        sidecar, ir_dir = sidecar_for(output_file), Path(output_file).parent
    else:
        onnx_path = Path(input_file)
        sidecar, ir_dir = onnx_path.with_name(onnx_path.stem + SIDECAR_SUFFIX), Path.cwd()
    attach_sidecar(imported.module, sidecar, ir_dir)
    if defer is None:
        save_weights(sidecar, imported.weights)
    else:
        defer(lambda: save_weights(sidecar, imported.weights))
    return imported.module
