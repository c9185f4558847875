#!/usr/bin/env python3
"""How far the resource model is from designs that were built: published utilisation, side by side.

    python benchmarks/cost_calibration.py [--json FILE]

Each published design below comes with its measured resources (post-implementation
utilisation reports of Vivado or the paper's table) and is reproduced in fpga-opt at
the design's own folding; the table prints, per resource, what was measured, what the
cost models predict and the relative error (model / measured - 1).  The constants of
the models were not fitted to these numbers (docs/cost_model.md cites each one's
source); this is the check, not the tuning.

Designs:

* **NN2FPGA ResNet-20** (the ResNet HLS flow: Minnella et al., arXiv:2309.15631; its
  journal version Bosio et al., IEEE TCAD 44(5), 2025, Table VII), int8, KV260 at
  250 MHz, 7601 FPS: 636 DSP, 65.0 kLUT, 60.5 RAMB36 (= 121 RAMB18), 12 URAM; no FF
  figure.  The per-layer parallelism is not in the text we could read, so the design is
  reproduced by its rate: fpga-opt's ResNet flow (merge-loops, select-folding
  objective=resources at 7601 FPS, minimize-residual-buffers, size-fifos) on the corpus'
  int8 ResNet-20 (examples/models/resnet20_int8.onnx, a network of the same shape).
  The paper keeps weights in URAM; fpga-opt does not (a ROM in UltraScale+ URAM has no
  bitstream initialisation) and keeps many of them in LUT ROMs instead (`rom_resources`),
  so its memory split differs: read the BRAM18, URAM and LUT rows together.
* **FINN CNV-W1A1 and CNV-W2A2** (BNN-PYNQ, github.com/Xilinx/BNN-PYNQ,
  `bnn/src/network/cnvW{1A1,2A2}/README.md`: Vivado 2018.2 utilisation on PYNQ-Z1/Z2),
  reproduced layer by layer from the SIMD/PE of each layer in `hw/config.h` with the
  layer models of `backend/costs` (SIMD = coarse_in, PE = coarse_out; 1- or 2-bit
  weights and activations, 8-bit network input; FINN's thresholds as a per-channel
  table and a comparator per threshold; the FIFO depths of `hw/top.cpp`).  FINN builds
  2-bit multipliers in LUTs (`ap_resource_lut`), where fpga-opt's model puts every
  multiply of more than one bit on a DSP: expect the DSP and LUT errors of W2A2 to show it.

Figures only: nothing here asserts.  benchmarks/folding_quality.py prints this table too.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"

RESOURCES = ("dsp", "bram18", "uram", "lut", "ff")


@dataclass(frozen=True)
class Published:
    """A design someone built, with the resources its implementation report measured."""

    name: str
    source: str
    board: str
    measured: dict[str, int | None]  # resource -> measured amount (None: not reported)


NN2FPGA_RESNET20 = Published(
    "NN2FPGA ResNet-20 int8 (KV260, 250 MHz, 7601 FPS)",
    "Bosio et al., IEEE TCAD 44(5) 2025, Table VII (arXiv:2309.15631 for the flow)",
    "kv260",
    {"dsp": 636, "bram18": 121, "uram": 12, "lut": 65_000, "ff": None},  # 60.5 RAMB36 = 121 RAMB18
)
FINN_CNV_W1A1 = Published(
    "FINN CNV-W1A1 (PYNQ-Z1, 100 MHz)",
    "BNN-PYNQ bnn/src/network/cnvW1A1/README.md (Vivado 2018.2)",
    "pynqz2",
    {"dsp": 24, "bram18": 2 * 76 + 96, "uram": 0, "lut": 26_072, "ff": 41_312},
)
FINN_CNV_W2A2 = Published(
    "FINN CNV-W2A2 (PYNQ-Z1, 100 MHz)",
    "BNN-PYNQ bnn/src/network/cnvW2A2/README.md (Vivado 2018.2)",
    "pynqz2",
    {"dsp": 32, "bram18": 2 * 138 + 4, "uram": 0, "lut": 37_302, "ff": 51_386},
)

# CNV (BNN-PYNQ hw/config.h): (kernel, IFM_CH, IFM_DIM, OFM_CH, OFM_DIM, SIMD, PE) per conv,
# (MW, MH, SIMD, PE) per fully connected layer; 2x2 max pools after conv 1 and conv 3.
CNV_CONVS = {
    "w1a1": [(3, 3, 32, 64, 30, 3, 16), (3, 64, 30, 64, 28, 32, 32), (3, 64, 14, 128, 12, 32, 16),
             (3, 128, 12, 128, 10, 32, 16), (3, 128, 5, 256, 3, 32, 4), (3, 256, 3, 256, 1, 32, 1)],
    "w2a2": [(3, 3, 32, 64, 30, 3, 8), (3, 64, 30, 64, 28, 16, 16), (3, 64, 14, 128, 12, 16, 8),
             (3, 128, 12, 128, 10, 16, 8), (3, 128, 5, 256, 3, 8, 4), (3, 256, 3, 256, 1, 8, 1)],
}  # fmt: skip
CNV_FCS = {
    "w1a1": [(256, 512, 4, 1), (512, 512, 8, 1), (512, 64, 1, 4)],
    "w2a2": [(256, 512, 2, 1), (512, 512, 2, 2), (512, 64, 1, 4)],
}
# hw/top.cpp: the explicit stream depths between layers (bits wide, depth); others are 2 deep.
CNV_STREAMS = [(24, 128), (64, 128), (64, 2), (64, 128), (128, 128), (128, 2), (128, 81), (256, 1), (256, 1),
               (64, 128), (64, 3)]  # fmt: skip


def finn_cnv(variant: str) -> dict[str, int]:
    """CNV at its BNN-PYNQ folding, costed by fpga-opt's layer models on a PYNQ-Z2 (DSP48E1)."""
    from fpga_opt.backend.costs.blocks import adders
    from fpga_opt.backend.costs.conv import conv_cost
    from fpga_opt.backend.costs.linear import linear_cost
    from fpga_opt.backend.costs.pool import pool_cost
    from fpga_opt.backend.target.boards import get_board
    from fpga_opt.backend.target.resources import Resources, fifo_resources

    board = get_board("pynqz2")
    bits = 1 if variant == "w1a1" else 2
    thresholds = 2**bits - 1  # FINN's multi-threshold activation: 2^bits - 1 thresholds per channel
    common = {"packing": False, "dsp_type": board.dsp_type, "lut_per_bram18": board.lut / board.bram18}
    total = Resources()
    for i, (k, c_in, dim_in, c_out, dim_out, simd, pe) in enumerate(CNV_CONVS[variant]):
        layer = conv_cost(
            h_in=dim_in, w_in=dim_in, c_in=c_in, c_out=c_out, kh=k, kw=k,
            in_bits=8 if i == 0 else bits, weight_bits=bits, acc_bits=16, out_bits=bits,
            bias_bits=16 * thresholds, coarse_in=simd, coarse_out=pe, **common,
        )  # fmt: skip
        total += layer.resources + adders(pe * thresholds, 16)  # the threshold comparators
        if i in (1, 3):  # 2x2 max pool of the whole channel word
            total += pool_cost(h_in=dim_out, w_in=dim_out, c=c_out, kh=2, kw=2, stride_h=2, stride_w=2,
                               bits=bits, coarse=c_out, dsp_type=board.dsp_type).resources  # fmt: skip
    for j, (mw, mh, simd, pe) in enumerate(CNV_FCS[variant]):
        last = j == len(CNV_FCS[variant]) - 1
        layer = linear_cost(
            c_in=mw, c_out=mh, in_bits=bits, weight_bits=bits, acc_bits=16,
            bias_bits=0 if last else 16 * thresholds, coarse_in=simd, coarse_out=pe, **common,
        )  # fmt: skip
        total += layer.resources + (Resources() if last else adders(pe * thresholds, 16))
    for width, depth in CNV_STREAMS:
        total += fifo_resources(width, depth)
    return total.as_dict()


def resnet20_at_published_rate() -> dict[str, int]:
    """fpga-opt's ResNet flow on the corpus' int8 ResNet-20, folded for 7601 FPS on KV260, FIFOs sized."""
    from xdsl.context import Context

    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.target.boards import get_board
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes import load_pass

    module = import_onnx(MODELS / "resnet20_int8.onnx").module
    board = get_board("kv260")
    for name, options in (
        ("dataflow-canonicalize", {}),
        ("merge-loops", {}),
        ("select-folding", {"board": "kv260", "objective": "resources", "target_fps": 7601}),
        ("minimize-residual-buffers", {}),
        ("size-fifos", {"refold": True}),
    ):
        load_pass(name)(**options).apply(Context(), module)
    return analyse_network(module, CostContext.for_board(board)).resources.as_dict()


def rows() -> list[dict[str, object]]:
    """One row per design and resource: measured, model, error."""
    cases = [
        (NN2FPGA_RESNET20, resnet20_at_published_rate),
        (FINN_CNV_W1A1, lambda: finn_cnv("w1a1")),
        (FINN_CNV_W2A2, lambda: finn_cnv("w2a2")),
    ]
    out = []
    for design, reproduce in cases:
        model = reproduce()
        for resource in RESOURCES:
            measured = design.measured.get(resource)
            predicted = model[resource]
            error = predicted / measured - 1 if measured else None  # none reported, or 0 measured
            out.append(
                {
                    "design": design.name,
                    "source": design.source,
                    "resource": resource,
                    "measured": measured,
                    "model": predicted,
                    "error": error,
                }
            )
    return out


def print_table(table: list[dict[str, object]]) -> None:
    from fpga_opt.tools.tables import render

    print("Resource model against published implementations (error = model / measured - 1)\n")
    rows = []
    last = None
    for r in table:
        name = r["design"] if r["design"] != last else ""
        last = r["design"]
        measured = "-" if r["measured"] is None else f"{r['measured']:,}"
        error = "-" if r["error"] is None else f"{100 * r['error']:+.0f}%"
        rows.append([name, r["resource"], measured, f"{r['model']:,}", error])
    print(render(["design", "resource", "measured", "model", "error"], rows, right={2, 3, 4}))
    sources = sorted({(r["design"], r["source"]) for r in table})
    print()
    for design, source in sources:
        print(f"  {design}: {source}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    table = rows()
    print_table(table)
    if args.json:
        args.json.write_text(json.dumps(table, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
