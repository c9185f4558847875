"""fpga-compile's steps 3-6 for a partitioned design (the `partition` pass): one project per partition.

simulate: fpga-sim runs the partitions in turn (backend/sim/partitions.py) and
must match the imported IR bit for bit; lower + emit: `hls/p<i>/` per
partition with chained test vectors, `hls/README.md` with the host run order
(backend/hls/partitions.py); csim: every partition's project in order; the
report gives the schedule's FPS, the batch's latency and what binds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools.figures import fps_text

PARTITION_PIPELINE: tuple[str, ...] = (
    "dataflow-canonicalize",
    "merge-loops",
    "minimize-residual-buffers",  # skip FIFOs sized before the cuts: whole-tensor join FIFOs fit no partition
    "partition{board=$board max-util=0.75}",  # headroom as the large-model path leaves for FIFOs
)
"""The pipeline of `--weights partition`: partition folds each part itself (place-weights' search)."""

WEIGHED_PARTITION_PIPELINE: tuple[str, ...] = (
    *PARTITION_PIPELINE[:-1],
    "partition{board=$board max-util=0.75 streaming=true single=false}",
)
"""fpga-compile's automatic path: partitions with their weights on chip or streamed, whichever is faster (the
single streamed configuration is place-weights', weighed by fpga-compile)."""


def schedule_summary(module: ModuleOp, clock_mhz: float) -> dict:
    """The `dataflow.schedule` the partition pass wrote, as plain values, with the batch's latency."""
    from fpga_opt.passes.analysis.partitions import SCHEDULE_ATTR, partition_funcs, partition_info

    attr = module.attributes[SCHEDULE_ATTR].data  # type: ignore[attr-defined]
    summary = {k: (v.data if hasattr(v, "data") and isinstance(v.data, str) else v.value.data) for k, v in attr.items()}
    summary["batch_latency_ms"] = round(summary["batch_cycles"] / (clock_mhz * 1e3), 3)
    summary["partition_intervals"] = [partition_info(f)["interval"] for f in partition_funcs(module)]
    summary["streamed_layers"] = sum(
        1 for f in partition_funcs(module) for op in f.body.block.ops if op.name == "dataflow.weight_stream"
    )
    summary.update(choice_summary(module))
    return summary


def choice_summary(module: ModuleOp) -> dict:
    """`partition{streaming=true}`'s `dataflow.offchip_choice` as plain values ({} without it)."""
    from fpga_opt.passes.analysis.partitions import OFFCHIP_CHOICE_ATTR

    attr = module.attributes.get(OFFCHIP_CHOICE_ATTR)
    if attr is None:
        return {}
    values = {k: (v.data if isinstance(v, StringAttr) else v.value.data) for k, v in attr.data.items()}  # type: ignore
    return {"offchip_choice": values}


def run_partitioned(
    args: argparse.Namespace,
    module: ModuleOp,
    imported: ModuleOp,
    weights: dict,
    out: Path,
    board,
    say,
    total_steps: int,
) -> tuple[dict, bool | None]:
    """Steps 3-6 for a partitioned module; (report entries, csim passed: None when skipped)."""
    from fpga_opt.backend.hls.partitions import write_partition_projects
    from fpga_opt.backend.sim import run_functional
    from fpga_opt.backend.sim.boundary import random_inputs
    from fpga_opt.backend.sim.partitions import run_schedule
    from fpga_opt.tools.csim_check import run_csim_check

    t0 = time.perf_counter()
    inputs = random_inputs(imported, args.frames, args.seed)
    expected = run_schedule(module, weights, inputs, layout="hwc")
    reference = run_functional(imported, weights, inputs, layout="hwc")
    if not all(np.array_equal(a, b) for a, b in zip(expected, reference, strict=True)):
        raise FpgaOptError("fpga-sim: the partitioned design computes different outputs from the imported IR")
    say(
        f"[3/{total_steps}] simulate  fpga-sim, partitions in turn, on {args.frames} random input(s): "
        f"== imported IR, bit for bit  {time.perf_counter() - t0:.1f} s"
    )
    t0 = time.perf_counter()
    projects = partition_projects(module, weights, inputs=inputs)
    count = sum(1 for k in projects if k.startswith("p"))
    say(
        f"[4/{total_steps}] lower     lower-dataflow-to-hls on each of {count} partitions  {time.perf_counter() - t0:.1f} s"
    )
    project_dir = out / "hls"
    write_partition_projects(projects, project_dir)
    shown = Path(args.output) / "hls"  # where it will be: `out` is fpga-compile's staging folder until the end
    say(f"[5/{total_steps}] emit      {shown}/p0..p{count - 1}/ and README.md (host run order)")
    report: dict = {"project": str(project_dir)}
    csim = run_csim_check(
        [project_dir / f"p{index}" for index in range(count)],
        no_csim=args.no_csim,
        jobs=args.jobs,
        opt=args.opt,
        log=out / "csim.log",
    )
    verdict, passed = csim.verdict, csim.passed
    say(f"[6/{total_steps}] csim      {verdict}")
    equivalence = {
        "name": "equivalence",
        "status": "passed",
        "detail": f"fpga-sim on {args.frames} random input(s), partitions in turn: == imported IR, bit for bit",
    }
    report.update({"csim": verdict, "csim_passed": passed, "checks": [equivalence, csim.check]})
    return report, passed


def partition_projects(module: ModuleOp, weights, *, inputs=None) -> dict:
    """Each partition lowered alone (lower-dataflow-to-hls), then its project (backend/hls/partitions.py)."""
    from fpga_opt.backend.hls.partitions import build_partition_projects, partition_module
    from fpga_opt.dialects import make_context
    from fpga_opt.passes.analysis.partitions import partition_funcs
    from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass

    lowered = []
    for func in partition_funcs(module):
        single = partition_module(module, func)
        LowerDataflowToHlsPass().apply(make_context(), single)
        single.verify()
        lowered.append(single)
    return build_partition_projects(module, lowered, weights, inputs=inputs)


def schedule_text(summary: dict) -> list[str]:
    return [
        f"  partitions  {summary['partitions']} run in turn, batch {summary['batch']}: {fps_text(summary['fps'])} FPS, "
        f"batch latency {summary['batch_latency_ms']:g} ms ({summary['batch_cycles']} cycles, reconfiguration "
        f"{summary['reconfig_cycles']} cycles each); binds: {summary['binds']}",
        f"  intervals   {', '.join(str(i) for i in summary['partition_intervals'])} cycles per frame",
        *_choice_text(summary),
    ]


def _choice_text(summary: dict) -> list[str]:
    choice = summary.get("offchip_choice")
    if not choice:
        return []
    lines = [f"  weights     {summary['streamed_layers']} layer(s) streamed from DRAM; chosen: {choice['chosen']}"]
    for key in ("partitions", "streamed_partitions"):
        if key != choice["chosen"]:
            figure = f"{fps_text(choice[key + '_fps'])} FPS" if choice[key + "_fps"] else choice[key + "_binds"]
            lines.append(f"              {key.replace('_', ' ')}: {figure}")
    return lines
