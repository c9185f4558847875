"""Every ```mlir block in docs/ parses, verifies and round-trips through fpga-opt's parser."""

import re
from io import StringIO
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser
from xdsl.printer import Printer

from fpga_opt.dialects.dataflow import Dataflow

DOCS = Path(__file__).resolve().parents[3] / "docs"
BLOCK = re.compile(r"```mlir\n(.*?)```", re.DOTALL)


def examples():
    for page in sorted(DOCS.rglob("*.md")):
        for index, match in enumerate(BLOCK.finditer(page.read_text())):
            yield pytest.param(match.group(1), id=f"{page.relative_to(DOCS)}#{index}")


def context():
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    return ctx


def test_docs_have_examples():
    assert len(list(examples())) >= 8


@pytest.mark.parametrize("text", list(examples()))
def test_example_parses_verifies_and_round_trips(text):
    module = Parser(context(), text).parse_module()
    module.verify()
    printed = StringIO()
    Printer(printed).print_op(module)
    again = Parser(context(), printed.getvalue()).parse_module()
    reprinted = StringIO()
    Printer(reprinted).print_op(again)
    assert reprinted.getvalue() == printed.getvalue()
