"""Off-chip weights in HLS: the layer's weight table becomes a stream of its words (`weights.h`).

A conv or linear with `weight_placement = "dram"` or `"generated"` asks
`weight_words` for its weight table instead of `Lowering.table`: the same
layout (word = what the kernel multiplies in one cycle, in the order it reads
them), but produced by a kernel writing a stream, which the layer's kernel reads
through `fpga_opt::from_stream` (`hls.kernel` attribute `streamed_weights`):

* `dram_read`: an `hls.weights` table with `storage = "dram"` (an `m_axi`
  argument of the top function; the testbench loads it from `dram_<name>.bin`)
  swept `READS` times per frame, one word per cycle: sequential bursts;
* `ovsf_generate`: the layer's OVSF form (coefficient and code tables, on chip,
  or in DRAM as m_axi arguments when `coefficients = "dram"`, laid out per block row), each lane decoding which weight of the layer's table
  it computes from the layout (`VIEW`, `PERM`), with adders and sign flips
  (dialects/ovsf.py: the same integers fpga-sim computes).

The providers themselves lower to nothing: their layer lowers them.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls, ovsf
from fpga_opt.dialects.dataflow.weights import weight_reads_per_frame, weight_shape
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Lowering, int_attr

KERNEL_HEADERS = {"weights.h": ("dram_read", "ovsf_generate")}

OVSF_TABLE_ATTR = "fpga_opt.ovsf"
"""On an `hls.weights` holding part of an OVSF form: `{part = "coefficients" | "codes", block, ratio,
coef_bits}`; the emitter computes its values from `source` (backend/hls/emit.py, `table_values`)."""


@LOWERINGS.register(df.WeightStreamOp, df.WeightsGeneratorOp)
def lower_weight_provider(lw: Lowering, op: Operation) -> None:
    """Nothing here: the layer the provider feeds lowers it (`weight_words`), with its own table layout."""


def weight_words(
    lw: Lowering,
    layer: Operation,
    name: str,
    element: Attribute,
    source_shape: Sequence[int],
    view: Sequence[int],
    permutation: Sequence[int],
    shape: Sequence[int],
) -> SSAValue:
    """The stream of `layer`'s weight words (its provider lowered into a kernel writing them)."""
    provider = df.provider_of(layer)
    if provider is None:
        raise FpgaOptError(
            f"{layer.name} '{getattr(layer, 'layer_name', '?')}': its weights are off chip but no provider feeds it"
        )
    words, lanes = shape
    reads = weight_reads_per_frame(layer)
    stream = lw.new_stream(f"{name}_words", hls.StreamType([lanes], element), words * reads)
    if isinstance(provider, df.WeightStreamOp):
        sym = lw.names.fresh(f"{name}_dram")
        lw.weights.append(
            hls.WeightsOp(
                sym,
                source=provider.tensor,
                element=element,
                source_shape=source_shape,
                view=view,
                permutation=permutation,
                shape=shape,
                storage="dram",
            )
        )
        params = {"T": element, "WORDS": int_attr(words), "LANES": int_attr(lanes), "READS": int_attr(reads)}
        lw.kernels.append(
            hls.KernelOp(
                "dram_read",
                lw.names.fresh(f"{name}_read"),
                [],
                [stream],
                params,
                tables=[sym],
                source=f"{provider.name} '{provider.layer_name}'",
            )
        )
        return stream
    assert isinstance(provider, df.WeightsGeneratorOp)
    wshape = weight_shape(layer)
    cin = wshape[1]
    kp = wshape[2] * wshape[3] if len(wshape) == 4 else 1
    block = provider.block_channels
    rows = wshape[0] * cin // block
    length = ovsf.padded_length(block * kp)
    k = ovsf.kept_codes(provider.ratio_value, block * kp)
    derive = {
        "block": IntegerAttr(block, i64),
        "ratio": FloatAttr(provider.ratio_value, f64),
        "coef_bits": IntegerAttr(provider.coefficient_bits, i64),
        "weight_bits": IntegerAttr(df.element_bitwidth(element), i64),
    }
    tables = []
    for part, bits in (("coefficients", provider.coefficient_bits), ("codes", max(1, length.bit_length()))):
        sym = lw.names.fresh(f"{name}_{part}")
        table = hls.WeightsOp(
            sym,
            source=provider.source.data,
            element=IntegerType(max(bits, 2)),
            source_shape=[rows, k],
            view=[rows, k],
            permutation=[0, 1],
            shape=[rows, k],
            storage="dram" if provider.coefficients_in_dram else "auto",
        )
        table.attributes[OVSF_TABLE_ATTR] = DictionaryAttr({"part": StringAttr(part), **derive})
        lw.weights.append(table)
        tables.append(sym)
    lo, hi = df.int_range(provider.weight_type)  # type: ignore[arg-type]
    params: dict[str, Attribute] = {
        "T": element,
        "WORDS": int_attr(words),
        "LANES": int_attr(lanes),
        "READS": int_attr(reads),
        "NDIM": int_attr(len(view)),
        "VIEW": DenseArrayBase.from_list(i64, list(view)),
        "PERM": DenseArrayBase.from_list(i64, list(permutation)),
        "CIN": int_attr(cin),
        "KP": int_attr(kp),
        "BLOCK": int_attr(block),
        "K": int_attr(k),
        "LOG_L": int_attr(length.bit_length() - 1),
        "SHIFT": int_attr(ovsf.coefficient_shift(block * kp, df.element_bitwidth(element), provider.coefficient_bits)),
        "LO": int_attr(lo),
        "HI": int_attr(hi),
    }
    lw.kernels.append(
        hls.KernelOp(
            "ovsf_generate",
            lw.names.fresh(f"{name}_gen"),
            [],
            [stream],
            params,
            tables=tables,
            source=f"{provider.name} '{provider.layer_name}'",
        )
    )
    return stream
