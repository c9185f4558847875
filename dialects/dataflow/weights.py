"""Where a layer's weights come from: on chip, streamed from DRAM, or generated on chip (unzipFPGA).

Placement is a decision per layer, written in the IR:

* `weight_placement` on a `dataflow.conv` / `dataflow.linear` (absent: on
  chip, BRAM/URAM/LUTRAM as the cost model maps the memory; `"bram"`,
  `"uram"`, `"lutram"`: on chip, in that memory; `"dram"`: streamed from
  DRAM; `"generated"`: produced by a weights generator);
* a *provider* op naming the tensor it provides (`weights = "conv1.w"`), the
  one the layer's `weights` property names:

  - `dataflow.weight_stream`: an AXI master that bursts the tensor from DRAM,
    laid out in the layer's memory words, `reads` times per frame (a conv
    reads all its weights once per output pixel, a linear once per frame);
    `bytes_per_cycle` is its share of the board's derated DRAM bandwidth
    (`place-weights` gives every DRAM port the share of its bytes per frame,
    so that all finish a frame's traffic in the same time);
  - `dataflow.weights_generator`: rebuilds the tensor from its OVSF form
    (`dialects/ovsf.py`: `block` channels per block, `ratio` of the codes
    kept, `coef_bits` per coefficient) held in an on-chip coefficient memory,
    one memory word per cycle, with adders and sign flips only.  The tensor
    it provides is the *reconstructed* one (`source` names the original), so
    the IR says exactly which weights the layer multiplies.

Providers have no operands or results: they are linked to their layer by the
tensor name, as a `memref.global` is to its users.  `weight_providers` and
`provider_of` find the links; `check_weight_links` is the function-level
check every consumer of the IR runs (one provider per off-chip layer, its
placement matching).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TypeAttribute,
    f64,
)
from xdsl.ir import Attribute, Operation
from xdsl.irdl import irdl_op_definition, opt_prop_def, prop_def
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.base import (
    DataflowOp,
    i64_attr,
    is_off_chip,
    present,
    weight_placement,
    who,
)
from fpga_opt.dialects.dataflow.conv import ConvOp, pass_terms
from fpga_opt.dialects.dataflow.linear import LinearOp
from fpga_opt.dialects.errors import FpgaOptError

DRAM_ATTR = "dataflow.dram"
"""On a function: `{bytes_per_frame, bytes_per_cycle, cycles}`, its DRAM traffic and the cycles per frame it
needs (passes/analysis/placement.py); fpga-sim offers the network input at one frame per `cycles`."""

OVSF_METHODS = ("ovsf",)


class WeightProviderOp(DataflowOp):
    """A hardware process that provides a layer's weight words (`weights` names the tensor)."""

    weights = prop_def(StringAttr)
    weight_type = prop_def(TypeAttribute)

    assembly_format = "attr-dict"

    PLACEMENT: ClassVar[str] = ""
    """The consumer's `weight_placement` this provider serves."""

    @property
    def placement(self) -> str:
        return self.PLACEMENT

    @property
    def tensor(self) -> str:
        return self.weights.data


@irdl_op_definition
class WeightStreamOp(WeightProviderOp):
    """Streams a layer's weights from DRAM through an AXI master, in bursts of memory words.

    `reads`: how many times per frame the layer reads all its weights (the
    words are laid out in the order it reads them, so each read is one
    sequential burst sequence).  `bytes_per_cycle`: this port's share of the
    derated DRAM bandwidth.  `burst`: AXI beats per burst (1..256, AXI4).
    """

    name = "dataflow.weight_stream"
    PLACEMENT: ClassVar[str] = "dram"

    reads = prop_def(IntegerAttr[I64])
    bytes_per_cycle = prop_def(FloatAttr)
    burst = prop_def(IntegerAttr[I64], default_value=IntegerAttr(256, 64))

    def __init__(
        self,
        *,
        weights: str,
        weight_type: Attribute,
        reads: int,
        bytes_per_cycle: float,
        burst: int = 256,
        layer: str | None = None,
    ):
        props = {
            "weights": StringAttr(weights),
            "weight_type": weight_type,
            "reads": i64_attr(reads),
            "bytes_per_cycle": FloatAttr(float(bytes_per_cycle), f64),
            "burst": i64_attr(burst),
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(properties=present(props))

    @property
    def reads_per_frame(self) -> int:
        return self.reads.value.data

    @property
    def share(self) -> float:
        return float(self.bytes_per_cycle.value.data)

    def verify_(self) -> None:
        if self.reads.value.data < 1:
            raise VerifyException(f"{who(self)}: reads must be >= 1 per frame, got {self.reads.value.data}")
        if not self.share > 0:
            raise VerifyException(f"{who(self)}: bytes_per_cycle must be positive, got {self.share}")
        if not 1 <= self.burst.value.data <= 256:
            raise VerifyException(f"{who(self)}: burst must be 1..256 AXI beats, got {self.burst.value.data}")


@irdl_op_definition
class WeightsGeneratorOp(WeightProviderOp):
    """Generates a layer's weights on chip from their OVSF form (`dialects/ovsf.py`).

    `source`: the original tensor; `weights`: the reconstructed tensor it
    provides (the layer names it).  `block`: input channels per block;
    `ratio`: kept codes per block over the block's length; `coef_bits`: bits
    of a quantised coefficient.  Coefficients and code indices live in an
    on-chip memory; each weight is the sum of the block's kept coefficients
    with the signs of their codes at its position, requantised to
    `weight_type`.  `coefficients = "dram"`: the coefficient memory is in
    DRAM instead (unzipFPGA's engine streams the compressed weights), read
    at `bytes_per_cycle`, this port's share of the DRAM bandwidth.
    """

    name = "dataflow.weights_generator"
    PLACEMENT: ClassVar[str] = "generated"

    source = prop_def(StringAttr)
    method = prop_def(StringAttr, default_value=StringAttr("ovsf"))
    ratio = prop_def(FloatAttr)
    block = prop_def(IntegerAttr[I64])
    coef_bits = prop_def(IntegerAttr[I64], default_value=IntegerAttr(8, 64))
    coefficients = prop_def(StringAttr, default_value=StringAttr("onchip"))
    bytes_per_cycle = opt_prop_def(FloatAttr)

    def __init__(
        self,
        *,
        weights: str,
        source: str,
        weight_type: Attribute,
        ratio: float,
        block: int,
        coef_bits: int = 8,
        coefficients: str = "onchip",
        layer: str | None = None,
    ):
        props = {
            "weights": StringAttr(weights),
            "source": StringAttr(source),
            "coefficients": StringAttr(coefficients),
            "bytes_per_cycle": FloatAttr(1.0, f64) if coefficients == "dram" else None,
            "weight_type": weight_type,
            "method": StringAttr("ovsf"),
            "ratio": FloatAttr(float(ratio), f64),
            "block": i64_attr(block),
            "coef_bits": i64_attr(coef_bits),
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(properties=present(props))

    @property
    def ratio_value(self) -> float:
        return float(self.ratio.value.data)

    @property
    def block_channels(self) -> int:
        return self.block.value.data

    @property
    def coefficient_bits(self) -> int:
        return self.coef_bits.value.data

    @property
    def coefficients_in_dram(self) -> bool:
        """Whether the coefficients are read from DRAM (unzipFPGA's engine) rather than an on-chip memory."""
        return self.coefficients.data == "dram"

    @property
    def share(self) -> float:
        return float(self.bytes_per_cycle.value.data) if self.bytes_per_cycle is not None else 0.0

    def compress(self, original):
        """The OVSF form (`ovsf.Compressed`) of the layer's original integer weights `original`."""
        from fpga_opt.dialects import ovsf

        return ovsf.compress(
            original, block=self.block_channels, ratio=self.ratio_value, coef_bits=self.coefficient_bits
        )

    def reconstruct(self, original):
        """The weights this generator produces from `original` (bit-exact, in `original`'s shape)."""
        from fpga_opt.dialects import ovsf
        from fpga_opt.dialects.dataflow.types import int_range

        lo, hi = int_range(self.weight_type)
        return ovsf.reconstruct(self.compress(original), tuple(original.shape), lo=lo, hi=hi)

    def verify_(self) -> None:
        if self.method.data not in OVSF_METHODS:
            raise VerifyException(
                f"{who(self)}: method must be one of {', '.join(OVSF_METHODS)}, got '{self.method.data}'"
            )
        if not 0 < self.ratio_value <= 1:
            raise VerifyException(f"{who(self)}: ratio must be in (0, 1], got {self.ratio_value}")
        if self.block_channels < 1:
            raise VerifyException(f"{who(self)}: block must be >= 1 channel, got {self.block_channels}")
        if not 2 <= self.coefficient_bits <= 32:
            raise VerifyException(f"{who(self)}: coef_bits must be 2..32, got {self.coefficient_bits}")
        if self.coefficients.data not in ("onchip", "dram"):
            raise VerifyException(f"{who(self)}: coefficients must be onchip or dram, got '{self.coefficients.data}'")
        if self.coefficients_in_dram and not self.share > 0:
            raise VerifyException(f"{who(self)}: coefficients in DRAM need a positive bytes_per_cycle")
        if self.source.data == self.weights.data:
            raise VerifyException(
                f"{who(self)}: the generated tensor must have its own name (weights = source = '{self.source.data}')"
            )


# --------------------------------------------------------------------------
# Links between providers and layers
# --------------------------------------------------------------------------


def weight_providers(root: Operation) -> dict[str, WeightProviderOp]:
    """Every provider under `root` (a function or module), by the tensor it provides."""
    found: dict[str, WeightProviderOp] = {}
    for op in root.walk():
        if isinstance(op, WeightProviderOp):
            if op.tensor in found:
                raise FpgaOptError(f"{who(op)}: tensor '{op.tensor}' has two providers")
            found[op.tensor] = op
    return found


def weight_consumers(root: Operation) -> list[Operation]:
    """The layers under `root` whose weights are off chip, in program order."""
    return [op for op in root.walk() if isinstance(op, DataflowOp) and is_off_chip(op)]


def provider_of(op: Operation, providers: dict[str, WeightProviderOp] | None = None) -> WeightProviderOp | None:
    """The provider of an off-chip layer's weights (None for an on-chip layer)."""
    if not is_off_chip(op):
        return None
    if providers is None:
        root = op.parent_op()
        providers = weight_providers(root) if root is not None else {}
    name = op.properties["weights"].data  # type: ignore[union-attr]
    return providers.get(name)


def consumer_of(provider: WeightProviderOp) -> Operation | None:
    """The layer a provider feeds (the off-chip layer whose `weights` it names)."""
    root = provider.parent_op()
    if root is None:
        return None
    for op in root.walk():
        if isinstance(op, DataflowOp) and is_off_chip(op) and op.properties["weights"].data == provider.tensor:  # type: ignore[union-attr]
            return op
    return None


def check_weight_links(root: Operation) -> dict[Operation, WeightProviderOp]:
    """Every off-chip layer has exactly one provider of the right kind, every provider one layer.

    Returns layer -> provider; raises `FpgaOptError` naming the layer or provider otherwise.
    """
    providers = weight_providers(root)
    links: dict[Operation, WeightProviderOp] = {}
    used: set[str] = set()
    for op in weight_consumers(root):
        name = op.properties["weights"].data  # type: ignore[union-attr]
        provider = providers.get(name)
        placement = weight_placement(op)
        if provider is None:
            raise FpgaOptError(
                f'{who(op)}: weight_placement = "{placement}" but no dataflow.weight_stream or '
                f"dataflow.weights_generator provides '{name}'"
            )
        if provider.placement != placement:
            raise FpgaOptError(
                f"{who(op)}: weight_placement = \"{placement}\" but '{name}' is provided by {provider.name}"
            )
        if provider.weight_type != op.properties["weight_type"]:
            raise FpgaOptError(
                f"{who(provider)}: weight_type {provider.weight_type} differs from its layer's "
                f"{op.properties['weight_type']}"
            )
        links[op] = provider
        used.add(name)
    for name, provider in providers.items():
        if name not in used:
            raise FpgaOptError(f"{who(provider)}: no off-chip layer reads tensor '{name}'")
    return links


# --------------------------------------------------------------------------
# What a layer needs from its provider (conv and linear)
# --------------------------------------------------------------------------


def weight_shape(op: Operation) -> tuple[int, ...]:
    """The layer's weight tensor shape: conv `[C_out, C_in/g, Kh, Kw]`, linear `[N, H*W*C]`."""
    if isinstance(op, ConvOp):
        inp, out = op.window_stream, op.output.type
        kh, kw = op.kernel_size
        return (out.channels, inp.channels // op.groups.value.data, kh, kw)  # type: ignore[union-attr]
    if isinstance(op, LinearOp):
        return (op.output.type.channels, op.input.type.numel)  # type: ignore[union-attr]
    raise FpgaOptError(f"{who(op)}: has no weight tensor a provider could feed")


def weight_count(op: Operation) -> int:
    """Weights of the layer's main tensor."""
    n = 1
    for d in weight_shape(op):
        n *= d
    return n


def weight_word_lanes(op: Operation, folding: dict[str, int] | None = None) -> int:
    """Weights the layer multiplies per cycle (one memory word): conv ci*fine*co*cg (terms*co*cg in the
    flattened form), linear ci*co."""
    f = op.factors(folding)  # type: ignore[attr-defined]
    if isinstance(op, ConvOp):
        return pass_terms(f) * f["coarse_out"] * f["coarse_group"]
    if "fine" in f:
        return f["coarse_in"] * f["coarse_out"] * f["fine"] * f["coarse_group"]
    return f["coarse_in"] * f["coarse_out"]


def weight_reads_per_frame(op: Operation) -> int:
    """How many times per frame the layer reads all its weights.

    A conv reads every weight word once per output pixel (conv.h has no weight
    cache), or once per `reuse` pixels with temporal reuse; a linear once per frame.
    """
    if isinstance(op, ConvOp):
        out = op.output.type
        return out.height * out.width // op.reuse_factor  # type: ignore[union-attr]
    return 1


def dram_cycles(func: Operation) -> int | None:
    """The `cycles` of a function's `dataflow.dram` (None when it has none)."""
    from xdsl.dialects.builtin import DictionaryAttr

    attr = func.attributes.get(DRAM_ATTR)
    if isinstance(attr, DictionaryAttr) and isinstance(attr.data.get("cycles"), IntegerAttr):
        return attr.data["cycles"].value.data  # type: ignore[union-attr]
    return None
