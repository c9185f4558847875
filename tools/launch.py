"""The console scripts' entry points (pyproject.toml `[project.scripts]`).

Each imports its tool *inside* the error boundary, so that a Ctrl-C while
xDSL, numpy and onnx load (a third of a second) is a one-line interruption
rather than a KeyboardInterrupt traceback.  This module and
`fpga_opt.tools.diagnostics` import only the standard library.

A new tool is a module `tools/fpga_xyz.py` whose `main` is declared with
`@tool_main("fpga-xyz")`, a function here, and a line in pyproject.toml
(`test/pytest/tools/test_boundary.py` checks that the three agree).
"""

from __future__ import annotations

import importlib
import sys

from fpga_opt.tools.diagnostics import error_boundary

TOOLS = {
    "fpga-opt": "fpga_opt.tools.fpga_opt",
    "fpga-translate": "fpga_opt.tools.fpga_translate",
    "fpga-sim": "fpga_opt.tools.fpga_sim",
    "fpga-report": "fpga_opt.tools.fpga_report",
    "fpga-compile": "fpga_opt.tools.fpga_compile",
    "fpga-profile-exits": "fpga_opt.tools.fpga_profile_exits",
}
"""Console script name -> the module whose `main` it runs."""


def launch(tool: str) -> None:
    """Import the tool and run its `main` (which has its own boundary) inside the boundary."""
    argv = sys.argv[1:]
    with error_boundary(tool, argv):
        importlib.import_module(TOOLS[tool]).main(argv)


def fpga_opt() -> None:
    launch("fpga-opt")


def fpga_translate() -> None:
    launch("fpga-translate")


def fpga_sim() -> None:
    launch("fpga-sim")


def fpga_report() -> None:
    launch("fpga-report")


def fpga_compile() -> None:
    launch("fpga-compile")


def fpga_profile_exits() -> None:
    launch("fpga-profile-exits")
