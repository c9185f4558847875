"""Build the unrolled Verilog of a binarised network: ports, each op's logic in program order, outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from fpga_opt.backend.verilog import binary, stream  # noqa: F401  (they register their emitters)
from fpga_opt.backend.verilog.netlist import Netlist, Signal, element_format
from fpga_opt.backend.verilog.registry import VERILOG_EMITTERS
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.errors import FpgaOptError


@dataclass(frozen=True)
class Port:
    """A port of the top module: `count` elements of `width` bits, flat, element e at bits [e*width +: width]."""

    name: str
    width: int
    signed: bool
    count: int
    dims: tuple[int, int, int]
    latency: int = 0
    """Outputs: clocks from a frame on the inputs to its result on this port."""

    @property
    def bits(self) -> int:
        return self.width * self.count


@dataclass(frozen=True)
class VerilogDesign:
    """The text of the unrolled design and its interface."""

    top: str
    text: str
    inputs: list[Port]
    outputs: list[Port]
    units: tuple[str, ...] = ()
    """The sub-modules' texts (one per output element of a binarised layer), in `text` before the top."""
    top_text: str = ""
    """The top module's text alone (it instantiates the units)."""

    @property
    def latency(self) -> int:
        return max((p.latency for p in self.outputs), default=0)


def _network(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.body.block.ops if isinstance(op, func.FuncOp)]
    if len(funcs) != 1:
        raise FpgaOptError(f"emit-verilog: expected one func.func (the network), found {len(funcs)}")
    return funcs[0]


def emit_verilog(module: ModuleOp, weights: Mapping[str, np.ndarray], top: str | None = None) -> VerilogDesign:
    """The unrolled design of the module's network; `weights` its tensors (a `WeightStore`)."""
    fn = _network(module)
    net = Netlist(fn, weights)
    net.used_names.update({"clk", "module", "input", "output", "wire", "reg", "begin", "end", "always", "assign"})
    name = net.fresh(top or fn.sym_name.data)
    block = fn.body.block
    inputs = []
    for i, arg in enumerate(block.args):
        t = arg.type
        if not isinstance(t, df.StreamType):
            raise FpgaOptError(f"emit-verilog: argument {i} is {t}, not a !dataflow.stream")
        width, signed = element_format(t, f"emit-verilog: input {i}")
        port = Port(net.fresh(f"in{i}"), width, signed, t.numel, t.dims)
        inputs.append(port)
        net.alias(arg, Signal(port.name, width, signed, t.numel), 0)
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            continue
        if not isinstance(op, df.DataflowOp):
            raise FpgaOptError(f"'{op.name}': not a dataflow op; only dataflow networks become Verilog")
        VERILOG_EMITTERS.get(op)(net, op)
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp)
    outputs, assigns = [], []
    for j, value in enumerate(ret.operands):
        t = value.type
        assert isinstance(t, df.StreamType)
        sig = net.signal(value)
        port = Port(net.fresh(f"out{j}"), sig.width, sig.signed, sig.count, t.dims, net.depth.get(value, 0))
        outputs.append(port)
        assigns.append(f"  assign {port.name} = {sig.name};")
    header = [
        f"// Unrolled binarised network '{fn.sym_name.data}', written by fpga-opt (backend/verilog).",
        "// One frame per clock; each layer is followed by one register stage.",
        f"// Latency: {max((p.latency for p in outputs), default=0)} clocks.",
        f"module {name} (",
        "  input clk,",
        *[f"  input [{p.bits - 1}:0] {p.name}," for p in inputs],
        *[f"  output [{p.bits - 1}:0] {p.name}{',' if k < len(outputs) - 1 else ''}" for k, p in enumerate(outputs)],
        ");",
    ]
    top_text = "\n".join([*header, *net.body, *assigns, "endmodule", ""])
    text = "\n".join([*net.modules, top_text])
    return VerilogDesign(name, text, inputs, outputs, tuple(net.modules), top_text)
