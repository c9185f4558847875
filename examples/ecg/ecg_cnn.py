#!/usr/bin/env python3
"""A small 1-D CNN for the ECG rhythm classes of ecg_data.py: model, training, ONNX export.

    python examples/ecg/ecg_cnn.py            # data, training, ecg_cnn.onnx + ecg_cnn_int8.onnx + ecg_test.npz here

Network (input [N, 1, 256]): three blocks of Conv1d -> BatchNorm1d -> ReLU -> pooling
(MaxPool1d(4), MaxPool1d(4), AvgPool1d(16)), then Linear to the four classes; 8/16/16 channels
at width 1.0.  It covers what 1-D support needs (Conv1d, MaxPool1d, AvgPool1d, BatchNorm1d,
Linear) and is small enough that fpga-explore evaluates a candidate in about a second.

Training: Adam (lr 3e-3), 12 epochs, batch 32, on 16 records per class (seed 0); the test set is
6 other records per class (seed 1).  The int8 model is onnxruntime's `quantize_static` (QDQ,
symmetric int8 activations and weights, per-tensor), calibrated on 128 training windows.

The topology knobs (`KNOBS`: width multiplier, depth, kernel size) and `build_onnx` are the
"parameterised model builder" fpga-explore's `--builder` takes (docs/explore.md): it trains the
network for `epochs` on the data it is given and writes its float ONNX.  torch is needed only
here (the `ecg` extra; the CPU wheel), never by fpga-opt itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LENGTH = 256
CLASSES = 4
#: fpga-explore --builder: the knobs and their values (the first value of each is the default).
KNOBS = {"width": [1.0, 0.5, 2.0], "depth": [3, 2], "kernel": [7, 5, 3]}
OPSET = 13


def make_model(width: float = 1.0, depth: int = 3, kernel: int = 7):
    """The network for the knobs: `depth` conv blocks (2 or 3), channels 8/16/16 x `width`, first kernel `kernel`."""
    import torch
    from torch import nn

    if depth not in (2, 3):
        raise ValueError(f"depth must be 2 or 3, got {depth}")
    chans = [max(2, round(c * width)) for c in (8, 16, 16)][:depth]
    kernels = [kernel, max(3, kernel - 2), 3][:depth]
    layers: list[nn.Module] = []
    c_in, length = 1, LENGTH
    for i, (c, k) in enumerate(zip(chans, kernels, strict=True)):
        layers += [nn.Conv1d(c_in, c, k, padding=k // 2, bias=False), nn.BatchNorm1d(c), nn.ReLU()]
        last = i == depth - 1
        pool = length if last else 4
        layers.append(nn.AvgPool1d(pool) if last else nn.MaxPool1d(pool))
        length //= pool
        c_in = c
    layers += [nn.Flatten(), nn.Linear(c_in, CLASSES)]
    torch.manual_seed(0)
    return nn.Sequential(*layers)


def train(model, x: np.ndarray, y: np.ndarray, epochs: int = 12, seed: int = 0) -> None:
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 32):
            idx = torch.from_numpy(order[start : start + 32])
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    import torch

    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def export(model, path: Path) -> None:
    import torch

    torch.onnx.export(
        model, torch.zeros(1, 1, LENGTH), str(path), input_names=["ecg"], output_names=["logits"],
        opset_version=OPSET, dynamo=False,
    )  # fmt: skip


def quantise_int8(float_path: Path, out_path: Path, calib: np.ndarray) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"ecg": calib[i : i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    quantize_static(
        str(float_path), str(out_path), Reader(), quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=False,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )  # fmt: skip


def build_onnx(knobs: dict, out_path: Path, data: dict[str, np.ndarray], epochs: int = 4, seed: int = 0) -> None:
    """fpga-explore --builder: train the network of `knobs` for `epochs` on data['x'], data['y']; write float ONNX."""
    import torch

    torch.set_num_threads(1)  # one evaluation per worker process
    model = make_model(float(knobs.get("width", 1.0)), int(knobs.get("depth", 3)), int(knobs.get("kernel", 7)))
    train(model, data["x"].astype(np.float32), data["y"].astype(np.int64), epochs=epochs, seed=seed)
    export(model, Path(out_path))


def main() -> None:
    from ecg_data import make_dataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--train-records", type=int, default=16)
    parser.add_argument("--test-records", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    x, y = make_dataset(args.train_records, seed=0)
    xt, yt = make_dataset(args.test_records, seed=1)
    model = make_model()
    train(model, x, y, epochs=args.epochs)
    print(f"float test accuracy {accuracy(model, xt, yt):.3f} on {len(yt)} windows")
    out = args.out_dir
    export(model, out / "ecg_cnn.onnx")
    calib = x[np.random.default_rng(0).permutation(len(x))[:128]]
    quantise_int8(out / "ecg_cnn.onnx", out / "ecg_cnn_int8.onnx", calib)
    np.savez_compressed(out / "ecg_test.npz", x=xt, y=yt)
    np.savez_compressed(out / "ecg_train.npz", x=x[::4], y=y[::4])
    print(f"wrote {out / 'ecg_cnn.onnx'}, {out / 'ecg_cnn_int8.onnx'}, ecg_test.npz, ecg_train.npz")


if __name__ == "__main__":
    main()
