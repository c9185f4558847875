"""Simulate an unrolled design in Icarus Verilog: frames in, one per clock; results out, bit for bit.

A generated testbench reads each input's frames from a hex file (one frame
per line, element e at bits [e*W +: W], two's complement), clocks them in one
per cycle and writes every output's frames, `latency` clocks later, to hex
files that are read back into `(B, H, W, C)` arrays in the element types
fpga-sim uses, so the two can be compared with `np.array_equal`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fpga_opt.backend.verilog.emit import Port, VerilogDesign
from fpga_opt.backend.verilog.tools import find_tool, run_tool
from fpga_opt.dialects.errors import FpgaOptError


def encode_frames(frames: np.ndarray, port: Port) -> str:
    """One hex line per frame: element e of the flattened HWC frame at bits [e*W +: W]."""
    flat = np.asarray(frames).reshape(len(frames), -1).astype(np.int64)
    if flat.shape[1] != port.count:
        raise FpgaOptError(
            f"Verilog simulation: input '{port.name}' needs {port.count} elements per frame, got {flat.shape[1]}"
        )
    mask = (1 << port.width) - 1
    digits = (port.bits + 3) // 4
    lines = []
    for row in flat.tolist():
        word = 0
        for e, v in enumerate(row):
            word |= (v & mask) << (e * port.width)
        lines.append(f"{word:0{digits}x}")
    return "\n".join(lines) + "\n"


def decode_frames(text: str, port: Port, frames: int) -> np.ndarray:
    """The hex lines the testbench wrote, as a `(B, H, W, C)` int64 array."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) != frames:
        raise FpgaOptError(f"Verilog simulation: expected {frames} frames on '{port.name}', got {len(lines)}")
    mask = (1 << port.width) - 1
    out = np.empty((frames, port.count), dtype=np.int64)
    for f, line in enumerate(lines):
        if any(ch in line.lower() for ch in "xz"):
            raise FpgaOptError(
                f"Verilog simulation: output '{port.name}' frame {f} has undefined bits ({line[:32]}...)"
            )
        word = int(line, 16)
        for e in range(port.count):
            v = (word >> (e * port.width)) & mask
            if port.signed and v >> (port.width - 1):
                v -= 1 << port.width
            out[f, e] = v
    return out.reshape(frames, *port.dims)


def testbench(design: VerilogDesign, frames: int) -> str:
    steps = frames + design.latency
    lines = ["`timescale 1ns/1ps", "module tb;", "  reg clk = 0;", "  integer i;"]
    for p in design.inputs:
        lines += [f"  reg [{p.bits - 1}:0] {p.name}_mem [0:{frames - 1}];", f"  reg [{p.bits - 1}:0] {p.name};"]
    for p in design.outputs:
        lines += [f"  wire [{p.bits - 1}:0] {p.name};", f"  integer {p.name}_fd;"]
    ports = ", ".join(["  .clk(clk)"] + [f".{p.name}({p.name})" for p in design.inputs + design.outputs])
    lines.append(f"  {design.top} dut({ports});")
    lines.append("  initial begin")
    for p in design.inputs:
        lines.append(f'    $readmemh("{p.name}.hex", {p.name}_mem);')
    for p in design.outputs:
        lines.append(f'    {p.name}_fd = $fopen("{p.name}.hex", "w");')
    lines.append(f"    for (i = 0; i < {steps}; i = i + 1) begin")
    for p in design.inputs:
        lines.append(f"      {p.name} = {p.name}_mem[i < {frames} ? i : {frames - 1}];")
    lines.append("      #1 clk = 1;")
    lines.append("      #1 clk = 0;")
    for p in design.outputs:
        first = p.latency - 1
        lines.append(f'      if (i >= {first} && i < {first + frames}) $fwrite({p.name}_fd, "%h\\n", {p.name});')
    lines.append("    end")
    for p in design.outputs:
        lines.append(f"    $fclose({p.name}_fd);")
    lines += ["    $finish;", "  end", "endmodule", ""]
    return "\n".join(lines)


def simulate_verilog(
    design: VerilogDesign, inputs: Sequence[np.ndarray], workdir: str | Path | None = None, timeout: float = 600.0
) -> list[np.ndarray]:
    """Run `design` on batches (one per input port, in the ports' element types); one batch per output."""
    iverilog, vvp = find_tool("iverilog"), find_tool("vvp")
    if len(inputs) != len(design.inputs):
        raise FpgaOptError(f"Verilog simulation: the design has {len(design.inputs)} inputs, got {len(inputs)} batches")
    frames = len(inputs[0])
    if frames == 0 or any(len(b) != frames for b in inputs):
        raise FpgaOptError("Verilog simulation: every input needs the same, non-zero number of frames")
    with tempfile.TemporaryDirectory(prefix="fpga-opt-vsim-") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "design.v").write_text(design.text)
        (work / "tb.v").write_text(testbench(design, frames))
        for port, batch in zip(design.inputs, inputs, strict=True):
            (work / f"{port.name}.hex").write_text(encode_frames(batch, port))
        run_tool([iverilog, "-g2012", "-o", "sim.vvp", "tb.v", "design.v"], work, "Verilog simulation", timeout)
        run_tool([vvp, "-n", "sim.vvp"], work, "Verilog simulation", timeout)
        return [decode_frames((work / f"{p.name}.hex").read_text(), p, frames) for p in design.outputs]
