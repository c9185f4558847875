#!/usr/bin/env python3
"""Accuracy and early-exit behaviour of the committed digits B-LeNet, with onnxruntime only.

    python examples/early_exit/evaluate_digits.py [--dir DIR] [--thresholds 0.8,0.9,...] [--json]

For the float model (`digits_blenet.onnx`) and the int8 QDQ model
(`digits_blenet_int8.onnx`) on the held-out split (`digits_test.npz`):

* the accuracy of each exit on its own (every sample through the whole network);
* for each threshold t, the share of samples leaving at exit 0 and the accuracy
  of the early-exit network (a sample takes exit 0's answer when exit 0 is
  confident, else exit 1's).  The decision is the one the hardware makes
  (`dataflow.exit_decision`): for the int8 model the integer rule
  `fpga_opt.dialects.dataflow.exit_rule` on the int8 logits, for the float
  model `float_exit_decision`.

This is the reference that `fpga-profile-exits` (which runs the compiled IR in
the interpreter instead of onnxruntime) must reproduce.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent
FLOAT_MODEL = "digits_blenet.onnx"
INT8_MODEL = "digits_blenet_int8.onnx"
TEST_SPLIT = "digits_test.npz"
EXITS = ("exit0", "exit1")
DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)


def load_test(directory: Path = HERE) -> tuple[np.ndarray, np.ndarray]:
    with np.load(directory / TEST_SPLIT) as data:
        return data["x"], data["y"]


def run_onnx(path: Path, x: np.ndarray) -> list[np.ndarray]:
    """Each graph output for every sample of `x` (N x 1 x 16 x 16): a list of (N, 10) arrays."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    rows = [sess.run(names, {"input": x[i : i + 1]}) for i in range(len(x))]
    return [np.concatenate([r[k] for r in rows]) for k in range(len(names))]


def output_scales(path: Path) -> dict[str, float]:
    """Scale of each graph output of a QDQ model (the DequantizeLinear that produces it)."""
    model = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    scales = {}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.output[0] in {o.name for o in model.graph.output}:
            scales[node.output[0]] = float(inits[node.input[1]])
    return scales


def int_logits(dequantized: np.ndarray, scale: float) -> np.ndarray:
    """The int8 logits behind a dequantized QDQ output (exact: q * 2^-e is exact in float32)."""
    q = np.rint(dequantized.astype(np.float64) / scale)
    assert np.array_equal(q * scale, dequantized.astype(np.float64)), "outputs are not multiples of the scale"
    return q.astype(np.int64)


def float_decisions(logits: np.ndarray, threshold: float) -> np.ndarray:
    from fpga_opt.dialects.dataflow import float_exit_decision

    return np.array([float_exit_decision(row.tolist(), threshold) for row in logits], dtype=bool)


def int_decisions(logits: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    from xdsl.dialects.builtin import IntegerType

    from fpga_opt.dialects.dataflow import exit_rule

    return exit_rule(threshold, scale, IntegerType(8)).decide_batch(logits)


def exit_table(outputs: list[np.ndarray], y: np.ndarray, thresholds, decide) -> list[dict]:
    """Per threshold: share leaving at exit 0 and accuracy of the two-exit network."""
    rows = []
    pred0, pred1 = outputs[0].argmax(axis=1), outputs[1].argmax(axis=1)
    for t in thresholds:
        leave = decide(outputs[0], t)
        pred = np.where(leave, pred0, pred1)
        counts = [int(leave.sum()), int(len(leave) - leave.sum())]
        rows.append(
            {
                "threshold": t,
                "exit_counts": counts,
                "exit_fractions": [c / len(leave) for c in counts],
                "accuracy": float(np.mean(pred == y)),
                "exit0_accuracy_of_leavers": float(np.mean(pred0[leave] == y[leave])) if leave.any() else None,
            }
        )
    return rows


def evaluate(directory: Path = HERE, thresholds=DEFAULT_THRESHOLDS) -> dict:
    x, y = load_test(directory)
    result: dict = {"test_samples": int(len(y))}
    f_out = run_onnx(directory / FLOAT_MODEL, x)
    q_out = run_onnx(directory / INT8_MODEL, x)
    scales = output_scales(directory / INT8_MODEL)
    q_int = [int_logits(o, scales[name]) for o, name in zip(q_out, EXITS, strict=True)]
    result["float"] = {
        "exit_accuracy": {n: float(np.mean(o.argmax(1) == y)) for n, o in zip(EXITS, f_out, strict=True)},
        "early_exit": exit_table(f_out, y, thresholds, float_decisions),
    }
    result["int8"] = {
        "exit_accuracy": {n: float(np.mean(o.argmax(1) == y)) for n, o in zip(EXITS, q_int, strict=True)},
        "output_scales": scales,
        "argmax_agreement_with_float": {
            n: float(np.mean(a.argmax(1) == b.argmax(1))) for n, a, b in zip(EXITS, f_out, q_int, strict=True)
        },
        "early_exit": exit_table(q_int, y, thresholds, lambda o, t: int_decisions(o, scales["exit0"], t)),
    }
    return result


def report(directory: Path = HERE, thresholds=DEFAULT_THRESHOLDS) -> str:
    return format_report(evaluate(directory, thresholds))


def format_report(r: dict) -> str:
    """The results of `evaluate` as two small tables."""
    from fpga_opt.tools.tables import render

    lines = [f"digits B-LeNet on {r['test_samples']} held-out test images"]
    alone = [
        [kind, f"{r[kind]['exit_accuracy']['exit0']:.2%}", f"{r[kind]['exit_accuracy']['exit1']:.2%}"]
        for kind in ("float", "int8")
    ]
    lines.append(render(["model", "exit0 alone", "exit1 alone"], alone, right={1, 2}))
    lines.append("")
    header = ["threshold", "float: exit0 share", "float: accuracy", "int8: exit0 share", "int8: accuracy"]
    table = [
        [
            f"{fr['threshold']:g}", f"{fr['exit_fractions'][0]:.1%}", f"{fr['accuracy']:.2%}",
            f"{qr['exit_fractions'][0]:.1%}", f"{qr['accuracy']:.2%}",
        ]
        for fr, qr in zip(r["float"]["early_exit"], r["int8"]["early_exit"], strict=True)
    ]  # fmt: skip
    lines.append(render(header, table, right={0, 1, 2, 3, 4}))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=HERE)
    ap.add_argument("--thresholds", default=",".join(map(str, DEFAULT_THRESHOLDS)))
    ap.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = ap.parse_args(argv)
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    if args.json:
        print(json.dumps(evaluate(args.dir, thresholds), indent=2))
    else:
        print(report(args.dir, thresholds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
