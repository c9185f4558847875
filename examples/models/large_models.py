#!/usr/bin/env python3
"""ImageNet-size int8 models for the off-chip flow: ResNet-18, ResNet-50, MobileNet-v2 (random weights).

Built with the corpus builder's emitters (build_models.py: onnx.helper only,
BN folded, symmetric per-tensor int8 QDQ with power-of-two scales), at
224x224, with random weights (no pretrained weights can be downloaded).
Calibration uses CALIB samples of standard-normal input (fewer than the
corpus' 16: the numpy reference of a 224x224 network is slow), so the scales
are deterministic.  These files are large (12-26 M int8 weights) and not
checked in: the tests and benchmarks build them into a cache folder.

    python examples/models/large_models.py resnet18 -o resnet18_int8.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_models as bm  # noqa: E402

CALIB = 2
SHAPE = (1, 3, 224, 224)


def _basic(e, rng, x, tag, cin, cout, stride):
    y = e.conv(x, f"{tag}.conv1", bm.conv_w(rng, cout, cin, 3), bn=bm.bn_p(rng, cout), stride=stride, pad=1, act="relu")
    y = e.conv(y, f"{tag}.conv2", bm.conv_w(rng, cout, cout, 3), bn=bm.bn_p(rng, cout, (0.2, 0.5)), pad=1)
    if stride != 1 or cin != cout:
        x = e.conv(x, f"{tag}.downsample", bm.conv_w(rng, cout, cin, 1), bn=bm.bn_p(rng, cout), stride=stride)
    return e.add(y, x, f"{tag}.add", act="relu")


def resnet18(e, rng) -> None:
    x = e.conv("input", "stem", bm.conv_w(rng, 64, 3, 7), bn=bm.bn_p(rng, 64), stride=2, pad=3, act="relu")
    x = e.maxpool(x, "stem.pool", 3, 2, pad=1)
    cin = 64
    for si, cout in enumerate((64, 128, 256, 512)):
        for bi in range(2):
            x = _basic(e, rng, x, f"layer{si + 1}.{bi}", cin, cout, 2 if si > 0 and bi == 0 else 1)
            cin = cout
    x = e.global_avgpool(x, "gap")
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *bm.gemm_p(rng, 1000, 512, gain=1.0), center=True)
    e.output(x, "output")


def _inverted(e, rng, x, tag, cin, cout, stride, expand):
    hidden = cin * expand
    y = x
    if expand != 1:
        y = e.conv(y, f"{tag}.expand", bm.conv_w(rng, hidden, cin, 1), bn=bm.bn_p(rng, hidden), act="relu6")
    y = e.conv(
        y,
        f"{tag}.dw",
        bm.conv_w(rng, hidden, 1, 3),
        bn=bm.bn_p(rng, hidden),
        stride=stride,
        pad=1,
        group=hidden,
        act="relu6",
    )
    y = e.conv(y, f"{tag}.project", bm.conv_w(rng, cout, hidden, 1), bn=bm.bn_p(rng, cout, (0.2, 0.5)))
    if stride == 1 and cin == cout:
        y = e.add(y, x, f"{tag}.add")
    return y


def mobilenet_v2(e, rng) -> None:
    x = e.conv("input", "stem", bm.conv_w(rng, 32, 3, 3), bn=bm.bn_p(rng, 32), stride=2, pad=1, act="relu6")
    cin = 32
    settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    for si, (t, c, n, s) in enumerate(settings):
        for i in range(n):
            x = _inverted(e, rng, x, f"block{si}.{i}", cin, c, s if i == 0 else 1, t)
            cin = c
    x = e.conv(x, "head", bm.conv_w(rng, 1280, cin, 1), bn=bm.bn_p(rng, 1280), act="relu6")
    x = e.global_avgpool(x, "gap")
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *bm.gemm_p(rng, 1000, 1280, gain=1.0), center=True)
    e.output(x, "output")


MODELS = {"resnet18": (resnet18, 18), "resnet50": (bm._resnet50, 50), "mobilenet_v2": (mobilenet_v2, 2)}


def build(name: str) -> onnx.ModelProto:
    """The int8 QDQ model `name` (deterministic)."""
    spec, seed = MODELS[name]
    init_x = bm.sample_inputs(SHAPE, CALIB, seed + bm.INIT_SEED_OFFSET)
    fe = bm.FloatEmitter(SHAPE, init_x)
    spec(fe, np.random.default_rng(seed))
    fmodel = fe.model(name, f"{name} topology (random weights); float32")
    handles = [h for h in fe.handles if h in bm._tensor_names(fmodel)]
    old = bm.CALIB_SAMPLES
    bm.CALIB_SAMPLES = CALIB
    try:
        calib = bm.calibrate(fmodel, handles, SHAPE)
    finally:
        bm.CALIB_SAMPLES = old
    qe = bm.QDQEmitter(SHAPE, calib, fe.params)
    spec(qe, np.random.default_rng(seed))
    return qe.model(f"{name}_int8", f"{name} topology (random weights); int8 QDQ, power-of-two scales")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    model = build(args.model)
    onnx.checker.check_model(model)
    Path(args.output).write_bytes(bm.serialize(model))
    print(f"{args.output}: {bm.count_params(model):,d} parameters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
