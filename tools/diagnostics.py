"""How every console script reports a user's mistake: one line, exit code 1.

`exit_on_user_error(tool)` wraps a tool's main.  Bad input (FpgaOptError,
xDSL parse and verify errors, unreadable files) prints `tool: error: ...`
on stderr and exits 1.  Anything else is a bug in fpga-opt and keeps its
traceback, so it gets reported rather than mistaken for the user's fault.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xdsl.utils.exceptions import DiagnosticException, ParseError

from fpga_opt.dialects.errors import FpgaOptError


def parse_error_line(error: ParseError) -> str:
    """`file:line:col: message` for an xDSL parse error (which prints several lines)."""
    loc = error.span.get_location()
    return f"{loc.file}:{loc.line}:{loc.col}: {error.msg.strip()}"


def one_line(error: BaseException) -> str:
    """The first line of an error's message, with the file name when it has one."""
    if isinstance(error, ParseError):
        return parse_error_line(error)
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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


def write_atomically(path: str | Path, data: str | bytes) -> None:
    """Write a file so that it is either complete or absent, never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
