"""How every console script reports a user's mistake: one line, exit code 1.

`exit_on_user_error(tool)` wraps a tool's main.  Bad input (FpgaOptError,
xDSL parse and verify errors, unreadable files) prints `tool: error: ...`
on stderr and exits 1.  Anything else is a bug in fpga-opt and keeps its
traceback, so it gets reported rather than mistaken for the user's fault.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from xdsl.utils.exceptions import DiagnosticException, ParseError

from fpga_opt.dialects.errors import FpgaOptError, one_line


@contextmanager
def exit_on_user_error(tool: str) -> Iterator[None]:
    """Turn bad-input exceptions into `tool: error: <one line>` and exit code 1."""
    try:
        yield
    except (FpgaOptError, ParseError, DiagnosticException, OSError) as error:
        print(f"{tool}: error: {one_line(error)}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except SystemExit as done:
        # argparse exits 2 on a bad command line; the project promises 1.
        if done.code == 2:
            raise SystemExit(1) from None
        raise
