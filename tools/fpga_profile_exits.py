"""`fpga-profile-exits`: how many real samples leave at each early exit, and how accurately.

    fpga-profile-exits model.mlir --data samples.npz --thresholds 0.8,0.9,0.95 [--labels-key y]
                       [--json report.json] [--write-ir out.mlir --choose accuracy-within=1.0]

Runs the functional interpreter (`fpga_opt.backend.sim.run_functional`,
bit-exact) on the samples of `--data` through an early-exit network *before*
`split-exit-branches` (one result per exit), so every sample's logits at every
exit are known; then, for each threshold setting, decides per sample and per
early exit exactly as `dataflow.exit_decision` will (`exit_rule` on integer
logits, `float_exit_decision` on float ones) and sends each sample out of the
first exit that is confident.  It reports, per setting, the fraction of samples
leaving at each exit and, with labels, the accuracy of the early-exit network
(and of each exit alone, for reference): a table on stdout, and all of it as
JSON with `--json` (`--json -`: JSON on stdout instead of the table).

A threshold setting is one number for every early exit (`0.9`) or one per
early exit separated by slashes (`0.8/0.95` for a three-exit network).

`--write-ir out.mlir` writes the model with the chosen setting recorded on the
function: `dataflow.exit_thresholds` (one per early exit, which
`split-exit-branches` uses when it gets no `thresholds` option),
`dataflow.exit_probabilities` (the measured fraction of samples leaving at
each exit, which exit-aware folding uses) and `dataflow.exit_profile` (the
sample count and accuracies).  `--choose` picks the setting:
`accuracy-within=P` (default 1.0; needs labels): among the settings whose
accuracy is at most P points below the final exit's own, the one that lets
the most samples leave early (ties: the higher accuracy, then the higher
thresholds); `threshold=T` (or `T0/T1`): that setting, which must be one of
`--thresholds`.

Bad input (a missing file or key, a malformed threshold, a network that is
not an unsplit early-exit network, no setting meeting the accuracy) prints one
line and exits 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np

from fpga_opt.dialects.files import write_atomically
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.tables import render

TOOL = "fpga-profile-exits"
PROFILE_ATTR = "dataflow.exit_profile"
#: Samples run through the interpreter at once.
CHUNK = 256


# --------------------------------------------------------------------------
# Running the network: the one place the profiler executes IR
# --------------------------------------------------------------------------


def run_exits(module, func, inputs: np.ndarray, base_dir: Path) -> list[np.ndarray]:
    """Every exit's logits for every sample: a list (one per exit) of `(N, classes)` arrays.

    Integer networks give the integer logits (what `dataflow.exit_decision`
    reads), float networks float64 logits.  This is the only function that
    runs the network; it uses the bit-exact functional interpreter.
    """
    from fpga_opt.backend.sim import run_functional

    per_exit: list[list[np.ndarray]] = []
    for start in range(0, len(inputs), CHUNK):
        outs = run_functional(module, None, inputs[start : start + CHUNK], func=func, base_dir=base_dir)
        if not per_exit:
            per_exit = [[] for _ in outs]
        for acc, out in zip(per_exit, outs, strict=True):
            acc.append(out.reshape(out.shape[0], -1))
    return [np.concatenate(chunks) for chunks in per_exit]


# --------------------------------------------------------------------------
# Deciding
# --------------------------------------------------------------------------


@dataclass
class ExitModel:
    """What the profiler needs to know about the network's exits."""

    names: list[str]
    logit_types: list  # element type of each exit's logits (xDSL attribute)
    scales: list[float | None]

    @property
    def num_exits(self) -> int:
        return len(self.names)


def decide(logits: np.ndarray, threshold: float, logit_type, scale: float | None) -> np.ndarray:
    """Per sample: does it leave at this exit?  Exactly `dataflow.exit_decision`'s rule."""
    from xdsl.dialects.builtin import IntegerType

    from fpga_opt.dialects.dataflow import exit_rule, float_exit_decision

    if isinstance(logit_type, IntegerType):
        assert scale is not None
        return exit_rule(threshold, scale, logit_type).decide_batch(logits.astype(np.int64))
    return np.array([float_exit_decision(row.tolist(), threshold) for row in logits], dtype=bool)


@dataclass
class Profile:
    """One threshold setting's outcome."""

    thresholds: list[float]
    exit_counts: list[int]
    accuracy: float | None
    samples: int
    exit_accuracy: list[float | None] = field(default_factory=list)
    """Accuracy of the samples that left at each exit."""

    @property
    def exit_fractions(self) -> list[float]:
        return [c / self.samples for c in self.exit_counts]

    @property
    def reach(self) -> list[float]:
        """Fraction of samples reaching each exit (stage): 1, then what the earlier exits let through."""
        left = 0
        out = []
        for c in self.exit_counts:
            out.append((self.samples - left) / self.samples)
            left += c
        return out

    def as_dict(self) -> dict:
        return {
            "thresholds": self.thresholds,
            "exit_counts": self.exit_counts,
            "exit_fractions": self.exit_fractions,
            "reach": self.reach,
            "accuracy": self.accuracy,
            "accuracy_per_exit": self.exit_accuracy,
        }


def exits_taken(logits: Sequence[np.ndarray], model: ExitModel, thresholds: Sequence[float]) -> np.ndarray:
    """The exit every sample takes: the first confident one (the last exit takes the rest)."""
    n = len(logits[0])
    taken = np.full(n, model.num_exits - 1)
    undecided = np.ones(n, dtype=bool)
    for k, t in enumerate(thresholds):
        leave = decide(logits[k], t, model.logit_types[k], model.scales[k]) & undecided
        taken[leave] = k
        undecided &= ~leave
    return taken


def profile(
    logits: Sequence[np.ndarray], model: ExitModel, thresholds: Sequence[float], labels: np.ndarray | None
) -> Profile:
    """Route every sample to the first confident exit (the last exit takes the rest)."""
    n = len(logits[0])
    taken = exits_taken(logits, model, thresholds)
    counts = [int(np.sum(taken == k)) for k in range(model.num_exits)]
    accuracy = None
    per_exit: list[float | None] = []
    if labels is not None:
        pred = np.stack([lg.argmax(axis=1) for lg in logits])[taken, np.arange(n)]
        correct = pred == labels
        accuracy = float(correct.mean())
        per_exit = [float(correct[taken == k].mean()) if counts[k] else None for k in range(model.num_exits)]
    return Profile([float(t) for t in thresholds], counts, accuracy, n, per_exit)


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def parse_settings(text: str, early_exits: int) -> list[list[float]]:
    """`0.8,0.9` or `0.8/0.95,0.9/0.99` -> one threshold list (one per early exit) per setting."""
    from fpga_opt.dialects.errors import FpgaOptError

    settings = []
    for item in text.split(","):
        item = item.strip()
        parts = item.split("/")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise FpgaOptError(f"--thresholds: '{item}' is not a number (or numbers separated by '/')") from None
        for v in values:
            if not (0.0 < v <= 1.0):
                raise FpgaOptError(f"--thresholds: {v:g} is not in (0, 1]")
        if len(values) == 1:
            values = values * early_exits
        elif len(values) != early_exits:
            raise FpgaOptError(
                f"--thresholds: '{item}' gives {len(values)} thresholds but the network has {early_exits} early "
                f"exit{'s' if early_exits != 1 else ''}"
            )
        settings.append(values)
    if not settings:
        raise FpgaOptError("--thresholds: give at least one threshold")
    return settings


def parse_choice(text: str, early_exits: int) -> tuple[str, float | list[float]]:
    from fpga_opt.dialects.errors import FpgaOptError

    key, sep, value = text.partition("=")
    key = key.strip()
    if sep and key == "accuracy-within":
        try:
            points = float(value)
        except ValueError:
            points = -1.0
        if not (points >= 0 and math.isfinite(points)):
            raise FpgaOptError(f"--choose: accuracy-within needs a non-negative number of points, got '{value}'")
        return key, points
    if sep and key == "threshold":
        return key, parse_settings(value, early_exits)[0]
    raise FpgaOptError(f"--choose: expected accuracy-within=POINTS or threshold=T, got '{text}'")


def choose(profiles: Sequence[Profile], rule: tuple[str, float | list[float]], final_accuracy: float | None) -> int:
    """Index of the chosen profile (see the module docstring)."""
    from fpga_opt.dialects.errors import FpgaOptError

    kind, arg = rule
    if kind == "threshold":
        for i, p in enumerate(profiles):
            if p.thresholds == arg:
                return i
        raise FpgaOptError(f"--choose: threshold={'/'.join(f'{t:g}' for t in arg)} is not among --thresholds")  # type: ignore[union-attr]
    if final_accuracy is None:
        raise FpgaOptError("--choose accuracy-within needs labels (--labels-key)")
    floor = final_accuracy - float(arg) / 100.0  # type: ignore[arg-type]
    ok = [i for i, p in enumerate(profiles) if p.accuracy is not None and p.accuracy >= floor - 1e-12]
    if not ok:
        best = max(profiles, key=lambda p: p.accuracy or 0.0)
        raise FpgaOptError(
            f"--choose: no threshold keeps the accuracy within {arg:g} points of the final exit's "
            f"{final_accuracy:.2%} (best: {best.accuracy:.2%} at {'/'.join(f'{t:g}' for t in best.thresholds)})"
        )
    return max(ok, key=lambda i: (1.0 - profiles[i].reach[-1], profiles[i].accuracy, profiles[i].thresholds))


def load_data(path: Path, inputs_key: str | None, labels_key: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.dialects.files import load_arrays

    data = load_arrays(path, "")
    arrays = {"x": data} if isinstance(data, np.ndarray) else data
    if labels_key is not None and labels_key not in arrays:
        raise FpgaOptError(f"{path}: no array '{labels_key}' for the labels (arrays: {', '.join(sorted(arrays))})")
    if inputs_key is None:
        candidates = [k for k in arrays if k != labels_key]
        if "x" in candidates:
            inputs_key = "x"
        elif len(candidates) == 1:
            inputs_key = candidates[0]
        else:
            raise FpgaOptError(
                f"{path}: holds {', '.join(sorted(arrays))}; say which array holds the samples with --inputs-key"
            )
    if inputs_key not in arrays:
        raise FpgaOptError(f"{path}: no array '{inputs_key}' (arrays: {', '.join(sorted(arrays))})")
    x = arrays[inputs_key]
    if x.ndim == 0 or len(x) == 0:
        raise FpgaOptError(f"{path}: '{inputs_key}' holds no samples")
    labels = None
    if labels_key is not None:
        labels = arrays[labels_key]
        if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(x):
            raise FpgaOptError(
                f"{path}: labels '{labels_key}' must be {len(x)} integers (one per sample), got "
                f"{labels.dtype} of shape {list(labels.shape)}"
            )
    return x, labels


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------


def exit_model(func, where: str) -> ExitModel:
    """Names, logit types and scales of an unsplit early-exit function's results."""
    from xdsl.dialects.builtin import IntegerType

    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.passes.split_exit_branches import (
        OUTPUT_NAMES_ATTR,
        OUTPUT_SCALES_ATTR,
        analyse_exits,
        float_list,
        is_split,
        string_list,
    )

    if is_split(func):
        raise FpgaOptError(
            f"{where}: already split into early-exit hardware (exit_merge); profile the network before "
            "split-exit-branches, when every exit still returns its result"
        )
    net = analyse_exits(func, TOOL)
    types = [r.type.element_type for r in net.results]  # type: ignore[attr-defined]
    names = string_list(func.attributes.get(OUTPUT_NAMES_ATTR)) or [f"exit{k}" for k in range(net.num_exits)]
    scales_attr = float_list(func.attributes.get(OUTPUT_SCALES_ATTR), f"{where}: {OUTPUT_SCALES_ATTR}")
    scales: list[float | None] = list(scales_attr) if scales_attr is not None else [None] * net.num_exits
    if len(scales) != net.num_exits or len(names) != net.num_exits:
        raise FpgaOptError(f"{where}: {OUTPUT_NAMES_ATTR}/{OUTPUT_SCALES_ATTR} do not give one entry per result")
    for k, t in enumerate(types):
        if isinstance(t, IntegerType) and not (scales[k] is not None and scales[k] > 0):
            raise FpgaOptError(f"{where}: exit {k}'s logits are integers but it has no positive {OUTPUT_SCALES_ATTR}")
    return ExitModel(names, types, scales)


def select_func(module, name: str | None):
    from xdsl.dialects.func import FuncOp

    from fpga_opt.dialects.errors import FpgaOptError

    funcs = [op for op in module.walk() if isinstance(op, FuncOp) and not op.is_declaration]
    if name is not None:
        for f in funcs:
            if f.sym_name.data == name:
                return f
        raise FpgaOptError(f"no function @{name} (functions: {', '.join('@' + f.sym_name.data for f in funcs)})")
    if len(funcs) == 1:
        return funcs[0]
    for f in funcs:
        if f.sym_name.data == "main":
            return f
    raise FpgaOptError(f"the module has {len(funcs)} functions; choose one with --func")


def record(func, chosen: Profile, model: ExitModel, final_accuracy: float | None) -> None:
    """Write the chosen setting and its measured probabilities onto the function."""
    from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f64, i64

    from fpga_opt.passes.split_exit_branches import PROBABILITIES_ATTR, THRESHOLDS_ATTR, float_array

    func.attributes[THRESHOLDS_ATTR] = float_array(chosen.thresholds)
    func.attributes[PROBABILITIES_ATTR] = float_array(chosen.exit_fractions)
    entries = {"samples": IntegerAttr(chosen.samples, i64), "source": StringAttr(TOOL)}
    if chosen.accuracy is not None:
        entries["accuracy"] = FloatAttr(chosen.accuracy, f64)
    if final_accuracy is not None:
        entries["final_exit_accuracy"] = FloatAttr(final_accuracy, f64)
    func.attributes[PROFILE_ATTR] = DictionaryAttr(entries)


def retarget_sidecar(module, ir_path: Path, out_path: Path) -> None:
    """Keep `dataflow.weights` pointing at the same sidecar from the new IR file's folder."""
    from xdsl.dialects.builtin import StringAttr

    from fpga_opt.dialects.weights import WEIGHTS_ATTR

    ref = module.attributes.get(WEIGHTS_ATTR)
    if not isinstance(ref, StringAttr):
        return
    target = (ir_path.parent / ref.data).resolve()
    module.attributes[WEIGHTS_ATTR] = StringAttr(os.path.relpath(target, out_path.resolve().parent))


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def format_table(report: dict) -> str:
    names = report["exits"]
    lines = [
        f"{TOOL}: {report['model']} (@{report['function']}), {report['samples']} samples"
        + (f", labels '{report['labels']}'" if report["labels"] else "")
    ]
    if report["exit_accuracy_alone"] is not None:
        lines.append(
            "each exit alone: "
            + "  ".join(f"{n} {a:.2%}" for n, a in zip(names, report["exit_accuracy_alone"], strict=True))
        )
    header = ["thresholds", *(f"leave@{n}" for n in names)]
    if report["labels"]:
        header.append("accuracy")
    right = range(len(header))
    if report["chosen"] is not None:
        header.append("")
    rows = []
    for i, p in enumerate(report["profiles"]):
        row = ["/".join(f"{t:g}" for t in p["thresholds"]), *(f"{f:.1%}" for f in p["exit_fractions"])]
        if report["labels"]:
            row.append(f"{p['accuracy']:.2%}")
        if report["chosen"] is not None:
            row.append("<- chosen" if report["chosen"] == i else "")
        rows.append(row)
    lines.append(render(header, rows, right=right))
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=TOOL,
        description="Profile an early-exit network on real samples: exit fractions and accuracy per threshold.",
    )
    p.add_argument("model", help="IR file (.mlir) of the network before split-exit-branches")
    p.add_argument("--data", required=True, help=".npz with the samples (NCHW or HWC, float or integer)")
    p.add_argument(
        "--thresholds",
        default="0.8,0.9,0.95",
        help="comma-separated settings: one threshold for all early exits, or T0/T1/... (default %(default)s)",
    )
    p.add_argument("--inputs-key", help="array of --data holding the samples (default: 'x', or the only array)")
    p.add_argument("--labels-key", help="array of --data holding the integer labels (enables accuracy)")
    p.add_argument("--func", help="the function to profile (default: the only one, or @main)")
    p.add_argument("--json", metavar="PATH", help="write the full report as JSON ('-': to stdout, no table)")
    p.add_argument("--write-ir", metavar="OUT", help="write the model with the chosen thresholds/probabilities")
    p.add_argument("--choose", help="accuracy-within=POINTS (default 1.0, needs labels) or threshold=T")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    return p


@tool_main(TOOL)
def main(argv: list[str]) -> None:
    from fpga_opt.dialects.progress import set_quiet

    args = build_parser().parse_args(argv)
    set_quiet(args.quiet)
    run(args)


def run(args: argparse.Namespace) -> None:
    from xdsl.printer import Printer

    from fpga_opt.backend.sim import load_module
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.dialects.files import check_output_file

    if args.write_ir is not None:
        check_output_file(args.write_ir, "--write-ir")
    if args.json is not None and args.json != "-":
        check_output_file(args.json, "--json")
    model_path = Path(args.model)
    if model_path.suffix.lower() == ".onnx":
        raise FpgaOptError(
            f"{model_path}: fpga-profile-exits reads the imported IR (it records its choice there): "
            f"run fpga-translate --import-onnx {model_path} -o model.mlir first"
        )
    module = load_module(model_path)
    func = select_func(module, args.func)
    where = f"{model_path}: @{func.sym_name.data}"
    model = exit_model(func, where)
    early = model.num_exits - 1
    settings = parse_settings(args.thresholds, early)
    rule = None
    if args.write_ir:
        rule = parse_choice(args.choose or "accuracy-within=1.0", early)
    elif args.choose:
        raise FpgaOptError("--choose only applies with --write-ir")
    x, labels = load_data(Path(args.data), args.inputs_key, args.labels_key)

    logits = run_exits(module, func.sym_name.data, x, model_path.parent)
    if len(logits) != model.num_exits:
        raise FpgaOptError(f"{where}: the interpreter returned {len(logits)} outputs for {model.num_exits} exits")
    alone = None
    if labels is not None:
        alone = [float(np.mean(lg.argmax(axis=1) == labels)) for lg in logits]
    profiles = [profile(logits, model, s, labels) for s in settings]
    chosen = None
    if rule is not None:
        chosen = choose(profiles, rule, alone[-1] if alone is not None else None)

    report = {
        "model": str(model_path),
        "function": func.sym_name.data,
        "samples": int(len(x)),
        "labels": args.labels_key,
        "exits": model.names,
        "exit_accuracy_alone": alone,
        "profiles": [p.as_dict() for p in profiles],
        "chosen": chosen,
    }
    text = json.dumps(report, indent=2) + "\n"
    if args.write_ir:
        assert chosen is not None
        out = Path(args.write_ir)
        record(func, profiles[chosen], model, alone[-1] if alone is not None else None)
        retarget_sidecar(module, model_path, out)
        printed = StringIO()
        Printer(stream=printed).print_op(module)
        printed.write("\n")
        write_atomically(out, printed.getvalue())
    if args.json and args.json != "-":
        write_atomically(args.json, text)
    if args.json == "-":
        sys.stdout.write(text)
    else:
        sys.stdout.write(format_table(report))


if __name__ == "__main__":
    main()
