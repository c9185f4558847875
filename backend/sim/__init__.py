"""`fpga-sim`: the golden model and the cycle-level timing of a dataflow network.

Python API
----------
`run_functional(module, weights, inputs)` -> list of output batches
    Bit-exact execution (no timing).  `inputs` is an array, a list of arrays
    (one per function argument) or a name->array mapping; each array is one
    sample or a batch in NCHW or HWC (see `boundary`).  Outputs are
    `(B, H, W, C)` arrays in the streams' element types (float32 with
    `dequantize=True`).

`simulate(module, weights, inputs, frames=...)` -> `SimResult`
    The functional outputs (when `inputs` is given) and a `TimingReport`:
    `cycles_per_frame`, `latency_cycles`, `fps`, per-op busy/stall and FIFO
    occupancy, or a `deadlock`.  Timing does not depend on the data, so
    `inputs=None` gives the timing alone -- except in an early-exit network,
    where each sample is routed by its real decision (`exits.py`: the
    conditional buffers drop frames, the later stages see fewer frames) and
    the report gains an `exits` section; without inputs the route is
    `exits=` (a pattern of exit indices), else `dataflow.exit_probabilities`
    spread evenly, else every sample takes the final exit.

`simulate_timing(elaborate(module), frames=..., input_interval=None)` -> `TimingReport`
    The timing alone (no weights, no inputs).  `input_interval` offers each
    input at one frame per that many cycles instead of all at once, as a
    paced DMA would (`size-fifos` measures FIFO occupancy so).

`weights` may be None: the module's own `WeightStore` is then used, with
`base_dir` (the IR file's folder) to find the sidecar.

Inside: `functional.py` runs the graph on the op kernels of `KERNELS`
(`kernels/`, one module per op family, over the arithmetic of
`semantics.py`); `timing.py` runs the processes of `PROCESSES`
(`processes/`, one module per op family, over the schedules of
`schedule.py`) at the cost models' rates (`rates.py`); `exits.py` routes
the samples of an early-exit network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from fpga_opt.backend.sim import exits as _exits
from fpga_opt.backend.sim.boundary import dequantise, prepare_inputs
from fpga_opt.backend.sim.functional import FunctionalModel
from fpga_opt.backend.sim.graph import Network, elaborate
from fpga_opt.backend.sim.kernels import KERNELS
from fpga_opt.backend.sim.processes import PROCESSES
from fpga_opt.backend.sim.timing import DEFAULT_FIFO_DEPTH, DEFAULT_FRAMES, Deadlock, TimingReport, simulate_timing
from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.weights import WeightStore

__all__ = [
    "KERNELS",
    "PROCESSES",
    "DEFAULT_FIFO_DEPTH",
    "Deadlock",
    "FunctionalModel",
    "Network",
    "SimResult",
    "TimingReport",
    "elaborate",
    "load_module",
    "run_functional",
    "simulate",
    "simulate_timing",
]

Inputs = np.ndarray | Sequence[np.ndarray] | Mapping[str, np.ndarray]


@dataclass
class SimResult:
    """Functional outputs (one `(B, H, W, C)` batch per function result, or None) and the timing."""

    outputs: list[np.ndarray] | None
    timing: TimingReport
    network: Network

    @property
    def deadlock(self) -> Deadlock | None:
        return self.timing.deadlock

    @property
    def cycles_per_frame(self) -> float | None:
        return self.timing.cycles_per_frame


def _network(module: ModuleOp | Network, func: str | None) -> Network:
    return module if isinstance(module, Network) else elaborate(module, func)


def _weights(net: Network, weights: Mapping[str, np.ndarray] | None, base_dir: str | Path):
    return weights if weights is not None else WeightStore.for_module(net.module, base_dir)


def run_functional(
    module: ModuleOp | Network,
    weights: Mapping[str, np.ndarray] | None,
    inputs: Inputs,
    *,
    func: str | None = None,
    layout: str = "auto",
    dequantize: bool = False,
    base_dir: str | Path = ".",
) -> list[np.ndarray]:
    """The network's outputs for `inputs`, bit-exact; see the module docstring."""
    net = _network(module, func)
    model = FunctionalModel(net, _weights(net, weights, base_dir))
    outputs = model.run(prepare_inputs(net, inputs, layout))
    return dequantise(outputs, net) if dequantize else outputs


def simulate(
    module: ModuleOp | Network,
    weights: Mapping[str, np.ndarray] | None = None,
    inputs: Inputs | None = None,
    *,
    frames: int | None = None,
    clock_mhz: float | None = None,
    func: str | None = None,
    layout: str = "auto",
    fifo_depth: int | None = DEFAULT_FIFO_DEPTH,
    resolution: str = "row",
    frame_overlap: bool = True,
    dequantize: bool = False,
    base_dir: str | Path = ".",
    exits: Sequence[int] | None = None,
) -> SimResult:
    """Functional outputs and streaming timing over `frames` frames (default: the batch size, at least 8).

    `fifo_depth` is the depth in words of every edge without a `dataflow.buffer` (None: unbounded, the
    fully decoupled design the analytical model assumes).  `exits`: in an early-exit network, the exit
    each frame takes (repeated cyclically), instead of the inputs' real decisions.
    """
    net = _network(module, func)
    outputs = None
    batch = 1
    trace = None
    if inputs is not None:
        model = FunctionalModel(net, _weights(net, weights, base_dir))
        prepared = prepare_inputs(net, inputs, layout)
        batch = prepared[0].shape[0] if prepared else 1
        outputs, trace = _exits.trace_exits(model, prepared)
        if dequantize:
            outputs = dequantise(outputs, net)
    n = frames if frames is not None else max(batch, DEFAULT_FRAMES)
    routing = _exits.exit_routing(net, n, trace=trace, pattern=exits)
    timing = simulate_timing(
        net,
        frames=n,
        clock_mhz=clock_mhz,
        fifo_depth=fifo_depth,
        resolution=resolution,
        frame_overlap=frame_overlap,
        routing=routing,
    )
    return SimResult(outputs, timing, net)
