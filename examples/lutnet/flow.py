"""The LUTNet example's flow, without torch: import, simulate, Verilog, synthesis, HLS C simulation.

Every function takes a committed model (models/*.onnx) and the held-out split
(models/digits_test.npz):

* `compile_model`: ONNX -> dataflow IR (`import_onnx`, then `dataflow-canonicalize`);
* `sim_logits`: fpga-sim's bit-exact outputs (the +-1 dot products of the
  classifier, integers) for every test image, and `accuracy` of their argmax;
* `verilog_logits`: the same images through the unrolled Verilog in Icarus;
* `csim_check`: the tiled HLS project's g++ C simulation against fpga-sim;
* `learned_share`: how many LUT operators compute more than an XNOR of one input;
* `synthesis`: yosys `synth_xilinx` LUT/FF counts (unit by unit, cached) beside the
  unrolled cost model's.

benchmarks/lutnet.py and test/examples/test_lutnet_example.py use these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from fpga_opt.backend.costs.binary import table_inputs, unrolled_network_cost
from fpga_opt.backend.sim import run_functional
from fpga_opt.backend.verilog import emit_verilog, simulate_verilog, synthesize_per_module
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes import load_pass

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"


@dataclass
class Compiled:
    name: str
    module: ModuleOp
    weights: dict[str, np.ndarray]


def compile_model(path: str | Path, passes: str = "dataflow-canonicalize") -> Compiled:
    imported = import_onnx(path)
    module = imported.module
    ctx = Context()
    for name in filter(None, passes.split(",")):
        load_pass(name)().apply(ctx, module)
    module.verify()
    return Compiled(Path(path).stem, module, dict(imported.weights))


def test_split(limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    data = np.load(MODELS / "digits_test.npz")
    x, y = data["x"], data["y"]
    return (x[:limit], y[:limit]) if limit else (x, y)


def sim_logits(model: Compiled, x: np.ndarray) -> np.ndarray:
    """fpga-sim's outputs (B x 10 integers) for float images B x 1 x 8 x 8 (quantised by the boundary)."""
    out = run_functional(model.module, model.weights, x)[0]
    return out.reshape(len(x), -1).astype(np.int64)


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((logits.argmax(1) == y).mean())


def quantised_inputs(x: np.ndarray) -> np.ndarray:
    """The integers the design's input port receives: round(x / (1/16)), HWC."""
    return np.clip(np.rint(x * 16), 0, 31).astype(np.int64).transpose(0, 2, 3, 1)


def verilog_logits(model: Compiled, x: np.ndarray, workdir: Path | None = None, timeout: float = 600.0) -> np.ndarray:
    design = emit_verilog(model.module, model.weights)
    out = simulate_verilog(design, [quantised_inputs(x)], workdir=workdir, timeout=timeout)[0]
    return out.reshape(len(x), -1)


def csim_check(model: Compiled, x: np.ndarray, out_dir: Path, pipeline: str = "lower-dataflow-to-hls") -> str:
    """Lower to HLS, emit the project with fpga-sim's outputs as the expected ones, `make csim`; the verdict."""
    from fpga_opt.backend.hls.csim import run_csim
    from fpga_opt.backend.hls.emit import emit_project

    inputs = quantised_inputs(x)
    expected = run_functional(model.module, model.weights, inputs, layout="hwc")
    module = model.module.clone()
    ctx = Context()
    for name in pipeline.split(","):
        load_pass(name)().apply(ctx, module)
    emit_project(
        module,
        model.weights,
        out_dir,
        inputs=[[inputs[i]] for i in range(len(x))],
        expected=[[e[i] for e in expected] for i in range(len(x))],
    )
    result = run_csim(out_dir, jobs=2)
    return ("PASS " if result.passed else "FAIL ") + result.verdict


@dataclass
class Synthesis:
    yosys_lut: int
    yosys_ff: int
    model_lut: int
    model_ff: int
    seconds: float
    per_layer: dict[str, tuple[int, int]]


def predicted_cost(model: Compiled) -> tuple[int, int]:
    """The unrolled cost model's (LUT, FF) for the whole network, without synthesis."""
    layers = unrolled_network_cost(model.module, model.weights)
    return sum(layer.lut for layer in layers), sum(layer.ff for layer in layers)


def synthesis(model: Compiled, cache: Path | None = None, progress=None) -> Synthesis:
    """yosys's counts (unit by unit, `cache` the folder of each unit's counts) beside the cost model's."""
    layers = unrolled_network_cost(model.module, model.weights)
    report = synthesize_per_module(emit_verilog(model.module, model.weights), cache=cache, progress=progress)
    return Synthesis(
        report.lut,
        report.ff,
        sum(layer.lut for layer in layers),
        sum(layer.ff for layer in layers),
        report.seconds,
        {layer.layer: (layer.lut, layer.ff) for layer in layers},
    )


def learned_share(model: Compiled) -> float | None:
    """The share of LUT operators whose truth table depends on two or more of its K inputs (None: no LUT layer).

    An operator still computing its initial XNOR of one input (or a constant) is 0: a share near 0 means the
    tables did not learn and the model is a pruned XNOR network written as LUTs.
    """
    from fpga_opt.dialects import dataflow as df

    used = []
    for op in model.module.walk():
        if isinstance(op, df.LutLinearOp):
            tables = df.load_binary_tensors(op, model.weights).tables
            used += [len(table_inputs(t, op.lut_inputs)) >= 2 for t in tables.reshape(-1, tables.shape[-1])]
    return float(np.mean(used)) if used else None


def recorded() -> dict:
    """models.json: each model's settings and torch accuracy, as train.py wrote them."""
    return json.loads((MODELS / "models.json").read_text())["models"]
