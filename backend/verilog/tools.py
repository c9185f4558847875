"""Finding the external tools (Icarus Verilog, yosys) and running them with one-line errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fpga_opt.dialects.errors import FpgaOptError

INSTALL_HINT = "apt-get install iverilog yosys (or `make verilog-tools`)"


def find_tool(name: str) -> str:
    """The path of `name`, or a one-line error saying how to install it."""
    path = shutil.which(name)
    if path is None:
        raise FpgaOptError(f"{name}: not found on PATH; the Verilog backend needs it ({INSTALL_HINT})")
    return path


def have_tools(*names: str) -> bool:
    return all(shutil.which(n) is not None for n in names)


def run_tool(args: list[str], cwd: Path, what: str, timeout: float) -> str:
    """Run a tool; its stdout, or a one-line error with the last line it printed."""
    try:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise FpgaOptError(f"{what}: {Path(args[0]).name} did not finish within {timeout:g} s") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else f"exit code {done.returncode}"
        raise FpgaOptError(f"{what}: {Path(args[0]).name} failed: {last}")
    return done.stdout
