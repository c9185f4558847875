"""Build the zoo: each classic CNN exported by torch, then quantised by onnxruntime in three forms.

    python examples/zoo/build_zoo.py --out build/zoo                  # every network, CIFAR size
    python examples/zoo/build_zoo.py --out build/zoo --size imagenet resnet18 mobilenet_v2
    python examples/zoo/build_zoo.py --out build/zoo --size all        # both sizes (ImageNet VGG: ~0.5 GB each)

For each network and size it writes, in `<out>/<size>/`:

| file | what |
|---|---|
| `<net>.onnx` | float32, `torch.onnx.export` (opset 13, eval mode: BatchNorm folded) |
| `<net>.qdq_tensor.onnx` | `quantize_static`, QDQ, per-tensor int8 weights, int8 activations (asymmetric) |
| `<net>.qdq_channel.onnx` | QDQ, per-channel int8 weights (axis 0), uint8 activations (asymmetric) |
| `<net>.qop.onnx` | QOperator (QLinearConv, QLinearMatMul, QLinearAdd, ...), per-channel, int8 activations (asymmetric; see below) |
| `calibration.npz` | the calibration images (generated: seeded normal noise, no dataset is downloaded) |

Weights are random (seeded): the zoo tests the compiler, not accuracy.  Needs
torch (CPU) and onnxruntime; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FORMS = ("float", "qdq_tensor", "qdq_channel", "qop")
CALIBRATION_SAMPLES = 8


def model_path(out: Path, size: str, net: str, form: str) -> Path:
    suffix = "" if form == "float" else f".{form}"
    return out / size / f"{net}{suffix}.onnx"


def calibration_images(hw: int, n: int = CALIBRATION_SAMPLES, seed: int = 0) -> np.ndarray:
    """`n` generated images (normal noise, NCHW float32): what the quantiser calibrates on."""
    return np.random.default_rng(seed).standard_normal((n, 3, hw, hw)).astype(np.float32)


def export_float(net: str, size: str, path: Path) -> None:
    import torch
    from zoo_models import CIFAR, IMAGENET, build

    hw = (IMAGENET if size == "imagenet" else CIFAR)["hw"]
    model = build(net, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model, torch.zeros(1, 3, hw, hw), str(path), input_names=["input"], output_names=["logits"],
            opset_version=13, dynamo=False, do_constant_folding=True,
        )  # fmt: skip


def quantise(float_path: Path, form: str, path: Path, images: np.ndarray) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input": images[i : i + 1]} for i in range(len(images))])

        def get_next(self):
            return next(self.items, None)

    per_channel = form != "qdq_tensor"
    quantize_static(
        str(float_path),
        str(path),
        Reader(),
        quant_format=QuantFormat.QOperator if form == "qop" else QuantFormat.QDQ,
        per_channel=per_channel,
        activation_type=QuantType.QUInt8 if form == "qdq_channel" else QuantType.QInt8,
        weight_type=QuantType.QInt8,
    )


def build_all(out: Path, sizes: list[str], nets: list[str], forms: tuple[str, ...] = FORMS) -> list[Path]:
    from zoo_models import CIFAR, IMAGENET

    written = []
    for size in sizes:
        hw = (IMAGENET if size == "imagenet" else CIFAR)["hw"]
        images = calibration_images(hw)
        (out / size).mkdir(parents=True, exist_ok=True)
        np.savez(out / size / "calibration.npz", input=images)
        for net in nets:
            t0 = time.perf_counter()
            float_path = model_path(out, size, net, "float")
            export_float(net, size, float_path)
            written.append(float_path)
            for form in forms:
                if form != "float":
                    quantise(float_path, form, model_path(out, size, net, form), images)
                    written.append(model_path(out, size, net, form))
            print(f"{size} {net} {', '.join(forms)}  {time.perf_counter() - t0:.1f} s", flush=True)
    return written


def main(argv: list[str] | None = None) -> None:
    from zoo_models import NAMES

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("nets", nargs="*", help=f"networks (default all: {', '.join(NAMES)})")
    p.add_argument("--out", default="build/zoo", help="output folder (default build/zoo)")
    p.add_argument("--size", choices=("cifar", "imagenet", "all"), default="cifar")
    args = p.parse_args(argv)
    sizes = ["cifar", "imagenet"] if args.size == "all" else [args.size]
    unknown = sorted(set(args.nets) - set(NAMES) - {"alexnet_lrn"})
    if unknown:
        p.error(f"unknown network(s) {', '.join(unknown)}; the zoo has {', '.join(NAMES)}")
    build_all(Path(args.out), sizes, args.nets or NAMES)


if __name__ == "__main__":
    main()
