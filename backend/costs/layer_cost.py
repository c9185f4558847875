"""`LayerCost`, what every cost model returns, and how layer costs combine.

- `cycles`: the initiation interval of one frame, i.e. clock cycles per frame
  in steady state (throughput = clock / cycles);
- `pipeline_depth`: cycles from the layer's first input to its first output
  (the network latency is the sum along the longest path);
- `resources`: DSP, RAMB18, URAM, LUT and FF estimates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fpga_opt.backend.target.resources import Resources


@dataclass(frozen=True)
class LayerCost:
    """Cycles per frame (steady state), cycles to first output, and resources."""

    cycles: int
    pipeline_depth: int
    resources: Resources

    def fps(self, clock_mhz: float) -> float:
        """Frames per second of this layer alone at `clock_mhz`."""
        return fps_from_cycles(self.cycles, clock_mhz)


def fps_from_cycles(cycles: int, clock_mhz: float) -> float:
    """Frames per second of a design whose interval is `cycles` at `clock_mhz`."""
    if cycles <= 0 or clock_mhz <= 0:
        raise ValueError(f"cycles and clock must be positive, got {cycles}, {clock_mhz}")
    return clock_mhz * 1e6 / cycles


def chain_cost(costs: Iterable[LayerCost]) -> LayerCost:
    """Layers one after another: the slowest interval, the summed depth and resources."""
    costs = list(costs)
    if not costs:
        raise ValueError("chain_cost needs at least one layer")
    return LayerCost(
        max(c.cycles for c in costs),
        sum(c.pipeline_depth for c in costs),
        sum((c.resources for c in costs), Resources()),
    )
