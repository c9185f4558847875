"""`fpga-translate --emit-hls`: an IR file to a Vitis HLS project folder.

    fpga-translate --emit-hls net.mlir -o build/hls/

`net.mlir` is either dataflow IR (it is then lowered with
`lower-dataflow-to-hls` and its default options, the board coming from the
module's `dataflow.board`, and fpga-sim writes `inputs.bin`/`expected.bin`
from `TEST_FRAMES` random inputs so that `make csim` checks the project), or
IR already lowered to one `hls.design` (emitted as it is; without a dataflow
network there is no golden model, so no test vectors are written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from xdsl.dialects import func
from xdsl.parser import Parser

from fpga_opt.dialects import make_context
from fpga_opt.dialects.errors import FpgaOptError

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
    ir_path = Path(ir_path)
    ctx = make_context()
    module = Parser(ctx, ir_path.read_text(), str(ir_path)).parse_module()
    module.verify()
    store = WeightStore.for_module(module, ir_path.parent)
    inputs = expected = None
    if any(isinstance(op, func.FuncOp) for op in module.body.block.ops):
        from fpga_opt.backend.sim import run_functional
        from fpga_opt.tools.fpga_compile import random_inputs

        batches = random_inputs(module, frames, seed)
        outputs = run_functional(module, store, batches, layout="hwc")
        inputs = [[b[i] for b in batches] for i in range(frames)]
        expected = [[b[i] for b in outputs] for i in range(frames)]
        LowerDataflowToHlsPass().apply(ctx, module)
        module.verify()
    project = build_project(module, store, inputs=inputs, expected=expected, python=sys.executable)
    return project.write(out_dir)
