"""The one exception type for bad user input.

Everything a user can get wrong (a broken ONNX file, an unsupported op, a bad
pass option, a design that cannot fit) raises `FpgaOptError` with a single
line saying what, where and why.  The console scripts catch it, print that line
and exit with code 1: users never see a traceback for their own mistakes.
It derives from xDSL's `DiagnosticException` so that `--verify-diagnostics`
prints it like any verifier error.
"""

from xdsl.utils.exceptions import DiagnosticException, ParseError


class FpgaOptError(DiagnosticException):
    """A user-facing error whose message is one line: what, where, why."""


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


def check_range(what: str, name: str, value: float, low: float, high: float, why: str = "") -> None:
    """A one-line FpgaOptError unless `low <= value <= high` (NaN and infinities fail too).

    `why` says where the bound comes from, so the user knows it is not arbitrary.
    """
    import math

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FpgaOptError(f"{what}: {name} must be a number in [{low:g}, {high:g}], got {value!r}")
    if not low <= value <= high:
        reason = f" ({why})" if why else ""
        raise FpgaOptError(f"{what}: {name} must be in [{low:g}, {high:g}], got {value:g}{reason}")
