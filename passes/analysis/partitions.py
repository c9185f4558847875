"""Partitions: a network split into consecutive parts run one after another, the device reconfigured between them.

The IR form (written by the `partition` pass): one `func.func` per partition,
`@<net>_p0`, `@<net>_p1`..., in run order; partition i's result is partition
i+1's argument, a feature map that goes through DRAM (so it counts in both
partitions' DRAM traffic, placement.dram_traffic).  Each function carries
`dataflow.partition = {index, count, batch, reconfig_cycles}`; the module
carries the schedule's figures (`dataflow.schedule`).

The schedule model (fpgaConvNet/SAMO's: the device runs a batch of B frames
through partition 0, is reconfigured, runs the batch through partition 1...):

    T_batch = sum_i (R + L_i + B * I_i)               (R = 0 when there is one partition)
    FPS     = B * f_clk / T_batch,   latency of the batch = T_batch / f_clk
    FPS     = f_clk / I_0                             (one partition: frames stream back to back)

where I_i is partition i's interval (max(slowest op, its DRAM time)), L_i what
its first frame takes beyond the interval (placement.first_frame_latency: the
first frame's completion time F_i from every op's own schedule run against
when its input arrives, minus I_i; not the longest path of pipeline depths,
which is when the first output element appears), R the
reconfiguration time (backend/target/offchip.py: bitstream bits /
configuration-port bandwidth).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Operation, SSAValue

from fpga_opt.dialects.dataflow import WeightProviderOp, consumer_of
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.partitions import PARTITION_ATTR, SCHEDULE_ATTR, partition_funcs, partition_info

__all__ = ["PARTITION_ATTR", "SCHEDULE_ATTR", "partition_funcs", "partition_info"]

OFFCHIP_CHOICE_ATTR = "dataflow.offchip_choice"
"""On the module, from `partition{streaming=true}`: which of one streamed configuration and the partitions
was kept, with both frame rates."""

#: Function attributes that describe the network's input (kept on the first partition) or output (the last).
INPUT_ATTRS = ("dataflow.input_names", "dataflow.input_scales")
OUTPUT_ATTRS = ("dataflow.output_names", "dataflow.output_scales")


def body_ops(func: FuncOp) -> list[Operation]:
    """The network's ops in order, without the weight providers (they go with the layer they feed) and the return."""
    return [op for op in func.body.block.ops if not isinstance(op, (ReturnOp, WeightProviderOp))]


def cut_points(func: FuncOp) -> list[int]:
    """Indices i into `body_ops` after which the only live value is op i's single result: where a cut
    sends exactly one feature map through DRAM (a residual block's inside is not a cut point)."""
    ops = body_ops(func)
    ret = func.body.block.last_op
    last_use: dict[SSAValue, int] = {}
    for i, op in enumerate(ops):
        for v in op.operands:
            last_use[v] = max(last_use.get(v, -1), i)
    if ret is not None:
        for v in ret.operands:
            last_use[v] = len(ops)
    points = []
    live: set[SSAValue] = {a for a in func.body.block.args if last_use.get(a, -1) >= 0}
    for i, op in enumerate(ops[:-1]):
        live |= {r for r in op.results if r in last_use}
        live = {v for v in live if last_use[v] > i}
        if len(op.results) == 1 and live == {op.results[0]}:
            points.append(i)
    return points


def split(func: FuncOp, ends: list[int], attrs: dict | None = None) -> list[FuncOp]:
    """`func` cut after each op index in `ends` (from `cut_points`): one new function per part, in order."""
    if len(func.body.block.args) != 1:
        raise FpgaOptError(f"partition: @{func.sym_name.data} has {len(func.body.block.args)} inputs; one is supported")
    ops = body_ops(func)
    ret = func.body.block.last_op
    assert isinstance(ret, ReturnOp)
    providers: dict[Operation, list[Operation]] = {}
    for op in func.body.block.ops:
        if isinstance(op, WeightProviderOp):
            layer = consumer_of(op)
            if layer is None:
                raise FpgaOptError(f"partition: {op.name} '{op.layer_name}' feeds no layer")
            providers.setdefault(layer, []).append(op)
    bounds = [-1, *ends, len(ops) - 1]
    parts = []
    name = func.sym_name.data
    for index in range(len(bounds) - 1):
        group = ops[bounds[index] + 1 : bounds[index + 1] + 1]
        source = func.body.block.args[0] if index == 0 else ops[bounds[index]].results[0]
        outputs = list(ret.operands) if index == len(bounds) - 2 else [group[-1].results[0]]
        part = FuncOp(f"{name}_p{index}", ([source.type], [v.type for v in outputs]))
        mapper: dict[SSAValue, SSAValue] = {source: part.body.block.args[0]}
        for op in group:
            for provider in providers.get(op, []):
                part.body.block.add_op(provider.clone(value_mapper=mapper))
            part.body.block.add_op(op.clone(value_mapper=mapper))
        missing = [v for v in outputs if v not in mapper]
        if missing:
            raise FpgaOptError(f"partition: @{name}: a cut after op {bounds[index + 1]} is not a single feature map")
        part.body.block.add_op(ReturnOp(*[mapper[v] for v in outputs]))
        for key, value in func.attributes.items():
            if key in INPUT_ATTRS and index > 0 or key in OUTPUT_ATTRS and index < len(bounds) - 2:
                continue
            part.attributes[key] = value
        part.attributes.update(attrs or {})
        parts.append(part)
    return parts


@dataclass(frozen=True)
class PartFigures:
    """One partition's figures in the schedule model."""

    name: str
    interval: int
    latency: int
    binding: str


@dataclass(frozen=True)
class Schedule:
    """The partitioned design's schedule: T_batch = sum_i (R + L_i + B I_i), R = 0 for one partition."""

    parts: list[PartFigures]
    batch: int
    reconfig_cycles: int
    clock_hz: float

    @property
    def reconfigurations(self) -> int:
        return len(self.parts) if len(self.parts) > 1 else 0

    @property
    def batch_cycles(self) -> int:
        run = sum(p.latency + self.batch * p.interval for p in self.parts)
        return self.reconfigurations * self.reconfig_cycles + run

    @property
    def cycles_per_frame(self) -> float:
        """The batch's cycles per frame, T_batch / B (one partition: its first frame over the batch)."""
        return self.batch_cycles / self.batch

    @property
    def fps(self) -> float:
        """Frames per second: B frames per T_batch through partitions; one configuration is never stopped to
        reconfigure, so it streams frames back to back at its interval (its batch of one is its latency)."""
        if not self.reconfigurations:
            return self.clock_hz / max(p.interval for p in self.parts)
        return self.clock_hz / self.cycles_per_frame

    @property
    def latency_s(self) -> float:
        """Seconds from the start of a batch to its last result (every frame of a batch waits for all of it)."""
        return self.batch_cycles / self.clock_hz

    def binding(self) -> str:
        """What limits the schedule: reconfiguration, or the slowest partition and what binds it."""
        if self.reconfigurations * self.reconfig_cycles > self.batch_cycles / 2:
            return f"reconfiguration ({self.reconfigurations} x {self.reconfig_cycles} cycles per batch)"
        slow = max(self.parts, key=lambda p: p.interval)
        return f"partition {slow.name}: {slow.binding}"


def choose_batch(parts: list[PartFigures], reconfig_cycles: int, clock_hz: float, max_batch: int) -> int:
    """The smallest batch reaching 90% of the schedule's asymptotic frame rate (reconfiguration and fill
    amortised), at most `max_batch`: a larger batch only adds latency for the last 10%."""
    asymptote = sum(p.interval for p in parts)
    batch = 1
    while batch < max_batch and Schedule(parts, batch, reconfig_cycles, clock_hz).cycles_per_frame > asymptote / 0.9:
        batch *= 2
    if batch > 1:  # the smallest power-of-two step overshoots: bisect down
        lo, hi = batch // 2, min(batch, max_batch)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if Schedule(parts, mid, reconfig_cycles, clock_hz).cycles_per_frame > asymptote / 0.9:
                lo = mid
            else:
                hi = mid
        batch = hi
    return min(batch, max_batch)


def schedule_attr(schedule: Schedule) -> DictionaryAttr:
    return DictionaryAttr(
        {
            "partitions": IntegerAttr(len(schedule.parts), i64),
            "batch": IntegerAttr(schedule.batch, i64),
            "reconfig_cycles": IntegerAttr(schedule.reconfig_cycles, i64),
            "batch_cycles": IntegerAttr(schedule.batch_cycles, i64),
            "fps": FloatAttr(round(schedule.fps, 3), f64),
            "binds": StringAttr(schedule.binding()),
        }
    )


def partition_attr(index: int, count: int, batch: int, reconfig_cycles: int, interval: int, latency: int):
    return DictionaryAttr(
        {
            "index": IntegerAttr(index, i64),
            "count": IntegerAttr(count, i64),
            "batch": IntegerAttr(batch, i64),
            "reconfig_cycles": IntegerAttr(reconfig_cycles, i64),
            "interval": IntegerAttr(interval, i64),
            "latency": IntegerAttr(latency, i64),
        }
    )


def offchip_choice_attr(chosen: str, streamed, plans: dict, clock_hz: float) -> DictionaryAttr:
    """`dataflow.offchip_choice`: the design kept and each alternative's frame rate and what binds it (an
    alternative that does not fit has fps 0 and says why).  `streamed`: (function, PlacedCost) or why not;
    `plans`: "partitions" / "streamed_partitions" -> (parts, Schedule) or why not."""
    fields: dict = {"chosen": StringAttr(chosen)}
    if isinstance(streamed, tuple):
        cost = streamed[1]
        fields["streaming_fps"] = FloatAttr(round(clock_hz / cost.interval, 3), f64)
        fields["streaming"] = StringAttr(cost.binding)
    else:
        fields["streaming_fps"] = FloatAttr(0.0, f64)
        fields["streaming"] = StringAttr(streamed)
    for key, plan in plans.items():
        schedule = plan[1] if isinstance(plan, tuple) else None
        fields[key] = IntegerAttr(len(schedule.parts) if schedule else 0, i64)
        fields[f"{key}_fps"] = FloatAttr(round(schedule.fps, 3) if schedule else 0.0, f64)
        fields[f"{key}_binds"] = StringAttr(schedule.binding() if schedule else plan)
    return DictionaryAttr(fields)
