"""Every ```mlir hls block in docs/ parses, verifies and round-trips (the `hls` dialect's examples).

The docs fence them `mlir hls` (still MLIR-highlighted) because the general doc test loads only the
dataflow dialect.
"""

import re
from io import StringIO

import pytest
from hls_csim_support import REPO, context
from xdsl.parser import Parser
from xdsl.printer import Printer

BLOCK = re.compile(r"```mlir hls\n(.*?)```", re.DOTALL)


def examples():
    for page in sorted((REPO / "docs").rglob("*.md")):
        for index, match in enumerate(BLOCK.finditer(page.read_text())):
            yield pytest.param(match.group(1), id=f"{page.relative_to(REPO / 'docs')}#{index}")


def test_there_are_hls_examples():
    assert len(list(examples())) >= 2


@pytest.mark.parametrize("text", list(examples()))
def test_hls_example_round_trips(text):
    module = Parser(context(), text).parse_module()
    module.verify()
    printed = StringIO()
    Printer(printed).print_op(module)
    again = Parser(context(), printed.getvalue()).parse_module()
    again.verify()
    reprinted = StringIO()
    Printer(reprinted).print_op(again)
    assert reprinted.getvalue() == printed.getvalue()
