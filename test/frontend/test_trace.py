"""fpga-trace: layer by layer against onnxruntime, on a Brevitas-style QCDQ graph with float scales.

The model is built here with onnx.helper the way Brevitas' `export_onnx_qcdq` writes one with
`Int8WeightPerTensorFloat` / `Int8ActPerTensorFloat` / `Uint8ActPerTensorFloat` quantisers: real
(non power-of-two) scales, int32 biases at `s_in * s_w`, a residual add re-quantised to its own
scale, a last linear layer whose raw accumulator is the output.  (With brevitas installed,
test_onnx_import_torch.py also traces a real Brevitas export.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx_builders import Graph, rand_w, save

from fpga_opt.frontend import onnx_import
from fpga_opt.tools.fpga_trace import check, trace_model

SAMPLES = 64


def brevitas_style_resnet() -> Graph:
    rng = np.random.default_rng(7)
    g = Graph()

    def qconv(x, cin, cout, s_in, s_w, s_out, name, relu=False, out_type=np.int8):
        w = np.clip(np.rint(rand_w(rng, cout, cin, 3, 3) / s_w), -127, 127).astype(np.int8)
        b = np.rint(rng.standard_normal(cout) * 0.1 / (s_in * s_w)).astype(np.int32)
        y = g.node("Conv", [x, g.const_dq(w, s_w, f"{name}.w"), g.const_dq(b, s_in * s_w, f"{name}.b")],
                   name=name, pads=[1, 1, 1, 1])  # fmt: skip
        if relu:
            y = g.node("Relu", [y], name=f"{name}.relu")
        return g.qdq(y, s_out, out_type, name=f"{name}.act")

    x = g.qdq("x", 0.0291, np.int8, name="inp")
    a = qconv(x, 3, 8, 0.0291, 0.00613, 0.0517, "stem", relu=True, out_type=np.uint8)
    b = qconv(a, 8, 8, 0.0517, 0.00571, 0.0433, "b1.c1", relu=True, out_type=np.uint8)
    c = qconv(b, 8, 8, 0.0433, 0.00497, 0.0689, "b1.c2")
    s = g.qdq(g.node("Add", [c, a], name="b1.add"), 0.0733, np.int8, name="b1.add")
    r = g.qdq(g.node("Relu", [s], name="b1.relu"), 0.0391, np.uint8, name="b1.out")
    p = g.qdq(g.node("GlobalAveragePool", [r], name="pool"), 0.0123, np.uint8, name="pool")
    f = g.node("Flatten", [p], name="flatten")
    w = np.clip(np.rint(rand_w(rng, 10, 8) / 0.00719), -127, 127).astype(np.int8)
    bias = np.rint(rng.standard_normal(10) * 0.05 / (0.0123 * 0.00719)).astype(np.int32)
    g.node("Gemm", [f, g.const_dq(w, 0.00719, "fc.w"), g.const_dq(bias, 0.0123 * 0.00719, "fc.b")],
           name="fc", transB=1, outputs=["y"])  # fmt: skip
    return g


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    g = brevitas_style_resnet()
    return save(g.model([("x", [1, 3, 8, 8])], [("y", [1, 10])]), tmp_path_factory.mktemp("trace") / "brev.onnx")


def _inputs(seed=3):
    return {"x": np.random.default_rng(seed).standard_normal((SAMPLES, 3, 8, 8)).astype(np.float32)}


def test_float_scales_pass_the_trace_layer_by_layer(model_path):
    summary = trace_model(model_path, _inputs())
    layers = {t["layer"]: t for t in summary["layers"]}
    assert {"stem", "b1.c1", "b1.c2", "b1.add", "fc"} <= set(layers)
    assert all(t["kind"] != "float" for t in summary["layers"])
    assert check(summary) == [], check(summary)
    for t in summary["layers"]:
        assert t["isolated"]["values"] > 0 and t["isolated"]["max_diff"] <= 1.0
    assert summary["end_to_end"]["top1_agree"] >= 0.995
    # The activations are not degenerate (a trace of all-saturated values would prove nothing).
    assert summary["samples"] == SAMPLES


def test_a_wrong_weight_is_caught_at_its_layer(model_path, monkeypatch):
    real = onnx_import.import_onnx

    def broken(*args, **kwargs):
        imported = real(*args, **kwargs)
        w = np.array(imported.weights["b1.c2.w"])
        w.flat[0] = 127 if w.flat[0] < 0 else -127
        imported.weights["b1.c2.w"] = w
        return imported

    monkeypatch.setattr(onnx_import, "import_onnx", broken)
    summary = trace_model(model_path, _inputs())
    assert summary["first_divergence"]["isolated"] == "b1.c2"
    failures = check(summary)
    assert failures and failures[0].startswith("layer b1.c2:")
    layers = {t["layer"]: t for t in summary["layers"]}
    assert layers["b1.c1"]["isolated"]["equal"] == 1.0  # the layers before it are untouched


def test_chunks_give_the_figures_of_one_batch(model_path, monkeypatch):
    """A large trace runs its inputs in chunks; the figures must be those of one batch of them all.

    With broken weights the shares are below 1 and differ between chunks, so a merge that kept
    one chunk's figures, or averaged the shares unweighted (7 uneven chunks), would show here.
    """
    real = onnx_import.import_onnx

    def broken(*args, **kwargs):
        imported = real(*args, **kwargs)
        imported.weights["b1.c2.w"] = -np.array(imported.weights["b1.c2.w"])
        fc = np.array(imported.weights["fc.w"])
        fc[:5] = -fc[:5]  # half the classes upside down: some argmaxes move
        imported.weights["fc.w"] = fc
        return imported

    monkeypatch.setattr(onnx_import, "import_onnx", broken)
    whole = trace_model(model_path, _inputs(), chunk=SAMPLES)
    chunked = trace_model(model_path, _inputs(), chunk=10)
    assert chunked["samples"] == whole["samples"] == SAMPLES
    assert chunked["first_divergence"] == whole["first_divergence"]
    assert any(t["chained"]["equal"] < 1 for t in whole["layers"])
    for a, b in zip(whole["layers"], chunked["layers"], strict=True):
        for mode in ("isolated", "chained"):
            assert a[mode]["values"] == b[mode]["values"]
            assert a[mode]["max_diff"] == b[mode]["max_diff"]
            assert a[mode]["equal"] == pytest.approx(b[mode]["equal"], abs=1e-12)
    flips = whole["end_to_end"].pop("top1_disagreements")
    assert flips and chunked["end_to_end"].pop("top1_disagreements") == flips  # inputs numbered across chunks
    assert whole["end_to_end"]["top1_agree"] == 1 - len(flips) / SAMPLES
    assert all(f["ours"] != f["reference"] and f["reference_margin"] > 0 for f in flips)
    assert chunked["end_to_end"] == pytest.approx(whole["end_to_end"])


def test_chunks_keep_float_differences_relative_to_the_largest_value_of_all():
    """Float layers: each chunk's difference is relative to its own largest value; merged, it must be
    relative to the largest of all (one batch's figure), and the share equal no higher than one batch's."""
    path = Path(__file__).resolve().parents[2] / "examples" / "zoo" / "models" / "squeezenet1_1.onnx"
    x = {"input": np.random.default_rng(11).standard_normal((12, 3, 32, 32)).astype(np.float32)}
    whole = trace_model(path, x, chunk=12)
    chunked = trace_model(path, x, chunk=5)
    assert {t["kind"] for t in whole["layers"]} == {"float"}
    for a, b in zip(whole["layers"], chunked["layers"], strict=True):
        for mode in ("isolated", "chained"):
            assert b[mode]["ref_max"] == a[mode]["ref_max"] > 0
            assert b[mode]["max_diff"] == pytest.approx(a[mode]["max_diff"], rel=1e-9)
            assert b[mode]["equal"] <= a[mode]["equal"] + 1e-12
    assert chunked["end_to_end"]["top1_disagreements"] == whole["end_to_end"]["top1_disagreements"]
    del chunked["end_to_end"]["top1_disagreements"], whole["end_to_end"]["top1_disagreements"]
    assert chunked["end_to_end"] == pytest.approx(whole["end_to_end"])


def test_cli_json_and_check(model_path, tmp_path):
    out = tmp_path / "trace.json"
    run = subprocess.run(
        [sys.executable, "-m", "fpga_opt.tools.fpga_trace", str(model_path), "-n", "16", "--json", str(out), "--check"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "first layer that diverges" in run.stdout and "b1.add" in run.stdout
    data = json.loads(out.read_text())
    assert data["samples"] == 16 and data["reference"].startswith("onnxruntime")
    assert [t["layer"] for t in data["layers"]][:2] == ["stem", "b1.c1"]


def test_cli_bad_input_is_one_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "fpga_opt.tools.fpga_trace", str(tmp_path / "missing.onnx")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and run.stderr.startswith("fpga-trace: error:")
