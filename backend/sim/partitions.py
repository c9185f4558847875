"""fpga-sim over a partitioned design: each partition run on the batch in turn, reconfiguration between them.

A module written by the `partition` pass holds one function per partition
(passes/analysis/partitions.py).  Functionally the partitions compose: the
batch's feature maps out of partition i (in DRAM) are partition i+1's inputs.
In time, the device runs the whole batch through partition i (simulated as its
own network for `batch` frames), is reconfigured (`reconfig_cycles`, a
constant from the board), then runs partition i+1:

    cycles per batch = sum_i (R + cycles of partition i on the batch),  R = 0 for one partition.

A partition's cycles on the batch are the time its last frame of the batch is
out (`batch_done_cycles`), not the simulation's `total_cycles`: simulate_timing
runs one guard frame after the measured ones (so the last measured frame sees a
continuing stream's back-pressure), and the device runs only the batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from fpga_opt.backend.sim.graph import elaborate
from fpga_opt.backend.sim.timing import TimingReport, simulate_timing
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.partitions import partition_funcs, partition_info


@dataclass(frozen=True)
class ScheduleReport:
    """fpga-sim's figures for a partitioned design's schedule."""

    parts: list[TimingReport]
    names: list[str]
    batch: int
    reconfig_cycles: int
    clock_mhz: float

    @property
    def batch_cycles(self) -> float:
        reconfigurations = len(self.parts) if len(self.parts) > 1 else 0
        return reconfigurations * self.reconfig_cycles + sum(batch_done_cycles(r) for r in self.parts)

    @property
    def cycles_per_frame(self) -> float:
        """T_batch / B; one partition is never stopped to reconfigure: its steady state, frames back to back."""
        if len(self.parts) == 1 and self.parts[0].cycles_per_frame:
            return self.parts[0].cycles_per_frame
        return self.batch_cycles / self.batch

    @property
    def fps(self) -> float:
        return self.clock_mhz * 1e6 / self.cycles_per_frame

    @property
    def latency_s(self) -> float:
        return self.batch_cycles / (self.clock_mhz * 1e6)


def batch_done_cycles(report: TimingReport) -> float:
    """When a partition's last frame of the batch is out: the guard frame simulate_timing adds is not run."""
    return report.frame_done_cycles[-1]


def _partitions(module: ModuleOp):
    funcs = partition_funcs(module)
    if not funcs:
        raise FpgaOptError("fpga-sim: the module is not partitioned (no function has dataflow.partition)")
    return funcs


def simulate_schedule(module: ModuleOp, batch: int = 0, fifo_depth: int | None = None, **options) -> ScheduleReport:
    """Simulate every partition on `batch` frames (0: the batch the partition pass chose) in run order."""
    funcs = _partitions(module)
    info = partition_info(funcs[0])
    batch = batch or info["batch"]
    reports = []
    for func in funcs:
        report = simulate_timing(
            elaborate(module, func=func.sym_name.data), frames=batch, fifo_depth=fifo_depth, **options
        )
        if report.deadlock is not None:
            raise FpgaOptError(f"fpga-sim: partition @{func.sym_name.data} deadlocks: {report.deadlock.message()}")
        reports.append(report)
    return ScheduleReport(
        reports, [f.sym_name.data for f in funcs], batch, info["reconfig_cycles"], reports[0].clock_mhz
    )


def run_schedule(module: ModuleOp, weights: Mapping[str, np.ndarray] | None, inputs, layout: str = "auto") -> list:
    """The partitioned design's outputs on `inputs`: each partition's outputs (raw integers, the feature maps
    that go through DRAM) are the next one's inputs."""
    from fpga_opt.backend.sim import run_functional

    funcs = _partitions(module)
    values = inputs
    for index, func in enumerate(funcs):
        outputs = run_functional(
            module, weights, values, func=func.sym_name.data, layout=layout if index == 0 else "hwc"
        )
        values = outputs[0] if index < len(funcs) - 1 else outputs
    return values
