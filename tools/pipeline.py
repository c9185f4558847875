"""Pass-pipeline text: MLIR's `builtin.module(a{x=1 y=2},b)` and xDSL's `a{x=1 y=2},b`, checked.

`parse_pipeline` is the one place a tool turns pipeline text into passes:
every way the text can be wrong (syntax, an unknown pass or option, a value
of the wrong type) is one `FpgaOptError` line naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fpga_opt.dialects.errors import FpgaOptError

_ANCHORS = ("builtin.module", "any")

# A bare option value xDSL's pipeline lexer reads as it is: numbers and identifiers, comma-separated.
_BARE_VALUE = re.compile(r"[-+]?[0-9]+(\.[0-9]*([eE][-+]?[0-9]+)?)?|[A-Za-z0-9_-]+")


def mlir_to_xdsl_pipeline(text: str) -> str:
    """Strip the module anchor(s); fpga-opt passes all run on the whole module.

    Options inside braces keep xDSL's syntax, which is MLIR's: entries are
    separated by spaces, lists by commas.
    """
    spec = text.strip()
    while True:
        for anchor in _ANCHORS:
            if spec.startswith(anchor + "("):
                if not spec.endswith(")"):
                    raise FpgaOptError(f"--pass-pipeline: unbalanced parentheses in '{text}'")
                spec = spec[len(anchor) + 1 : -1].strip()
                break
        else:
            break
    depth = 0
    for ch in spec:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "(" and depth == 0:
            raise FpgaOptError(
                f"--pass-pipeline: nested pipelines are not supported in '{text}'; "
                "fpga-opt passes run on builtin.module"
            )
    return spec


def quote_option_values(spec: str) -> str:
    """Quote bare option values xDSL cannot lex, such as paths: `board-file=boards/my.toml`.

    A value that is already quoted, or a comma-separated list of numbers and
    identifiers, is left as it is.
    """
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(spec):
        ch = spec[i]
        if ch == '"':
            end = _string_end(spec, i)
            out.append(spec[i:end])
            i = end
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "=" and depth > 0 and i + 1 < len(spec) and spec[i + 1] != '"':
            end = i + 1
            while end < len(spec) and not spec[end].isspace() and spec[end] not in '}"':
                end += 1
            value = spec[i + 1 : end]
            if value and not all(_BARE_VALUE.fullmatch(item) for item in value.split(",")):
                value = '"' + value.replace("\\", "\\\\") + '"'
            out.append("=" + value)
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return len(text)


def parse_pipeline(
    spec: str,
    available: dict[str, Callable[[], type]],
    callback: Callable | None = None,
    option: str = "--pass-pipeline",
):
    """xDSL's `PassPipeline` for `spec`; every problem with the text is one FpgaOptError line."""
    from xdsl.passes import PassPipeline
    from xdsl.utils.exceptions import ArgSpecParseError, ParseError

    from fpga_opt.dialects.errors import one_line

    text = quote_option_values(spec)
    try:
        return PassPipeline.parse_spec(available, text, callback)
    except ArgSpecParseError as error:
        raise FpgaOptError(f"{option} '{spec}': {_arg_spec_message(error)}") from None
    except ParseError as error:
        raise FpgaOptError(f"{option} '{spec}': {error.msg.strip()}") from None
    except (ValueError, TypeError, KeyError) as error:
        raise FpgaOptError(f"{option} '{spec}': {one_line(error)}") from None


def _arg_spec_message(error: BaseException) -> str:
    """`column N: message` from xDSL's multi-line pipeline syntax error."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    message = lines[-1].strip() if lines else "syntax error"
    location = next((line for line in lines if line.startswith("pass-pipeline:")), "")
    column = location.rsplit(":", 1)[-1] if location else ""
    return f"column {column}: {message}" if column.isdigit() else message
