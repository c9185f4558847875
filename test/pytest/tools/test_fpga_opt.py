"""The fpga-opt driver: pipeline syntax, pass registry, exit codes, atomic output."""

import subprocess
import sys
from pathlib import Path

import pytest

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes import describe_options, load_pass, pass_names, registry
from fpga_opt.tools.pipeline import mlir_to_xdsl_pipeline

REPO = Path(__file__).resolve().parents[3]
SMALL = REPO / "test/tools/fpga-opt/Inputs/small.mlir"
FPGA_OPT = [sys.executable, "-m", "fpga_opt.tools.fpga_opt"]


@pytest.mark.parametrize(
    "mlir,xdsl",
    [
        ("builtin.module(a,b)", "a,b"),
        ("builtin.module(a{x=1 y=2},b{z=a,b})", "a{x=1 y=2},b{z=a,b}"),
        ("any(a)", "a"),
        ("  builtin.module( a ) ", "a"),
        ("a,b", "a,b"),
    ],
)
def test_pipeline_translation(mlir, xdsl):
    assert mlir_to_xdsl_pipeline(mlir) == xdsl


@pytest.mark.parametrize("bad", ["builtin.module(func.func(a))", "builtin.module(a"])
def test_pipeline_translation_rejects(bad):
    with pytest.raises(FpgaOptError):
        mlir_to_xdsl_pipeline(bad)


def test_registry_is_file_based_and_lazy():
    names = pass_names()
    assert "dataflow-canonicalize" in names
    assert "analysis" not in names  # subpackages hold helpers, not passes
    factories = registry()
    assert factories["dataflow-canonicalize"]().name == "dataflow-canonicalize"


def test_describe_options_reads_attribute_docstrings():
    from dataclasses import dataclass
    from typing import ClassVar

    from xdsl.passes import ModulePass

    @dataclass(frozen=True)
    class Example(ModulePass):
        name: ClassVar[str] = "example"
        board: str = "kv260"
        """The target board."""
        max_util: float = 0.85
        """Fraction of each resource the design may use."""

        def apply(self, ctx, op):
            pass

    assert describe_options(Example) == [
        ("board", "str", "kv260", "The target board."),
        ("max-util", "float", "0.85", "Fraction of each resource the design may use."),
    ]


def test_every_pass_has_summary_and_lit_test():
    for name in pass_names():
        cls = load_pass(name)
        assert cls.__doc__, f"{name} has no docstring"
        assert (REPO / "test/passes" / f"{name.replace('-', '_')}.mlir").exists(), f"{name} has no lit test"


def run(*args, **kw):
    return subprocess.run([*FPGA_OPT, *args], capture_output=True, text=True, **kw)


def test_bad_pipeline_exit_code_and_single_line():
    result = run("-p", "nope", str(SMALL))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_output_written_atomically_and_input_untouched(tmp_path):
    before = SMALL.read_bytes()
    out = tmp_path / "deep" / "out.mlir"
    result = run(str(SMALL), "-p", "dataflow-canonicalize", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("builtin.module")
    assert SMALL.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["out.mlir"]  # no temp files left


def test_output_is_deterministic():
    first = run(str(SMALL), "-p", "dataflow-canonicalize").stdout
    second = run(str(SMALL), "-p", "dataflow-canonicalize").stdout
    assert first == second and first
