"""The LUTNet example's flow, without torch: import, simulate, Verilog, synthesis, HLS C simulation.

Every function takes a committed model (models/*.onnx) and the held-out split
(models/digits_test.npz):

* `compile_model`: ONNX -> dataflow IR (`import_onnx`, then `dataflow-canonicalize`);
* `sim_logits`: fpga-sim's bit-exact outputs (the +-1 dot products of the
  classifier, integers) for every test image, and `accuracy` of their argmax;
* `verilog_logits`: the same images through the unrolled Verilog in Icarus;
* `csim_check`: the tiled HLS project's g++ C simulation against fpga-sim;
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

from fpga_opt.backend.costs.binary import unrolled_network_cost
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


def recorded() -> dict:
    """models.json: each model's settings and torch accuracy, as train.py wrote them."""
    return json.loads((MODELS / "models.json").read_text())["models"]
