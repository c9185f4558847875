"""The `dataflow` dialect: a CNN as a streaming FPGA pipeline, one op per layer.

Rationale (the long form is docs/dialects/dataflow.md):

* **Streams, not tensors.**  A streaming accelerator never holds a feature map;
  every layer is a hardware process that consumes and produces pixels in raster
  order, channel-last (H x W x C).  `!dataflow.stream<HxWxCxT>` says what flows
  on an edge; the op's folding factors say how many lanes it moves per cycle.
* **One op per hardware layer.**  xDSL parses a few thousand ops per second, so
  a ResNet-50 must stay a few hundred ops.  Element-level behaviour lives in the
  interpreter (backend/sim), the cost models (passes/analysis) and the HLS
  kernels (backend/hls), all keyed by op.
* **Parallelism is explicit.**  `coarse_in`, `coarse_out` and `fine` on convs
  and linears (plus `coarse_group` for grouped convs), `coarse` on channel-wise
  ops.  All default to 1, which is a valid (slow) design; `select-folding`
  raises them.  Verifiers reject factors that do not divide the channels.
* **Quantisation is explicit.**  Element types are integers (i8 activations,
  i8 weights, i16/i32 bias, i32 accumulators) or f32.  Rescaling is a
  `#dataflow.requant` (integer multiplier, right shift, rounding, zero point,
  saturation bounds), so every consumer computes it bit-exactly.  Integer ReLU
  is a saturation bound, not an extra op.
* **Weights live in a sidecar.**  Ops name their tensors (`weights = "conv1.w"`);
  the module attribute `dataflow.weights` names an `.npz` beside the IR file.
  Small tests may inline tensors in the `dataflow.inline_weights` dictionary.
* **Fan-out is explicit.**  `dataflow.fork` copies a stream; once a graph is
  hardware every value has exactly one consumer.

Fused forms (written by `merge-loops` and `minimize-residual-buffers`) are the
same ops with optional parts switched on: a conv may take a `skip` stream that
its epilogue adds, and may emit a `side` stream carrying the centre pixel of
its window (or a merged 1x1 conv of it).

Layout: one module per op family (`conv`, `linear`, `pool`, `eltwise`,
`stream`, `exits`, `binary`, `weights`), beside `types`, `attrs` and `base` (the base classes, the
traits every op family shares, and the verification helpers).  Everything is
re-exported here, so `from fpga_opt.dialects.dataflow import ConvOp` works.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from fpga_opt.dialects.dataflow.attrs import (
    ACTIVATIONS,
    ROUNDING_MODES,
    ActivationAttr,
    RequantAttr,
)
from fpga_opt.dialects.dataflow.base import (
    OFF_CHIP_PLACEMENTS,
    ON_CHIP_PLACEMENTS,
    PLACEMENTS,
    ChannelParallelOp,
    DataflowOp,
    FifoOp,
    Folding,
    WholeFrameOp,
    WindowedOp,
    chunks,
    divisors,
    fine_values,
    is_off_chip,
    padded_values,
    port_lanes,
    weight_placement,
    window_output_size,
)
from fpga_opt.dialects.dataflow.binary import (
    BIT,
    BinaryLayerOp,
    BinaryTensors,
    LutLinearOp,
    ThresholdOp,
    XnorConvOp,
    XnorLinearOp,
    is_bit_stream,
    load_binary_tensors,
)
from fpga_opt.dialects.dataflow.conv import (
    ConvOp,
    conv_passes,
    conv_result_lanes,
    pass_terms,
)
from fpga_opt.dialects.dataflow.eltwise import (
    ActivationOp,
    AddOp,
    RequantizeOp,
    SoftmaxOp,
)
from fpga_opt.dialects.dataflow.exits import (
    DECISION_TYPE,
    EXIT_FRAC_BITS,
    EXIT_TABLE_MAX_ENTRIES,
    ConditionalBufferOp,
    ExitDecisionOp,
    ExitMergeOp,
    ExitRule,
    exit_rule,
    float_exit_decision,
    is_decision_stream,
)
from fpga_opt.dialects.dataflow.linear import (
    LinearOp,
)
from fpga_opt.dialects.dataflow.pool import (
    POOL_MODES,
    GlobalPoolOp,
    PoolOp,
)
from fpga_opt.dialects.dataflow.stream import (
    BufferOp,
    ConcatOp,
    ForkOp,
)
from fpga_opt.dialects.dataflow.types import (
    ShapedParameters,
    StreamType,
    element_bitwidth,
    int_range,
)
from fpga_opt.dialects.dataflow.weights import (
    WeightProviderOp,
    WeightsGeneratorOp,
    WeightStreamOp,
    check_weight_links,
    consumer_of,
    provider_of,
    weight_consumers,
    weight_providers,
)

Dataflow = Dialect(
    "dataflow",
    [
        ConvOp,
        LinearOp,
        PoolOp,
        GlobalPoolOp,
        AddOp,
        ConcatOp,
        ForkOp,
        BufferOp,
        RequantizeOp,
        ActivationOp,
        SoftmaxOp,
        ExitDecisionOp,
        ConditionalBufferOp,
        ExitMergeOp,
        ThresholdOp,
        XnorLinearOp,
        XnorConvOp,
        LutLinearOp,
        WeightStreamOp,
        WeightsGeneratorOp,
    ],
    [StreamType, RequantAttr, ActivationAttr],
)

__all__ = [
    "ACTIVATIONS",
    "ActivationAttr",
    "ActivationOp",
    "AddOp",
    "BIT",
    "BinaryLayerOp",
    "BinaryTensors",
    "LutLinearOp",
    "ThresholdOp",
    "XnorConvOp",
    "XnorLinearOp",
    "is_bit_stream",
    "load_binary_tensors",
    "BufferOp",
    "ChannelParallelOp",
    "ConcatOp",
    "ConditionalBufferOp",
    "ConvOp",
    "DECISION_TYPE",
    "Dataflow",
    "DataflowOp",
    "EXIT_FRAC_BITS",
    "EXIT_TABLE_MAX_ENTRIES",
    "ExitDecisionOp",
    "ExitMergeOp",
    "ExitRule",
    "FifoOp",
    "Folding",
    "ForkOp",
    "GlobalPoolOp",
    "LinearOp",
    "POOL_MODES",
    "PoolOp",
    "ROUNDING_MODES",
    "RequantAttr",
    "RequantizeOp",
    "ShapedParameters",
    "SoftmaxOp",
    "StreamType",
    "WholeFrameOp",
    "WindowedOp",
    "chunks",
    "conv_passes",
    "pass_terms",
    "conv_result_lanes",
    "divisors",
    "element_bitwidth",
    "exit_rule",
    "fine_values",
    "float_exit_decision",
    "int_range",
    "is_decision_stream",
    "padded_values",
    "port_lanes",
    "window_output_size",
    "OFF_CHIP_PLACEMENTS",
    "ON_CHIP_PLACEMENTS",
    "PLACEMENTS",
    "WeightProviderOp",
    "WeightStreamOp",
    "WeightsGeneratorOp",
    "check_weight_links",
    "consumer_of",
    "is_off_chip",
    "provider_of",
    "weight_consumers",
    "weight_placement",
    "weight_providers",
]
