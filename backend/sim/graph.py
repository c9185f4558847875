"""Elaborate one `func.func` of dataflow ops into the network the simulator runs.

The function's arguments are the network inputs, its `func.return` operands
the outputs; the body is a graph of `dataflow` ops (one per hardware layer).
This module resolves which function to run, gives every op a unique report
name, and reads the function/module attributes at the boundary:

* `dataflow.input_scales` / `dataflow.output_scales` (on the function): one
  float per argument / result, the quantisation scale of an integer stream
  (0.0 marks a float port, as the ONNX frontend writes it);
* `dataflow.input_zero_points` / `dataflow.output_zero_points` (optional,
  default 0): the zero point of each integer port (asymmetric quantisation:
  the host feeds `round(x / scale) + zero_point`, reads `(q - zero_point) * scale`);
* `dataflow.input_names` / `dataflow.output_names`: the ports' names (the
  ONNX graph's), used as `.npz` keys;
* `dataflow.clock_mhz` (on the function or the module): the design clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
)
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Operation, SSAValue

from fpga_opt.dialects.dataflow import DataflowOp, StreamType
from fpga_opt.dialects.errors import FpgaOptError

INPUT_SCALES_ATTR = "dataflow.input_scales"
OUTPUT_SCALES_ATTR = "dataflow.output_scales"
INPUT_ZERO_POINTS_ATTR = "dataflow.input_zero_points"
OUTPUT_ZERO_POINTS_ATTR = "dataflow.output_zero_points"
INPUT_NAMES_ATTR = "dataflow.input_names"
OUTPUT_NAMES_ATTR = "dataflow.output_names"
CLOCK_ATTR = "dataflow.clock_mhz"


@dataclass
class Network:
    """A function of dataflow ops, ready to run."""

    module: ModuleOp
    func: FuncOp
    ops: list[Operation]
    names: dict[Operation, str]
    inputs: list[SSAValue]
    outputs: list[SSAValue]
    input_scales: list[float | None] | None = None
    output_scales: list[float | None] | None = None
    input_names: list[str] | None = None
    output_names: list[str] | None = None
    input_zero_points: list[int] | None = None
    output_zero_points: list[int] | None = None
    clock_mhz: float | None = None
    source: str = field(default="<module>")

    @property
    def input_types(self) -> list[StreamType]:
        return [v.type for v in self.inputs]  # type: ignore[misc]

    @property
    def output_types(self) -> list[StreamType]:
        return [v.type for v in self.outputs]  # type: ignore[misc]

    def name(self, op: Operation) -> str:
        return self.names[op]


def _floats(attr: Attribute | None, what: str) -> list[float] | None:
    """A list of floats from an array/dense/float attribute (None when absent)."""
    if attr is None:
        return None
    if isinstance(attr, FloatAttr | IntegerAttr):
        return [float(attr.value.data)]
    if isinstance(attr, ArrayAttr):
        values = []
        for item in attr.data:
            if not isinstance(item, FloatAttr | IntegerAttr):
                raise FpgaOptError(f"{what} must be a list of numbers, got an element {item}")
            values.append(float(item.value.data))
        return values
    if isinstance(attr, DenseArrayBase):
        return [float(v) for v in attr.get_values()]
    if isinstance(attr, DenseIntOrFPElementsAttr):
        return [float(v) for v in attr.get_values()]
    raise FpgaOptError(f"{what} must be a list of numbers, got {attr}")


def _strings(attr: Attribute | None, n: int) -> list[str] | None:
    """Port names from an array of strings, if it has one per port."""
    if not isinstance(attr, ArrayAttr):
        return None
    names = [a.data for a in attr.data if isinstance(a, StringAttr)]
    return names if len(names) == n else None


def _attr(op: Operation, name: str) -> Attribute | None:
    return op.attributes.get(name) or op.properties.get(name)


def select_func(module: ModuleOp, name: str | None = None) -> FuncOp:
    """The function to simulate: `name`, else the only one, else `main`."""
    funcs = [op for op in module.body.walk() if isinstance(op, FuncOp) and not op.is_declaration]
    if name is not None:
        for f in funcs:
            if f.sym_name.data == name:
                return f
        known = ", ".join(f.sym_name.data for f in funcs) or "none"
        raise FpgaOptError(f"no function @{name} in the module (functions: {known})")
    if len(funcs) == 1:
        return funcs[0]
    if not funcs:
        raise FpgaOptError("the module has no func.func to simulate")
    for f in funcs:
        if f.sym_name.data == "main":
            return f
    known = ", ".join("@" + f.sym_name.data for f in funcs)
    raise FpgaOptError(f"the module has several functions ({known}); choose one with --func")


def elaborate(module: ModuleOp, func: str | None = None, source: str = "<module>") -> Network:
    """Collect the ops, names and boundary attributes of the function to simulate."""
    f = select_func(module, func)
    where = f"@{f.sym_name.data}"
    ops: list[Operation] = []
    outputs: list[SSAValue] = []
    for op in f.body.block.ops:
        if isinstance(op, ReturnOp):
            outputs = list(op.arguments)
            continue
        if not isinstance(op, DataflowOp):
            raise FpgaOptError(f"{where}: '{op.name}' is not a dataflow op; the simulator runs dataflow graphs only")
        ops.append(op)
    inputs = list(f.body.block.args)
    for i, v in enumerate(inputs):
        if not isinstance(v.type, StreamType):
            raise FpgaOptError(f"{where}: argument {i} is {v.type}, not a !dataflow.stream")
    for i, v in enumerate(outputs):
        if not isinstance(v.type, StreamType):
            raise FpgaOptError(f"{where}: result {i} is {v.type}, not a !dataflow.stream")
    if not outputs:
        raise FpgaOptError(f"{where}: the function returns nothing")

    names: dict[Operation, str] = {}
    taken: set[str] = set()
    counts: dict[str, int] = {}
    for op in ops:
        assert isinstance(op, DataflowOp)
        if op.layer is not None and op.layer.data not in taken:
            label = op.layer.data
        else:
            kind = op.name.split(".", 1)[1]
            while True:
                n = counts.get(kind, 0)
                counts[kind] = n + 1
                label = f"{kind}{n}" if op.layer is None else f"{op.layer.data}#{n + 1}"
                if label not in taken:
                    break
        taken.add(label)
        names[op] = label

    in_scales = _floats(_attr(f, INPUT_SCALES_ATTR), f"{where}: {INPUT_SCALES_ATTR}")
    out_scales = _floats(_attr(f, OUTPUT_SCALES_ATTR), f"{where}: {OUTPUT_SCALES_ATTR}")
    if in_scales is not None and len(in_scales) != len(inputs):
        raise FpgaOptError(f"{where}: {INPUT_SCALES_ATTR} has {len(in_scales)} entries for {len(inputs)} arguments")
    if out_scales is not None and len(out_scales) != len(outputs):
        raise FpgaOptError(f"{where}: {OUTPUT_SCALES_ATTR} has {len(out_scales)} entries for {len(outputs)} results")
    in_zps = _floats(_attr(f, INPUT_ZERO_POINTS_ATTR), f"{where}: {INPUT_ZERO_POINTS_ATTR}")
    out_zps = _floats(_attr(f, OUTPUT_ZERO_POINTS_ATTR), f"{where}: {OUTPUT_ZERO_POINTS_ATTR}")
    for zps, ports, attr in ((in_zps, inputs, INPUT_ZERO_POINTS_ATTR), (out_zps, outputs, OUTPUT_ZERO_POINTS_ATTR)):
        if zps is not None and len(zps) != len(ports):
            raise FpgaOptError(f"{where}: {attr} has {len(zps)} entries for {len(ports)} ports")
    in_names = _strings(_attr(f, INPUT_NAMES_ATTR), len(inputs))
    out_names = _strings(_attr(f, OUTPUT_NAMES_ATTR), len(outputs))
    clock = _floats(_attr(f, CLOCK_ATTR) or _attr(module, CLOCK_ATTR), f"{CLOCK_ATTR}")
    return Network(
        module=module,
        func=f,
        ops=ops,
        names=names,
        inputs=inputs,
        outputs=outputs,
        input_scales=None if in_scales is None else [x if x != 0.0 else None for x in in_scales],
        output_scales=None if out_scales is None else [x if x != 0.0 else None for x in out_scales],
        input_zero_points=None if in_zps is None else [int(z) for z in in_zps],
        output_zero_points=None if out_zps is None else [int(z) for z in out_zps],
        input_names=in_names,
        output_names=out_names,
        clock_mhz=clock[0] if clock else None,
        source=source,
    )
