#!/usr/bin/env python3
"""Train a two-exit B-LeNet on scikit-learn's handwritten digits and export it to ONNX.

The real case of ATHEENA-style early exits in fpga-opt.  Needs the optional
extra `[early-exit]` (torch, scikit-learn); its outputs are committed, so that
nothing else in the repository needs torch or scikit-learn:

* `digits_blenet.onnx`: float32, opset 13, IR version 8, input `input`
  1x1x16x16, outputs `exit0` then `exit1` (logits);
* `digits_blenet_int8.onnx`: the same network as an int8 QDQ graph with
  power-of-two scales and zero point 0 (the conventions of
  examples/models/README.md, built by that directory's `QDQEmitter`);
* `digits_test.npz`: the held-out test split, `x` float32 Nx1x16x16 (already
  preprocessed: the network's input) and `y` int64 labels;
* `digits_results.json`: the accuracies and early-exit rates of both models on
  the test split (`evaluate_digits.evaluate`) and the training settings.

Usage::

    pip install -e '.[early-exit]'
    python examples/early_exit/train_digits.py            # train, export, report
    python examples/early_exit/train_digits.py --out-dir DIR

Data: `sklearn.datasets.load_digits` (1797 8x8 images, pixel values 0..16),
divided by 16 and upscaled to 16x16 bilinearly (`upscale`, half-pixel centres
as torch's `interpolate(align_corners=False)`), split 70 % / 30 % stratified
with a fixed seed.  Training: BranchyNet's joint loss (the sum of both exits'
cross-entropies), Adam, fixed seeds, one thread, deterministic algorithms.

Network (B-LeNet / BranchyNet-LeNet scaled to 16x16; the same layer kinds and
widths as examples/models' `blenet`):

    conv1 5x5 5ch pad 2 -> relu -> maxpool 2                       8x8x5
      exit 0:   conv 3x3 10ch pad 1 -> relu -> avgpool 2 -> flatten (160) -> gemm 10 = exit0
      backbone: conv2 5x5 10ch pad 2 -> relu -> maxpool 2          4x4x10
                conv3 5x5 20ch pad 2 -> relu -> maxpool 2          2x2x20
                flatten (80) -> gemm 84 -> relu -> gemm 10 = exit1

The int8 model's activation scales are calibrated (max |x|, rounded up to a
power of two) on the whole training split.  The accuracies and early-exit
rates printed at the end are those of `evaluate_digits.py`, which needs only
onnxruntime.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = Path(__file__).resolve().parent
MODELS_DIR = HERE.parent / "models"

SEED = 0
TEST_FRACTION = 0.3
EPOCHS = 100
BATCH = 32
LR = 2e-3
WEIGHT_DECAY = 1e-4
#: Loss weights of exit 0 and exit 1 (BranchyNet: equal weights).
EXIT_WEIGHTS = (1.0, 1.0)
#: Augmentation: each training image is shifted by up to this many pixels (zero fill).
MAX_SHIFT = 1
INPUT_SHAPE = (1, 1, 16, 16)

FLOAT_MODEL = "digits_blenet.onnx"
INT8_MODEL = "digits_blenet_int8.onnx"
TEST_SPLIT = "digits_test.npz"
RESULTS = "digits_results.json"


def load_build_models():
    """examples/models/build_models.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("build_models", MODELS_DIR / "build_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_models", module)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
def interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear interpolation with half-pixel centres (torch's align_corners=False), edges clamped."""
    m = np.zeros((n_out, n_in), np.float64)
    for o in range(n_out):
        src = min(max((o + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1)
        lo = math.floor(src)
        hi = min(lo + 1, n_in - 1)
        frac = src - lo
        m[o, lo] += 1.0 - frac
        m[o, hi] += frac
    return m


def upscale(images: np.ndarray, size: int = 16) -> np.ndarray:
    """Bilinear upscaling of (N, h, w) images to (N, size, size)."""
    n, h, w = images.shape
    rows, cols = interpolation_matrix(h, size), interpolation_matrix(w, size)
    return np.einsum("oh,nhw,pw->nop", rows, images, cols)


def load_data():
    """(x_train, y_train, x_test, y_test): x float32 Nx1x16x16 in [0, 1], y int64."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = upscale(digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=TEST_FRACTION, random_state=SEED, stratify=y)
    return x_train, y_train, x_test, y_test


# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------
#: (tag, kind, shape) of every parameterised layer, in the order of `blenet_spec`.
LAYERS = (
    ("conv1", "conv", (5, 1, 5, 5)),
    ("exit0.conv", "conv", (10, 5, 3, 3)),
    ("exit0", "gemm", (10, 160)),
    ("conv2", "conv", (10, 5, 5, 5)),
    ("conv3", "conv", (20, 10, 5, 5)),
    ("fc1", "gemm", (84, 80)),
    ("exit1", "gemm", (10, 84)),
)


def blenet_spec(e, params: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """The network on a build_models emitter (FloatEmitter or QDQEmitter), given trained params."""
    x = e.conv("input", "conv1", *params["conv1"], pad=2, act="relu")
    x = e.maxpool(x, "pool1", 2, 2)  # 8x8
    b = e.conv(x, "exit0.conv", *params["exit0.conv"], pad=1, act="relu")
    b = e.avgpool(b, "exit0.pool", 2, 2)  # 4x4
    b = e.flatten(b, "exit0.flatten")
    b = e.gemm(b, "exit0", *params["exit0"])
    e.output(b, "exit0")
    x = e.conv(x, "conv2", *params["conv2"], pad=2, act="relu")
    x = e.maxpool(x, "pool2", 2, 2)  # 4x4
    x = e.conv(x, "conv3", *params["conv3"], pad=2, act="relu")
    x = e.maxpool(x, "pool3", 2, 2)  # 2x2
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "fc1", *params["fc1"], act="relu")
    x = e.gemm(x, "exit1", *params["exit1"])
    e.output(x, "exit1")


def torch_blenet():
    import torch
    from torch import nn

    class BLeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 5, 5, padding=2)
            self.exit0_conv = nn.Conv2d(5, 10, 3, padding=1)
            self.exit0 = nn.Linear(160, 10)
            self.conv2 = nn.Conv2d(5, 10, 5, padding=2)
            self.conv3 = nn.Conv2d(10, 20, 5, padding=2)
            self.fc1 = nn.Linear(80, 84)
            self.exit1 = nn.Linear(84, 10)

        def forward(self, x):
            f = nn.functional
            x = f.max_pool2d(f.relu(self.conv1(x)), 2)
            b = f.avg_pool2d(f.relu(self.exit0_conv(x)), 2)
            e0 = self.exit0(torch.flatten(b, 1))
            x = f.max_pool2d(f.relu(self.conv2(x)), 2)
            x = f.max_pool2d(f.relu(self.conv3(x)), 2)
            x = f.relu(self.fc1(torch.flatten(x, 1)))
            return e0, self.exit1(x)

        def params(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
            out = {}
            for tag, _, shape in LAYERS:
                layer = getattr(self, tag.replace(".", "_"))
                w = layer.weight.detach().numpy().astype(np.float32)
                assert w.shape == shape, (tag, w.shape, shape)
                out[tag] = (w.copy(), layer.bias.detach().numpy().astype(np.float32).copy())
            return out

    return BLeNet()


def random_shift(x, gen):
    """Shift each image of the batch by a random (dy, dx) in [-MAX_SHIFT, MAX_SHIFT]^2, filling with zeros."""
    import torch

    m = MAX_SHIFT
    size = x.shape[-1]
    padded = torch.nn.functional.pad(x, (m, m, m, m))
    offsets = torch.randint(0, 2 * m + 1, (len(x), 2), generator=gen)
    out = torch.empty_like(x)
    for oy in range(2 * m + 1):
        for ox in range(2 * m + 1):
            chosen = (offsets[:, 0] == oy) & (offsets[:, 1] == ox)
            out[chosen] = padded[chosen, :, oy : oy + size, ox : ox + size]
    return out


def train(x_train: np.ndarray, y_train: np.ndarray, log=print):
    return train_two_exits(torch_blenet, x_train, y_train, EPOCHS, log)


def train_two_exits(build, x_train: np.ndarray, y_train: np.ndarray, epochs: int, log=print):
    """Train a two-exit net built by `build()` on the joint loss of both exits (BranchyNet's recipe).

    Seeded and single-threaded before the net is built, so the same call gives the same weights.
    """
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    net = build()
    opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train)
    gen = torch.Generator().manual_seed(SEED)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xs), generator=gen)
        total = 0.0
        for start in range(0, len(xs), BATCH):
            idx = order[start : start + BATCH]
            e0, e1 = net(random_shift(xs[idx], gen))
            loss = EXIT_WEIGHTS[0] * loss_fn(e0, ys[idx]) + EXIT_WEIGHTS[1] * loss_fn(e1, ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(f"epoch {epoch + 1}  joint loss {total / len(xs):.4f}")
    net.eval()
    return net


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def calibrate(model: onnx.ModelProto, handles: list[str], x: np.ndarray) -> dict[str, float]:
    """max |x| of every handle tensor of the float graph over the batch `x` (onnx.reference)."""
    from onnx.reference import ReferenceEvaluator

    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.input[:]
    m.graph.input.append(helper.make_tensor_value_info("input", TensorProto.FLOAT, None))
    del m.graph.output[:]
    names = [h for h in handles if h != "input"]
    for h in names:
        m.graph.output.append(helper.make_tensor_value_info(h, TensorProto.FLOAT, None))
    values = ReferenceEvaluator(m).run(names, {"input": x})
    out = {"input": float(np.max(np.abs(x)))}
    out.update({h: float(np.max(np.abs(v))) for h, v in zip(names, values, strict=True)})
    return out


def export(params, x_calib: np.ndarray):
    """(float model, int8 QDQ model, worst-case |accumulator|) built with examples/models' emitters."""
    bm = load_build_models()
    fe = bm.FloatEmitter(INPUT_SHAPE)
    blenet_spec(fe, params)
    fmodel = fe.model("digits_blenet", "Two-exit B-LeNet trained on sklearn digits (16x16); float32")
    handles = [h for h in fe.handles if h in bm._tensor_names(fmodel)]
    qe = bm.QDQEmitter(INPUT_SHAPE, calibrate(fmodel, handles, x_calib), fe.params)
    blenet_spec(qe, params)
    qmodel = qe.model(
        "digits_blenet_int8", "Two-exit B-LeNet trained on sklearn digits (16x16); int8 QDQ, power-of-two scales"
    )
    for m in (fmodel, qmodel):
        onnx.checker.check_model(m, full_check=True)
    return fmodel, qmodel, qe.max_acc, bm.serialize


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    args = ap.parse_args(argv)
    import sklearn
    import torch

    x_train, y_train, x_test, y_test = load_data()
    print(f"digits: {len(x_train)} training, {len(x_test)} test images of 1x16x16")
    net = train(x_train, y_train)
    with torch.no_grad():
        t0, t1 = (o.numpy() for o in net(torch.from_numpy(x_test)))
    print(f"torch float: exit0 {np.mean(t0.argmax(1) == y_test):.2%}  exit1 {np.mean(t1.argmax(1) == y_test):.2%}")

    fmodel, qmodel, max_acc, serialize = export(net.params(), x_train)
    print(f"int8 worst-case |accumulator| 2^{math.log2(max_acc):.1f} (exact in float32 below 2^24)")
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / FLOAT_MODEL).write_bytes(serialize(fmodel))
    (out / INT8_MODEL).write_bytes(serialize(qmodel))
    np.savez_compressed(out / TEST_SPLIT, x=x_test.astype(np.float32), y=y_test.astype(np.int64))

    sys.path.insert(0, str(HERE))
    import evaluate_digits

    o0, o1 = evaluate_digits.run_onnx(out / FLOAT_MODEL, x_test)
    diff = max(float(np.max(np.abs(o0 - t0))), float(np.max(np.abs(o1 - t1))))
    print(f"ONNX float vs torch: max |logit difference| {diff:.2e}")
    if diff > 1e-3:
        print("error: the exported float model disagrees with torch", file=sys.stderr)
        return 1
    results = evaluate_digits.evaluate(out)
    results["training"] = {
        "seed": SEED,
        "epochs": EPOCHS,
        "lr": LR,
        "weight_decay": WEIGHT_DECAY,
        "exit_loss_weights": list(EXIT_WEIGHTS),
        "max_shift": MAX_SHIFT,
        "train_samples": int(len(x_train)),
        "torch": torch.__version__,
        "scikit_learn": sklearn.__version__,
        "int8_worst_case_accumulator_log2": round(math.log2(max_acc), 2),
    }
    (out / RESULTS).write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(evaluate_digits.format_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
