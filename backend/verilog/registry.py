"""`VERILOG_EMITTERS`: op class -> the function that builds the op as unrolled Verilog.

The unrolled backend builds binarised networks (LUTNet's unrolled form: every
operator a physical LUT, every weight baked into the fabric, one frame per
clock).  The ops it has no hardware for are exempt, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xdsl.ir import Operation

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.registry import OpRegistry

if TYPE_CHECKING:
    from fpga_opt.backend.verilog.netlist import Netlist

EmitFn = Callable[["Netlist", Operation], None]

VERILOG_EMITTERS: OpRegistry[EmitFn] = OpRegistry("Verilog emitter", "backend/verilog")

_NOT_BINARY = (
    "the unrolled Verilog backend builds binarised networks (LUTNet); multi-bit layers go through the HLS backend"
)
for _op in (
    df.ConvOp,
    df.LinearOp,
    df.GlobalPoolOp,
    df.AddOp,
    df.ConcatOp,
    df.RequantizeOp,
    df.ActivationOp,
    df.SoftmaxOp,
):
    VERILOG_EMITTERS.exempt(_op, _NOT_BINARY)
_NO_EXITS = "early exits are an HLS-backend feature; an unrolled network computes every frame in one clock"
for _op in (df.ExitDecisionOp, df.ConditionalBufferOp, df.ExitMergeOp):
    VERILOG_EMITTERS.exempt(_op, _NO_EXITS)
_ON_CHIP = "the unrolled backend bakes every weight into the fabric, so weights never stream from DRAM or get generated"
for _op in (df.WeightStreamOp, df.WeightsGeneratorOp):
    VERILOG_EMITTERS.exempt(_op, _ON_CHIP)
