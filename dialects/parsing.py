"""Reading IR text with source locations, so that every diagnostic can say where.

`LocatingParser` remembers where each operation starts; `verify_with_location`
names the first op that fails to verify by its `file:line:col`; `load_module`
does both for a file (or `-`, standard input).  Every tool reads IR through
here, so IR that is not UTF-8 text, a folder or a missing file is one line.
"""

from __future__ import annotations

import re
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.lexer import Span

from fpga_opt.dialects import make_context
from fpga_opt.dialects.errors import FpgaOptError, one_line

MAX_INT_TYPE_WIDTH = (1 << 24) - 1
"""MLIR's limit on an integer type's width; wider ones (i1099511627776) would make xDSL compute
integers of that many bits while parsing their attributes (minutes, or a MemoryError)."""

_INT_TYPE = re.compile(r"(?:(?<![\w%#@$.\"-])|(?<=\dx))[su]?i(\d+)\b")


class LocatingParser(Parser):
    """An xDSL parser that remembers where each operation starts, for diagnostics."""

    def __init__(self, *args, line_offset: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.op_locations: dict[Operation, str] = {}
        self._line_offset = line_offset
        self._check_integer_widths()

    def _check_integer_widths(self) -> None:
        text = self.lexer.input.content
        for match in _INT_TYPE.finditer(text):
            if len(match.group(1)) > 8 or int(match.group(1)) > MAX_INT_TYPE_WIDTH:
                raise FpgaOptError(
                    f"{self._where(match.start())}: integer type {match.group(0)} is wider than "
                    f"{MAX_INT_TYPE_WIDTH} bits, MLIR's limit"
                )

    def parse_optional_operation(self) -> Operation | None:
        start = self._current_token.span.start
        try:
            op = super().parse_optional_operation()
        except VerifyException as error:
            # An attribute or type that fails its own verify() while being parsed.
            raise FpgaOptError(f"{self._where(start)}: {one_line(error)}") from None
        except (ValueError, OverflowError, NotImplementedError) as error:
            # A value xDSL cannot represent (e.g. an integer type thousands of bits wide).
            raise FpgaOptError(f"{self._where(start)}: cannot represent this operation: {one_line(error)}") from None
        if op is not None:
            self.op_locations[op] = self._where(start)
        return op

    def _where(self, position: int) -> str:
        loc = Span(position, position, self.lexer.input).get_location()
        return f"{loc.file}:{loc.line + self._line_offset}:{loc.col}"


def verify_with_location(module: ModuleOp, locations: dict[Operation, str]) -> None:
    """Verify `module`; on failure name the first bad op's source location."""
    _check_defined_before_use(module, locations)
    try:
        module.verify()
    except VerifyException as whole:
        for op in module.walk():
            try:
                op.verify(verify_nested_ops=False)
            except VerifyException as error:
                where = locations.get(op, op.name)
                raise FpgaOptError(f"{where}: {one_line(error)}") from None
        raise FpgaOptError(one_line(whole)) from None


def _check_defined_before_use(module: ModuleOp, locations: dict[Operation, str]) -> None:
    """In a function body every value is defined above its uses (xDSL's verifier does not check it)."""
    for region_op in module.body.block.ops:
        for region in region_op.regions:
            for block in region.blocks:
                position = {op: i for i, op in enumerate(block.ops)}
                for op in block.ops:
                    for operand in op.operands:
                        producer = operand.owner
                        if producer in position and position[producer] >= position[op]:
                            where = locations.get(op, op.name)
                            name = f"%{operand.name_hint}" if operand.name_hint else "an operand"
                            raise FpgaOptError(f"{where}: {name} is used before it is defined")


def decode_ir(data: bytes, name: str) -> str:
    """IR bytes as text: IR is UTF-8, and anything else is one line naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FpgaOptError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "IR files are UTF-8"
        ) from None


def read_ir(path: str | Path) -> tuple[str, str]:
    """(text, name for messages) of an IR file; `-` is standard input."""
    import sys

    if str(path) == "-":
        return decode_ir(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FpgaOptError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FpgaOptError(f"{path}: is a directory, not an IR file") from None
    except OSError as error:
        raise FpgaOptError(f"{path}: cannot read it ({error.strerror or error})") from None
    return decode_ir(data, str(path)), str(path)


def load_module(path: str | Path) -> ModuleOp:
    """Parse and verify an IR file; errors are one line with the file location."""
    text, name = read_ir(path)
    parser = LocatingParser(make_context(), text, name)
    module = parser.parse_module()
    verify_with_location(module, parser.op_locations)
    return module
