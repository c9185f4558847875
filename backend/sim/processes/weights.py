"""Timing of the weights family: providers as processes feeding their layer's MAC array, DRAM as bandwidth.

* A provider is one process writing the layer's weight words on its
  `("weights", 0)` port at a constant rate over its cost model's cycles: a
  `dataflow.weight_stream` at its share of the derated DRAM bandwidth (every
  DRAM port gets the share of its bytes per frame, so each is a process that
  needs the whole DRAM's time per frame: together they are the DRAM,
  bandwidth-limited), a `dataflow.weights_generator` at one word per cycle.
* An off-chip layer's compute process gains a `("weights", 0)` input
  (`with_weight_port`) consuming reads x weights elements per frame, in
  proportion to the results it writes in each segment (every output pixel,
  or output fold of a linear, is computed with its share of the words).  A bounded FIFO joins the two (timing.py), so a provider
  slower than the MAC array starves it: a memory-bound design shows it in
  cycles per frame.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, Program, Schedule, frame_program, uniform
from fpga_opt.dialects.dataflow import WeightProviderOp, WeightsGeneratorOp, WeightStreamOp, consumer_of, is_off_chip
from fpga_opt.dialects.dataflow.weights import weight_count, weight_reads_per_frame, weight_word_lanes
from fpga_opt.dialects.errors import FpgaOptError

WEIGHTS_PORT = ("weights", 0)


def weight_elements(layer: Operation) -> int:
    """Weight elements a layer reads per frame: reads x weights."""
    return weight_reads_per_frame(layer) * weight_count(layer)


@PROCESSES.register(WeightStreamOp, WeightsGeneratorOp)
def provider_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    assert isinstance(op, WeightProviderOp)
    layer = consumer_of(op)
    if layer is None:
        raise FpgaOptError(f"{op.name} '{op.layer_name}': no off-chip layer reads tensor '{op.tensor}'")
    lanes = weight_word_lanes(layer)
    sched = uniform(float(rate.cycles), [], [float(weight_elements(layer))])
    return [ProcessSpec("main", frame_program(sched, 0.0), [], [WEIGHTS_PORT], [], [lanes])]


def with_weight_port(op: Operation, specs: list[ProcessSpec], fed: set | None = None) -> list[ProcessSpec]:
    """`specs` with a weights input on the main process when `op`'s weights come from a provider
    (of those in `fed`, the layers whose provider is in the simulated network, when given)."""
    if not is_off_chip(op) or (fed is not None and op not in fed):
        return specs
    total = float(weight_elements(op))
    lanes = weight_word_lanes(op)
    out = []
    for spec in specs:
        if spec.role != "main":
            out.append(spec)
            continue
        per_output = total / _frame_outputs(op)
        program = Program(
            _spread(spec.program.first, per_output),
            _spread(spec.program.steady, per_output),
            _spread(spec.program.final, per_output) if spec.program.final is not None else None,
        )
        out.append(
            ProcessSpec(
                spec.role,
                program,
                [*spec.inputs, WEIGHTS_PORT],
                list(spec.outputs),
                [*spec.in_lanes, lanes],
                list(spec.out_lanes),
            )
        )
    return out


def _frame_outputs(op: Operation) -> float:
    from fpga_opt.backend.sim.dtypes import stream_type

    return float(stream_type(op.results[0]).numel)


def _spread(sched: Schedule, per_output: float) -> Schedule:
    """A new input port taking `per_output` elements for every element written on result 0."""
    cons = [[*c, per_output * p[0]] for c, p in zip(sched.cons, sched.prod, strict=True)]
    return Schedule(list(sched.dur), cons, [list(p) for p in sched.prod])


def provider_buffer(op: Operation) -> float:
    """Elements the FIFO after a provider holds: a DRAM stream's burst buffer (`burst` beats of the AXI
    width, as its cost model counts it), else 0 (the default stream depth)."""
    from fpga_opt.backend.costs.weights import AXI_DATA_BITS
    from fpga_opt.dialects.dataflow import element_bitwidth

    if isinstance(op, WeightStreamOp):
        return float(op.burst.value.data * AXI_DATA_BITS // element_bitwidth(op.weight_type))
    return 0.0
