"""The hardware models of the `dataflow` ops: cycles per frame, pipeline depth and resources.

Like LLVM's target cost models, they describe what the back end builds, and
everyone else only asks: `select-folding` searches with them, `estimate-resources`
and `fpga-report` print them, and `fpga-sim` runs at their rates.  This package
imports the dialects and the target description (`backend/target`) only, so the
passes and the simulator can both use it.
"""

from fpga_opt.backend.costs.layer_models import DSP_MULTIPLY_LATENCY, IO_LATENCY, LayerCost
from fpga_opt.backend.costs.op_costs import (
    REFERENCE_CONTEXT,
    CostContext,
    NetworkCost,
    analyse_network,
    default_fifo_cost,
    design_edges,
    design_ops,
    fifo_cost,
    has_cost_model,
    lanes_driver,
    layer_name,
    macs_per_frame,
    op_cost,
    op_rate,
    register_cost_model,
    stream_lanes,
    window_fifo_cost,
)

__all__ = [
    "DSP_MULTIPLY_LATENCY",
    "IO_LATENCY",
    "REFERENCE_CONTEXT",
    "CostContext",
    "LayerCost",
    "NetworkCost",
    "analyse_network",
    "default_fifo_cost",
    "design_edges",
    "design_ops",
    "fifo_cost",
    "has_cost_model",
    "lanes_driver",
    "layer_name",
    "macs_per_frame",
    "op_cost",
    "op_rate",
    "register_cost_model",
    "stream_lanes",
    "window_fifo_cost",
]
