#!/usr/bin/env python3
"""The first frame of an off-chip design: fpga-sim against the model, on designs of different depth.

A batch of B frames through a partition takes L + B I cycles (docs/passes/offchip.md, section 3), so a batch
of one is its first frame, L + I.  For each design this prints fpga-sim's first frame (decoupled FIFOs, the
model's assumption; the partition's input paced at its DRAM time) against:

* the model, L + I with L = placement.first_frame_latency (every op's own schedule run against when its
  input arrives: backend/sim/first_frame.py);
* the old model, the longest path of op pipeline depths + I (when the first output *element* appears).

Designs: partition.mlir's three linear layers in one partition (KV260); LeNet-5 with two layers streamed;
ResNet-8 in three partitions on a cut KV260 (test_partition_projects.py's); ResNet-20 in one partition on a
KV260; with --large, ResNet-18 (224x224 int8, random weights, examples/models/large_models.py) as fpga-compile
weighs it for a ZCU102: one partition, weights partly streamed (the partition search takes about a minute).

    python benchmarks/offchip_latency.py
    python benchmarks/offchip_latency.py --large        # adds ResNet-18 (builds it into build/models once)

Figures are cycles of this code's models and fpga-sim, not of a board.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from xdsl.dialects.func import FuncOp

from fpga_opt.backend.costs import analyse_network
from fpga_opt.backend.sim import elaborate, simulate_timing
from fpga_opt.backend.target.boards import get_board
from fpga_opt.dialects import make_context
from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.partitions import partition_funcs, partition_info
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes import registry
from fpga_opt.passes.analysis.placement import (
    first_frame_latency,
    placed_cost,
    set_placement,
    share_dram,
    weight_layers,
)
from fpga_opt.tools.compile_partitions import WEIGHED_PARTITION_PIPELINE
from fpga_opt.tools.pipeline import parse_pipeline
from fpga_opt.tools.tables import render

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"
sys.path.insert(0, str(REPO / "benchmarks"))


def _apply(module, spec: str):
    parse_pipeline(spec, registry()).apply(make_context(), module)
    module.verify()
    return module


def mlp3():
    return _apply(load_module(REPO / "test" / "passes" / "partition.mlir"), "partition{board=kv260}")


def lenet5_streamed():
    module = import_onnx(MODELS / "lenet5_int8.onnx").module
    func = next(op for op in module.walk() if isinstance(op, FuncOp))
    for index in (1, 4):
        set_placement(weight_layers(func)[index], "dram")
    share_dram(func, get_board("kv260"))
    return module


def resnet8_partitions(folder: Path):
    board = folder / "kv260_cut.toml"
    board.write_text(
        'base = "kv260"\nbram18 = 24\nuram = 0\nlut = 12000\nbitstream_bits = 1024000\nconfig_gbps = 6.4\n'
    )
    return _apply(import_onnx(MODELS / "resnet8_int8.onnx").module, f'partition{{board-file="{board}" max-util=0.75}}')


def resnet20_partition():
    return _apply(import_onnx(MODELS / "resnet20_int8.onnx").module, "partition{board=kv260}")


def resnet18_partition(cache: Path):
    from offchip import large_model

    module = import_onnx(large_model("resnet18", cache)).module
    return _apply(module, ",".join(WEIGHED_PARTITION_PIPELINE).replace("$board", "zcu102"))


def rows_of(name: str, module) -> list[dict]:
    """One row per partition (or placed function): ops, fpga-sim's first frame, the model's, the old model's."""
    funcs = partition_funcs(module) or [f for f in module.body.block.ops if isinstance(f, FuncOp)]
    rows = []
    for func in funcs:
        fname = func.sym_name.data
        timing = simulate_timing(elaborate(module, func=fname), frames=1, fifo_depth=None)
        if func in partition_funcs(module):
            info = partition_info(func)
            interval, latency = info["interval"], info["latency"]
        else:
            interval = placed_cost(func, get_board("kv260")).interval
            latency = first_frame_latency(func, interval)
        cost = analyse_network(func)
        sim = timing.frame_done_cycles[0]
        rows.append(
            {
                "design": name,
                "function": fname,
                "ops": len(cost.layers),
                "interval": interval,
                "fpga_sim": round(sim, 1),
                "model": latency + interval,
                "model_error": round((latency + interval) / sim - 1, 5),
                "old_model": cost.latency + interval,
                "old_model_error": round((cost.latency + interval) / sim - 1, 5),
            }
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add ResNet-18 in one partition on a ZCU102")
    parser.add_argument("--cache", default=str(REPO / "build" / "models"), help="where the large models are built")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        designs = [
            ("mlp3 (partition.mlir)", mlp3),
            ("LeNet-5 streamed", lenet5_streamed),
            ("ResNet-8 partitions", lambda: resnet8_partitions(Path(tmp))),
            ("ResNet-20 one partition", resnet20_partition),
        ]
        if args.large:
            designs.append(("ResNet-18 ZCU102", lambda: resnet18_partition(Path(args.cache))))
        rows = [row for name, build in designs for row in rows_of(name, build())]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    header = ["design", "function", "ops", "interval", "fpga-sim", "model L+I", "error", "old L+I", "old error"]
    table = [
        [
            r["design"],
            "@" + r["function"],
            str(r["ops"]),
            f"{r['interval']:,}",
            f"{r['fpga_sim']:,.0f}",
            f"{r['model']:,}",
            f"{100 * r['model_error']:+.2f}%",
            f"{r['old_model']:,}",
            f"{100 * r['old_model_error']:+.1f}%",
        ]
        for r in rows
    ]
    print("first frame (cycles): fpga-sim against the model's L + I")
    print(render(header, table, right=set(range(2, 9))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
