"""The hardware models of the `dataflow` ops: cycles per frame, pipeline depth and resources.

Like LLVM's target cost models, they describe what the back end builds, and
everyone else only asks: `select-folding` searches with them, `estimate-resources`
and `fpga-report` print them, and `fpga-sim` runs at their rates.  This package
imports the dialects and the target description (`backend/target`) only, so the
passes and the simulator can both use it.  Other areas import from here only.

Layout (formulas and constants: docs/cost_model.md):

* `registry.py`: `COST_MODELS` (op class -> model), `CostContext`, `op_cost`, `op_rate`;
* `streams.py`: the lanes of each stream and what FIFOs on them cost;
* `network.py`: whole designs (`analyse_network`: interval, latency, resources);
* `layer_cost.py`, `checks.py`, `blocks.py`, `parts.py`: the result type, the
  formulas' argument checks, the hardware building blocks and the fused parts
  (requant, constant multiplies, activations) the op families share;
* one module per op family (`conv`, `linear`, `pool`, `eltwise`, `stream`,
  `exits`, `weights`): its layer formula of plain ints and its op's model, registered in
  `COST_MODELS`;
* `exit_rates.py`: which samples each op of an early-exit network sees.
"""

# The op families register their models in COST_MODELS when imported.
from fpga_opt.backend.costs import binary, conv, eltwise, exits, linear, pool, stream, weights  # noqa: F401
from fpga_opt.backend.costs.blocks import DSP_MULTIPLY_LATENCY, IO_LATENCY
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.network import NetworkCost, analyse_network, design_edges, design_ops, macs_per_frame
from fpga_opt.backend.costs.registry import (
    COST_MODELS,
    REFERENCE_CONTEXT,
    CostContext,
    has_cost_model,
    layer_name,
    op_cost,
    op_rate,
    register_cost_model,
)
from fpga_opt.backend.costs.streams import (
    default_fifo_cost,
    fifo_cost,
    lanes_driver,
    stream_lanes,
    window_fifo_cost,
)
from fpga_opt.backend.costs.weights import folding_owner

__all__ = [
    "COST_MODELS",
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
    "folding_owner",
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
