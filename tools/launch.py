"""How every console script starts: `fpga-launch TOOL ARGS...`, exec'd by a shell launcher.

Each console script (`fpga-opt`, `fpga-sim`...) is a POSIX shell script,
`tools/launchers/TOOL`, installed by pyproject.toml's `script-files`.  It does
`trap '' INT` and execs the `fpga-launch` entry point beside it
(`[project.scripts]`), which runs `main` below.  Why a shell script: CPython
installs its own SIGINT handler (the one that raises KeyboardInterrupt) at
interpreter start-up only when SIGINT's disposition is the default
(Modules/signalmodule.c, `signal_get_set_handlers`).  Started with SIGINT
ignored, the interpreter's start-up (`site`, the editable install's import
hook, the entry-point shim's own import) cannot print a KeyboardInterrupt
traceback: a Ctrl-C in those first tens of milliseconds is ignored.  The first
lines of this module then install a handler that says one line and stops, and
`launch` runs the tool inside the error boundary
(`fpga_opt.tools.diagnostics`).  A signal before the shell's `trap` kills the
shell silently, as it would any program.

So that the handler is in place at once, this module and
`fpga_opt.tools.diagnostics` import only the standard library; the tool
itself (xDSL, numpy and onnx: a third of a second) is imported inside the
boundary.

A new tool is a module `tools/fpga_xyz.py` whose `main` is declared with
`@tool_main("fpga-xyz")`, a line in `TOOLS` below, a launcher
`tools/launchers/fpga-xyz` (a copy of another with the name changed) and a
line in pyproject.toml's `script-files` (`test/pytest/tools/test_boundary.py`
checks that the four agree).
"""

from __future__ import annotations

import _signal  # built in (no file to read): the start-up handlers below are in place at once
import os
import sys

LAUNCHER = "fpga-launch"
"""The entry point the shell launchers exec (pyproject.toml `[project.scripts]`)."""

_SIGNAL_NAMES = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM"}


def _started_as_launcher() -> bool:
    return bool(sys.argv) and os.path.basename(sys.argv[0]) == LAUNCHER


def _stop_in_one_line(tool: str):
    """A SIGINT/SIGTERM handler for while nothing has been written yet: say so in one line and stop."""

    def stop(signum: int, _frame: object) -> None:
        os.write(2, f"{tool}: error: interrupted by {_SIGNAL_NAMES.get(signum, signum)}\n".encode())
        os._exit(128 + signum)

    return stop


if _started_as_launcher():  # a console script, not an import
    _stop_while_loading = _stop_in_one_line(sys.argv[1] if len(sys.argv) > 1 else LAUNCHER)
    for _signum in _SIGNAL_NAMES:
        _signal.signal(_signum, _stop_while_loading)

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


def main() -> None:
    """`fpga-launch TOOL ARGS...`: run TOOL as if it had been started as `TOOL ARGS...`."""
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS:
        given = repr(sys.argv[1]) if len(sys.argv) > 1 else "nothing"
        os.write(
            2,
            f"{LAUNCHER}: error: expected a tool name, got {given}; this is the console scripts' "
            f"launcher: run the tool itself ({', '.join(TOOLS)})\n".encode(),
        )
        sys.exit(1)
    tool = sys.argv[1]
    sys.argv[0:2] = [os.path.join(os.path.dirname(sys.argv[0]), tool)]  # argparse's prog, as a user typed it
    launch(tool)


def launch(tool: str) -> None:
    """Import the tool and run its `main` (which has its own boundary) inside the boundary."""

    stop_until_the_boundary = _stop_in_one_line(tool)  # nothing is written until the boundary takes over
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_until_the_boundary)
    from fpga_opt.tools.diagnostics import error_boundary

    argv = sys.argv[1:]
    try:
        with error_boundary(tool, argv):
            importlib.import_module(TOOLS[tool]).main(argv)
    finally:
        # The outcome is decided and printed; a signal while the interpreter shuts down changes nothing.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
