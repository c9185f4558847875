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

import _signal  # built in (no file to read): the start-up handlers below are in place at once
import os
import sys

_SIGNAL_NAMES = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM"}


def _stopped_while_loading(signum: int, _frame: object) -> None:
    # Nothing has been written yet: say so in one line and stop.
    tool = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "fpga-opt"
    os.write(2, f"{tool}: error: interrupted by {_SIGNAL_NAMES.get(signum, signum)}\n".encode())
    os._exit(128 + signum)


if os.path.basename(sys.argv[0] if sys.argv else "").startswith("fpga-"):  # a console script, not an import
    for _signum in _SIGNAL_NAMES:
        _signal.signal(_signum, _stopped_while_loading)

import importlib  # noqa: E402 - after the handlers, so a Ctrl-C while these load is one line
import signal  # noqa: E402

TOOLS = {
    "fpga-opt": "fpga_opt.tools.fpga_opt",
    "fpga-translate": "fpga_opt.tools.fpga_translate",
    "fpga-sim": "fpga_opt.tools.fpga_sim",
    "fpga-report": "fpga_opt.tools.fpga_report",
    "fpga-compile": "fpga_opt.tools.fpga_compile",
    "fpga-profile-exits": "fpga_opt.tools.fpga_profile_exits",
    "fpga-trace": "fpga_opt.tools.fpga_trace",
    "fpga-explore": "fpga_opt.tools.fpga_explore",
}
"""Console script name -> the module whose `main` it runs."""


def launch(tool: str) -> None:
    """Import the tool and run its `main` (which has its own boundary) inside the boundary."""

    def stopped_during_start_up(signum: int, _frame: object) -> None:
        # Until the boundary takes over nothing has been written: say so in one line and stop.
        os.write(2, f"{tool}: error: interrupted by {signal.Signals(signum).name}\n".encode())
        os._exit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopped_during_start_up)
    from fpga_opt.tools.diagnostics import error_boundary

    argv = sys.argv[1:]
    try:
        with error_boundary(tool, argv):
            importlib.import_module(TOOLS[tool]).main(argv)
    finally:
        # The outcome is decided and printed; a signal while the interpreter shuts down changes nothing.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)


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


def fpga_explore() -> None:
    launch("fpga-explore")


def fpga_trace() -> None:
    launch("fpga-trace")
