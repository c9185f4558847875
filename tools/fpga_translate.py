"""`fpga-translate`: translate models and IR between fpga-opt and other formats.

One action per run, chosen by a flag (more back ends add more flags):

    fpga-translate --import-onnx model.onnx -o model.mlir [--input-shape input:1x3x32x32]
    fpga-translate --emit-hls model.mlir -o build/hls/      (see backend/hls/translate.py)

`--import-onnx` writes the IR and, beside it, the weights sidecar
`model.weights.npz` (named by the module's `dataflow.weights`), so `-o` is
required.  Both files are written only when the whole import succeeded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools.diagnostics import exit_on_user_error


def import_onnx_action(args: argparse.Namespace) -> None:
    from fpga_opt.frontend.onnx_import import import_onnx, parse_input_shapes, write_import

    if args.output is None:
        raise FpgaOptError("--import-onnx needs -o OUT.mlir (the weights sidecar is written beside it)")
    imported = import_onnx(args.import_onnx, parse_input_shapes(args.input_shape))
    write_import(imported, args.output)


def emit_hls_action(args: argparse.Namespace) -> None:
    from fpga_opt.backend.hls.translate import emit_hls_file

    emit_hls_file(args.emit_hls, args.output)


# flag (argparse dest) -> what to do; exactly one per run
ACTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "import_onnx": import_onnx_action,
    "emit_hls": emit_hls_action,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fpga-translate", description="Translate models and IR between fpga-opt and other formats."
    )
    actions = parser.add_mutually_exclusive_group(required=True)
    actions.add_argument(
        "--import-onnx", metavar="MODEL.onnx", help="import an ONNX model (float, QDQ/QCDQ or QONNX) into dataflow IR"
    )
    actions.add_argument(
        "--emit-hls",
        metavar="NET.mlir",
        help="write a Vitis HLS project (lowering dataflow IR first); -o names the project folder",
    )
    parser.add_argument("-o", "--output", metavar="OUT", help="output file (for --import-onnx: the .mlir file)")
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME:1xCxHxW",
        help="static shape of a graph input with dynamic dimensions (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    with exit_on_user_error("fpga-translate"):
        parser = build_parser()
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.input_shape and args.import_onnx is None:
            raise FpgaOptError("--input-shape only applies to --import-onnx")
        for dest, action in ACTIONS.items():
            if getattr(args, dest, None) is not None:
                action(args)
                return


if __name__ == "__main__":
    main()
