"""`fpga-translate`: translate models and IR between fpga-opt and other formats.

One action per run, chosen by a flag (more back ends add more flags):

    fpga-translate --import-onnx model.onnx -o model.mlir [--input-shape input:1x3x32x32]
    fpga-translate --emit-hls model.mlir -o build/hls/

`--import-onnx` writes the IR and, beside it, the weights sidecar
`model.weights.npz` (named by the module's `dataflow.weights`), so `-o` is
required.  Both files are written only when the whole import succeeded.

`--emit-hls` takes dataflow IR (lowered with `lower-dataflow-to-hls` and its
default options, the board coming from the module's target; fpga-sim writes
`inputs.bin`/`expected.bin` from `TEST_FRAMES` random inputs so that `make
csim` checks the project) or IR already lowered to one `vhls.design` (emitted
as it is; without a dataflow network there is no golden model, so no test
vectors are written).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from xdsl.dialects import func

from fpga_opt.dialects import make_context
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import check_output_dir, check_output_file
from fpga_opt.dialects.parsing import load_module
from fpga_opt.tools.diagnostics import tool_main


def import_onnx_action(args: argparse.Namespace) -> None:
    from fpga_opt.frontend.onnx_import import import_onnx, parse_input_shapes, sidecar_for, write_import

    if args.output is None:
        raise FpgaOptError("--import-onnx needs -o OUT.mlir (the weights sidecar is written beside it)")
    check_output_file(args.output, "-o")
    check_output_file(sidecar_for(args.output), "-o (its weights sidecar)")
    imported = import_onnx(args.import_onnx, parse_input_shapes(args.input_shape), record_tensors=args.onnx_tensors)
    write_import(imported, args.output)


def emit_hls_action(args: argparse.Namespace) -> None:
    emit_hls_file(args.emit_hls, args.output)


TEST_FRAMES = 20


def emit_hls_file(
    ir_path: str | Path, out_dir: str | Path | None, *, frames: int = TEST_FRAMES, seed: int = 0
) -> list[Path]:
    """Parse `ir_path`, lower it if needed, and write the project into `out_dir`."""
    from fpga_opt.backend.hls.emit import build_project
    from fpga_opt.dialects.weights import WeightStore
    from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass

    if out_dir is None:
        raise FpgaOptError("--emit-hls needs -o OUT_DIR (the project folder)")
    check_output_dir(out_dir, "-o")
    ir_path = Path(ir_path)
    ctx = make_context()
    module = load_module(ir_path)
    store = WeightStore.for_module(module, ir_path.parent)
    inputs = expected = None
    if any(isinstance(op, func.FuncOp) for op in module.body.block.ops):
        from fpga_opt.backend.sim import run_functional
        from fpga_opt.backend.sim.boundary import random_inputs

        batches = random_inputs(module, frames, seed)
        outputs = run_functional(module, store, batches, layout="hwc")
        inputs = [[b[i] for b in batches] for i in range(frames)]
        expected = [[b[i] for b in outputs] for i in range(frames)]
        LowerDataflowToHlsPass().apply(ctx, module)
        module.verify()
    project = build_project(module, store, inputs=inputs, expected=expected)
    return project.write(out_dir)


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
        "--onnx-tensors",
        action="store_true",
        help="with --import-onnx: record which ONNX tensor each layer computes (dataflow.onnx_tensors, for fpga-trace)",
    )
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME:1xCxHxW",
        help="static shape of a graph input with dynamic dimensions (repeatable)",
    )
    return parser


@tool_main("fpga-translate")
def main(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    if args.input_shape and args.import_onnx is None:
        raise FpgaOptError("--input-shape only applies to --import-onnx")
    for dest, action in ACTIONS.items():
        if getattr(args, dest, None) is not None:
            action(args)
            return


if __name__ == "__main__":
    main()
