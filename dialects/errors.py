"""The one exception type for bad user input.

Everything a user can get wrong (a broken ONNX file, an unsupported op, a bad
pass option, a design that cannot fit) raises `FpgaOptError` with a single
line saying what, where and why.  The console scripts catch it, print that line
and exit with code 1: users never see a traceback for their own mistakes.
It derives from xDSL's `DiagnosticException` so that `--verify-diagnostics`
prints it like any verifier error.
"""

from xdsl.utils.exceptions import DiagnosticException


class FpgaOptError(DiagnosticException):
    """A user-facing error whose message is one line: what, where, why."""
