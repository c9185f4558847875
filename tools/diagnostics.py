"""The one error boundary every console script runs in.

Every tool's `main` is declared with `@tool_main("fpga-xyz")`, and every
console script starts through `fpga_opt.tools.launch`, so a new tool gets all
of this by construction:

* bad input (an `FpgaOptError`, an xDSL parse or verify error, an unreadable
  file, a bad command line) prints one line `tool: error: what, where, why`
  and exits 1 (`EXIT_ERROR`);
* anything else is a bug in fpga-opt: one line that says so, where it was
  raised and where to report it, exit 1; the traceback only with `--debug` or
  `FPGA_OPT_DEBUG=1`;
* SIGINT and SIGTERM stop the tool with one line and exit 128 + the signal
  number (130, 143), after the files it was writing are removed;
* warnings (numpy's RuntimeWarnings...) are held back: one line each on
  success, none before an error line;
* outputs are a transaction (`fpga_opt.dialects.files`): files written with
  `write_atomically` appear only when the tool finishes; a tool that stops on
  an error or a signal leaves nothing new behind.

This module imports only the standard library, so that the launcher can
install the boundary before xDSL and numpy load (a Ctrl-C during start-up is
an interruption, not a traceback).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

EXIT_ERROR = 1
"""Bad input, and bugs too (their message says which): scripts test for non-zero."""
EXIT_SIGNAL_BASE = 128
"""A tool stopped by signal N exits 128 + N, as shells report it (SIGINT: 130, SIGTERM: 143)."""
DEBUG_FLAG = "--debug"
DEBUG_ENV = "FPGA_OPT_DEBUG"
BUG_REPORT = "please report it to the fpga-opt maintainers with the command line that caused it"
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class UsageError(Exception):
    """A bad command line (argparse's errors, raised instead of printing the usage block)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; raised in the main thread so that cleanup code runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def debugging(argv: Sequence[str]) -> bool:
    """Whether to show tracebacks: `--debug` on the command line or FPGA_OPT_DEBUG set (not 0)."""
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def tool_main(tool: str) -> Callable[[Callable[[list[str]], int | None]], Callable[..., None]]:
    """Declare a tool's `main(argv)`: it runs inside the error boundary.

    The decorated function gets the argument list (without `--debug`) and
    returns None or an exit code; the wrapper takes `argv=None` (meaning
    `sys.argv[1:]`) and raises SystemExit with the tool's exit code.
    """

    def decorate(body: Callable[[list[str]], int | None]) -> Callable[..., None]:
        @functools.wraps(body)
        def main(argv: Sequence[str] | None = None) -> None:
            args = list(sys.argv[1:] if argv is None else argv)
            with error_boundary(tool, args):
                code = body([a for a in args if a != DEBUG_FLAG])
            if code:
                raise SystemExit(code)

        main.tool_name = tool  # type: ignore[attr-defined]
        return main

    return decorate


@contextmanager
def error_boundary(tool: str, argv: Sequence[str] = ()) -> Iterator[None]:
    """Run a tool's body: one-line errors, clean signals, held warnings, transactional outputs."""
    debug = debugging(argv)
    _RECEIVED.clear()
    _SWALLOWED.clear()
    previous = _install_signal_handlers()
    held: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as held, _one_line_usage_errors():
            warnings.simplefilter("default")
            from fpga_opt.dialects.files import output_transaction

            with output_transaction():
                yield
                if _SWALLOWED:  # interrupted inside a callback, and the resent signal has not landed yet
                    raise Interrupted(_SWALLOWED[0][0])
        for warning in held:
            print(f"{tool}: warning: {printable(_warning_text(warning))}", file=sys.stderr)
    except SystemExit as done:
        if done.code not in (None, 0):
            _discard_outputs()
        raise
    except BaseException as error:  # noqa: B036 - this is the boundary: every exception ends here
        _ignore_signals()
        _discard_outputs()
        code = _report(tool, error, debug)
        raise SystemExit(code) from None
    finally:
        for _, resend in _SWALLOWED:
            resend.cancel()  # type: ignore[attr-defined]  # the run is over: nothing more to interrupt
        _restore_signal_handlers(previous)


def _report(tool: str, error: BaseException, debug: bool) -> int:
    """Print the one line for `error`; return the exit code."""
    if isinstance(error, Interrupted) or _RECEIVED:
        signum = error.signum if isinstance(error, Interrupted) else _RECEIVED[0]
        print(f"{tool}: error: interrupted by {signal.Signals(signum).name}", file=sys.stderr)
        return EXIT_SIGNAL_BASE + signum
    if isinstance(error, KeyboardInterrupt):
        print(f"{tool}: error: interrupted by SIGINT", file=sys.stderr)
        return EXIT_SIGNAL_BASE + signal.SIGINT
    if isinstance(error, BrokenPipeError):
        # stdout was closed early (`fpga-report x.mlir | head -1`): nothing more to say there.
        _silence_stdout()
        print(f"{tool}: error: standard output was closed before the tool finished", file=sys.stderr)
        return EXIT_ERROR
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    user_error = user_error_line(error)
    line = user_error if user_error is not None else bug_line(error)
    print(f"{tool}: error: {printable(line)}", file=sys.stderr)
    return EXIT_ERROR


def printable(text: str) -> str:
    """`text` on one line: control characters (a newline in a file name or an option) escaped."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def user_error_line(error: BaseException) -> str | None:
    """The one line for an error in the user's input, or None if `error` is a bug."""
    if isinstance(error, UsageError):
        return str(error)
    if isinstance(error, MemoryError):
        return None
    if isinstance(error, OSError):
        return _os_error_line(error)
    user_types = _xdsl_user_error_types()
    if user_types and isinstance(error, user_types):
        from fpga_opt.dialects.errors import one_line

        return one_line(error)
    return None


def bug_line(error: BaseException) -> str:
    """One line for an exception no check anticipated: a bug in fpga-opt, not in the input."""
    kind = "out of memory" if isinstance(error, MemoryError) else "internal error"
    text = " ".join(str(error).split())
    if len(text) > 200:
        text = text[:197] + "..."
    where = _where(error.__traceback__)
    return (
        f"{kind} ({type(error).__name__}{': ' + text if text else ''}{' at ' + where if where else ''}); "
        f"this is a bug in fpga-opt, not in your input: {BUG_REPORT} "
        f"(rerun with {DEBUG_FLAG} or {DEBUG_ENV}=1 for the traceback)"
    )


def _where(tb: TracebackType | None) -> str:
    """`file:line` of the innermost frame in fpga-opt's own code (else the innermost frame)."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return ""
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(_PACKAGE_ROOT) and ".venv" not in f.filename]
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    shown = path.relative_to(_PACKAGE_ROOT) if path.is_relative_to(_PACKAGE_ROOT) else path.name
    return f"{shown}:{frame.lineno}"


def _os_error_line(error: OSError) -> str:
    reason = error.strerror or str(error) or type(error).__name__
    if error.filename is not None:
        return f"{error.filename}: {reason}"
    return reason


def _xdsl_user_error_types() -> tuple[type[BaseException], ...]:
    """xDSL's parse, verify and pipeline-syntax errors, if xDSL is loaded (else none can occur)."""
    exceptions = sys.modules.get("xdsl.utils.exceptions")
    if exceptions is None:
        return ()
    return (exceptions.ParseError, exceptions.DiagnosticException, exceptions.ArgSpecParseError)


def _warning_text(warning: warnings.WarningMessage) -> str:
    message = " ".join(str(warning.message).split())
    return f"{warning.category.__name__}: {message} ({Path(warning.filename).name}:{warning.lineno})"


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    """argparse errors raise UsageError (one line) instead of printing the usage block and exiting 2."""

    def error(parser: argparse.ArgumentParser, message: str):
        raise UsageError(f"{message} (see {parser.prog} --help)")

    original = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = error  # type: ignore[method-assign]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]


_RECEIVED: list[int] = []
"""Signals that arrived in the current boundary: an interruption even if a library turned it into
another exception (numpy's import wraps it in an ImportError)."""


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    _RECEIVED.append(signum)
    raise Interrupted(signum)


_SWALLOWED: list[tuple[int, object]] = []
"""Interruptions raised where Python could not pass them on (see `_redeliver_swallowed_interrupt`)."""


def _redeliver_swallowed_interrupt(unraisable) -> None:
    """An `Interrupted` raised where Python cannot pass it on is sent again, not printed.

    A signal handler runs wherever the main thread is; inside a weakref callback
    (the import system's module locks) or a `__del__`, its exception is
    "ignored" and Python prints it with a traceback.  Instead the signal is sent
    again a moment later from another thread, when the main thread is back in
    ordinary code (re-raising it here would run the handler inside this hook);
    should it still not have landed when the tool ends, the boundary reports it.
    """
    if not isinstance(unraisable.exc_value, Interrupted):
        sys.__unraisablehook__(unraisable)
        return
    import threading

    signum = unraisable.exc_value.signum
    resend = threading.Timer(0.01, os.kill, (os.getpid(), signum))
    resend.daemon = True
    _SWALLOWED.append((signum, resend))
    resend.start()


def _install_signal_handlers() -> dict[int, object]:
    """SIGINT/SIGTERM raise `Interrupted` (only the main thread can set handlers)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    sys.unraisablehook = _redeliver_swallowed_interrupt
    return {signum: signal.signal(signum, _raise_interrupted) for signum in HANDLED_SIGNALS}


def _ignore_signals() -> None:
    """While cleaning up after an error or a first signal, a second Ctrl-C must not interrupt."""
    import threading

    if threading.current_thread() is threading.main_thread():
        for signum in HANDLED_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def _restore_signal_handlers(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
    if previous:
        sys.unraisablehook = sys.__unraisablehook__


def _discard_outputs() -> None:
    """Remove whatever the run was writing (the transaction's own cleanup may have been cut short)."""
    files = sys.modules.get("fpga_opt.dialects.files")
    if files is not None:
        files.discard_pending()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
