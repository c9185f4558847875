"""The unrolled Verilog backend: binarised networks as logic, LUTNet's unrolled form.

Every operator becomes fabric: an XNOR with a constant weight is a wire or
an inverter, a LUTNet operator is one K-input LUT with its learned truth
table, each output's popcount is an adder tree and its threshold a
comparator against a constant.  Each layer ends in a register stage, so the
design takes one frame per clock.

* `emit_verilog(module, weights)` -> `VerilogDesign` (text, ports, latency);
  each op's logic comes from `VERILOG_EMITTERS` (registry.py), one module per
  op family (`binary.py`, `stream.py`);
* `simulate_verilog(design, inputs)` runs it in Icarus Verilog (simulate.py);
* `synthesize(design)` runs yosys `synth_xilinx` and counts LUTs and FFs (synthesis.py);
  `synthesize_per_module(design, cache=...)` the same counts unit by unit, cached.
"""

from fpga_opt.backend.verilog.emit import Port, VerilogDesign, emit_verilog
from fpga_opt.backend.verilog.registry import VERILOG_EMITTERS
from fpga_opt.backend.verilog.simulate import simulate_verilog
from fpga_opt.backend.verilog.synthesis import SynthesisReport, synthesize, synthesize_per_module

__all__ = [
    "VERILOG_EMITTERS",
    "Port",
    "SynthesisReport",
    "VerilogDesign",
    "emit_verilog",
    "simulate_verilog",
    "synthesize",
    "synthesize_per_module",
]
