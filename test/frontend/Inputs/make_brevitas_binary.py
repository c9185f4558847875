#!/usr/bin/env python3
"""Export small binarised networks with Brevitas' own QONNX exporter (the committed *.onnx next to this file).

Brevitas binary layers (SignedBinaryWeightPerTensorConst weights,
SignedBinaryActPerTensorConst activations) with batch norms between them, as
FINN's BNN examples build them; random (seeded) weights and batch-norm
statistics.  Needs torch and brevitas (`pip install '.[lutnet]'`); the outputs
are committed so the tests need neither.

    python test/frontend/Inputs/make_brevitas_binary.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnx
import torch
from brevitas.export import export_qonnx
from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
from brevitas.quant import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst
from torch import nn

HERE = Path(__file__).resolve().parent / "binary"


def sign():
    return QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)


def linear(n_in, n_out):
    return QuantLinear(n_in, n_out, bias=False, weight_quant=SignedBinaryWeightPerTensorConst)


def randomise_batch_norms(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.running_mean.uniform_(-0.4, 0.4)  # of dot products scaled by the weights' 0.1
            m.running_var.uniform_(0.05, 0.5)
            m.weight.uniform_(-1.5, 1.5)  # negative scales flip the comparison
            m.bias.uniform_(-1, 1)


def mlp() -> tuple[nn.Module, tuple[int, ...]]:
    return nn.Sequential(
        sign(), linear(32, 24), nn.BatchNorm1d(24), sign(), linear(24, 16), nn.BatchNorm1d(16), sign(), linear(16, 5)
    ), (1, 32)


def cnn() -> tuple[nn.Module, tuple[int, ...]]:
    return nn.Sequential(
        sign(),
        QuantConv2d(2, 6, 3, bias=False, weight_quant=SignedBinaryWeightPerTensorConst),
        nn.BatchNorm2d(6),
        sign(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        linear(6 * 3 * 3, 12),
        nn.BatchNorm1d(12),
        sign(),
        linear(12, 4),
    ), (1, 2, 8, 8)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    for name, build in (("brevitas_bnn_mlp", mlp), ("brevitas_bnn_cnn", cnn)):
        torch.manual_seed(0)
        model, shape = build()
        with torch.no_grad():
            randomise_batch_norms(model)
        model.eval()
        with tempfile.TemporaryDirectory() as tmp:
            export_qonnx(model, torch.randn(*shape), export_path=str(Path(tmp) / "m.onnx"))
            exported = onnx.load(str(Path(tmp) / "m.onnx"))  # loads any external data
        onnx.save(exported, str(out / f"{name}.onnx"))
        print(out / f"{name}.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
