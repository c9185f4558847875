"""`fpga-opt`: parse IR (or import a model), run a pass pipeline, print IR.

Built on xDSL's opt driver.  What it adds:
* MLIR's `--pass-pipeline='builtin.module(a{x=1},b)'` beside xDSL's `-p a{x=1},b`;
* `--list-passes`, each pass with its summary and options;
* `--help` shows fpga-opt's own options and passes; `--help-all` adds
  xDSL's (its ~100 passes and targets for other hardware);
* one-line diagnostics with a file:line:col location and exit code 1 for
  every kind of bad input (never a traceback);
* `-o` writes atomically: the file is complete or untouched.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.xdsl_opt_main import xDSLOptMain

from fpga_opt.dialects.errors import FpgaOptError, one_line
from fpga_opt.dialects.files import check_output_file, write_atomically
from fpga_opt.dialects.parsing import LocatingParser, decode_ir, verify_with_location
from fpga_opt.dialects.progress import set_quiet
from fpga_opt.passes import describe_options, load_pass, pass_names, summary
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.pipeline import mlir_to_xdsl_pipeline, parse_pipeline

# The xDSL driver options `--help` shows; `--help-all` shows every one (targets, printing, debugging).
SHOWN_XDSL_OPTIONS = frozenset(
    {"--help", "--frontend", "--output-file", "--passes", "--split-input-file", "--verify-diagnostics",
     "--print-between-passes", "--time-passes", "--print-op-generic", "--disable-verify", "--version"}
)  # fmt: skip


class FpgaOptMain(xDSLOptMain):
    """xDSL's opt driver with fpga-opt's pipeline syntax, pass listing and diagnostics."""

    def __init__(self, args: Sequence[str] | None = None):
        self._locations: dict[Operation, str] = {}
        self._deferred: list[Callable[[], None]] = []
        args = list(sys.argv[1:] if args is None else args)
        self._help_all = "--help-all" in args
        if self._help_all:
            args = ["--help" if arg == "--help-all" else arg for arg in args]
        super().__init__(description="fpga-opt: the dataflow-dialect optimizer", args=args)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.prog = "fpga-opt"
        super().register_all_arguments(arg_parser)
        self._focus_help(arg_parser)
        arg_parser.add_argument(
            "--pass-pipeline",
            default=None,
            help="MLIR-style pipeline, e.g. 'builtin.module(dataflow-canonicalize,select-folding{board=kv260})'",
        )
        arg_parser.add_argument(
            "--list-passes", action="store_true", help="list fpga-opt's passes with their options and exit"
        )
        arg_parser.add_argument(
            "--input-shape",
            action="append",
            default=[],
            metavar="NAME:1xCxHxW",
            help="ONNX input only: static shape of a graph input with dynamic dimensions (repeatable)",
        )
        arg_parser.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
        arg_parser.add_argument(
            "--help-all", action="help", help="also show xDSL's options, passes and targets, and exit"
        )

    def _focus_help(self, arg_parser: argparse.ArgumentParser) -> None:
        """`--help`: fpga-opt's passes and the options its users need; xDSL's others only in `--help-all`."""
        if self._help_all:
            return
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        for action in arg_parser._actions:
            if action.option_strings and not SHOWN_XDSL_OPTIONS.intersection(action.option_strings):
                action.help = argparse.SUPPRESS
            if "--passes" in action.option_strings:
                action.help = "pass pipeline in xDSL's syntax: 'a{x=1},b' (fpga-opt's passes below)"
            if "--frontend" in action.option_strings:
                action.help = "input format (default: from the file's extension: .mlir, .onnx)"
        from fpga_opt.tools.tables import render

        table = render(None, [(name, summary(load_pass(name))) for name in pass_names()])
        passes = "\n".join("  " + line for line in table.splitlines())
        arg_parser.epilog = (
            f"fpga-opt passes (options: --list-passes):\n{passes}\n\n"
            "xDSL's own passes, targets and options work too: fpga-opt --help-all"
        )

    def register_all_dialects(self) -> None:
        # xDSL's dialects, with ours in place of any xDSL dialect of the same name (SHADOWS_XDSL).
        from xdsl.universe import Universe

        from fpga_opt.dialects import all_dialects

        ours = all_dialects()
        for name, factory in Universe.get_multiverse().all_dialects.items():
            if name not in ours:
                self.ctx.register_dialect(name, factory)
        for name, factory in ours.items():
            self.ctx.register_dialect(name, factory)

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def parse_mlir(io: IO[bytes]) -> ModuleOp:
            text = decode_ir(io.read(), self.get_input_name())
            parser = LocatingParser(
                self.ctx, text, self.get_input_name(), line_offset=getattr(self, "_chunk_offset", 0)
            )
            module = parser.parse_module(not self.args.no_implicit_module)
            self._locations = parser.op_locations
            return module

        self.available_frontends["mlir"] = parse_mlir
        try:
            from fpga_opt.frontend import register_frontends
        except ImportError:
            return
        register_frontends(self)

    def setup_pipeline(self) -> None:
        spec = self.args.passes
        if self.args.pass_pipeline is not None:
            if spec:
                raise FpgaOptError("give either --pass-pipeline or -p/--passes, not both")
            spec = mlir_to_xdsl_pipeline(self.args.pass_pipeline)
        option = "--pass-pipeline" if self.args.pass_pipeline is not None else "-p"
        pipeline = parse_pipeline(spec, self.available_passes, self._between_passes, option)
        self.pipeline = weights_beside_input(pipeline, self.args.input_file)
        self._check_arguments()

    def _check_arguments(self) -> None:
        """What argparse cannot see: outputs that cannot be written, options that do not apply."""
        if self.args.output_file is not None:
            check_output_file(self.args.output_file, "-o")
        name = self.args.input_file or ""
        is_onnx = name.endswith(".onnx") or self.args.frontend == "onnx"
        if self.args.input_shape and not is_onnx:
            raise FpgaOptError("--input-shape only applies to an ONNX input (a .onnx file)")

    def _between_passes(self, previous: ModulePass | None, module: ModuleOp, following: ModulePass | None) -> None:
        if previous is None:
            return  # the input was verified with source locations right after parsing
        if not self.args.disable_verify:
            try:
                module.verify()
            except VerifyException as error:
                raise FpgaOptError(f"IR after pass '{previous.name}' does not verify: {one_line(error)}") from None
        if following is not None and self.args.print_between_passes:
            print(f"// -----// IR after {previous.name} //----- //")
            Printer(stream=sys.stdout).print_op(module)
            print()

    def prepare_input(self):
        try:
            return super().prepare_input()
        except ValueError as error:
            known = ", ".join(f".{ext}" for ext in sorted(self.available_frontends))
            raise FpgaOptError(
                f"{self.get_input_name()}: {one_line(error)}; known formats are {known} (or choose one with -f)"
            ) from None

    def run(self) -> None:
        set_quiet(self.args.quiet)
        chunks, extension = self.prepare_input()
        pieces: list[str] = []
        for index, (chunk, offset) in enumerate(chunks):
            if index > 0:
                pieces.append("// -----\n")
            self._chunk_offset = offset
            try:
                module = self.parse_chunk(chunk, extension, offset)
                if module is None:
                    continue
                if not self.args.disable_verify:
                    verify_with_location(module, self._locations)
                self.apply_passes(module)
                pieces.append(self.output_resulting_program(module))
            except (ParseError, DiagnosticException) as error:
                if isinstance(error, ParseError):
                    error = ParseError(dataclasses.replace(error.span, line_offset=offset), error.msg)
                if not self.args.verify_diagnostics:
                    raise error from None
                pieces.append(f"error: {one_line(error)}\n")
            finally:
                chunk.close()
        text = "".join(pieces)
        if self.args.output_file is None:
            sys.stdout.write(text)
        else:
            write_atomically(self.args.output_file, text)
        for write in self._deferred:
            write()

    def defer_until_written(self, write: Callable[[], None]) -> None:
        """Run `write` (e.g. a frontend's weight sidecar) only after the IR was written."""
        self._deferred.append(write)


def weights_beside_input(pipeline, input_file: str | None):
    """Passes that read weights (a `weights_dir` option left at ".") look next to the IR file.

    The IR names its weights sidecar relative to its own folder, as fpga-sim and
    fpga-translate read it; the working folder is only right when the IR is in it.
    """
    if not input_file or input_file == "-":
        return pipeline
    folder = str(Path(input_file).parent)
    passes = tuple(
        dataclasses.replace(p, weights_dir=folder) if getattr(p, "weights_dir", None) == "." else p
        for p in pipeline.passes
    )
    return dataclasses.replace(pipeline, passes=passes)


def list_passes() -> str:
    """The text of `--list-passes`: each pass, its summary, and its options."""
    lines = ["fpga-opt passes:"]
    for name in pass_names():
        cls = load_pass(name)
        lines.append(f"  {name}")
        lines.append(f"      {summary(cls)}")
        for option, type_name, default, doc in describe_options(cls):
            default_text = f" = {default}" if default != "" else ""
            lines.append(f"      {option}: {type_name}{default_text}    {doc}".rstrip())
    lines.append("All of xDSL's own passes are available too (see xdsl-opt --help).")
    return "\n".join(lines) + "\n"


@tool_main("fpga-opt")
def main(argv: list[str]) -> None:
    if "--list-passes" in argv:
        sys.stdout.write(list_passes())
        return
    FpgaOptMain(args=argv).run()


if __name__ == "__main__":
    main()
