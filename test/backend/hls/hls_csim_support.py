"""Shared helpers of the HLS back-end tests: parse IR, run fpga-sim, emit, build and run csim."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import AnyFloat, IntegerType, ModuleOp
from xdsl.parser import Parser

from fpga_opt.backend.hls.csim import find_ap_types
from fpga_opt.backend.hls.emit import emit_project
from fpga_opt.backend.sim import run_functional
from fpga_opt.dialects.dataflow import Dataflow, StreamType, int_range
from fpga_opt.dialects.hls import Hls
from fpga_opt.passes import load_pass

REPO = Path(__file__).resolve().parents[3]


def context() -> Context:
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, Dataflow, Hls):
        ctx.load_dialect(dialect)
    return ctx


def parse(text: str) -> ModuleOp:
    module = Parser(context(), text, "test.mlir").parse_module()
    module.verify()
    return module


def network(module: ModuleOp) -> func.FuncOp:
    return next(op for op in module.body.block.ops if isinstance(op, func.FuncOp))


def random_inputs(module: ModuleOp, frames: int, seed: int = 0) -> list[np.ndarray]:
    """One (frames, H, W, C) batch per argument, covering each element type's whole range."""
    rng = np.random.default_rng(seed)
    batches = []
    for arg in network(module).body.block.args:
        t = arg.type
        assert isinstance(t, StreamType)
        shape = (frames, *t.dims)
        if isinstance(t.element_type, IntegerType):
            lo, hi = int_range(t.element_type)
            lo, hi = max(lo, -(2**31)), min(hi, 2**31 - 1)
            dtype = {8: np.int8, 16: np.int16, 32: np.int32}.get(t.element_type.width.data, np.int64)
            if lo == 0:  # unsigned: one size up so that the top half of the range survives
                dtype = {np.int8: np.int16, np.int16: np.int32}.get(dtype, np.int64)
            batches.append(rng.integers(lo, hi + 1, size=shape).astype(dtype))
        else:
            assert isinstance(t.element_type, AnyFloat)
            batches.append(rng.standard_normal(shape).astype(np.float32))
    return batches


def skip_without_csim() -> None:
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    if find_ap_types() is None:
        pytest.skip("no ap_types headers (pip install 'fpga-opt[csim]')")


def csim(
    module: ModuleOp,
    weights: Mapping[str, np.ndarray],
    inputs: Sequence[np.ndarray],
    out_dir: Path,
    *,
    pipeline: str = "lower-dataflow-to-hls",
    expected: Sequence[np.ndarray] | None = None,
) -> subprocess.CompletedProcess:
    """Run fpga-sim on `inputs`, lower + emit the project into `out_dir`, `make csim`; returns make's result."""
    skip_without_csim()
    if expected is None:
        expected = run_functional(module, weights, list(inputs), layout="hwc")
    ctx = context()
    for name in pipeline.split(","):
        load_pass(name.strip())().apply(ctx, module)
    module.verify()
    frames = inputs[0].shape[0]
    emit_project(
        module,
        weights,
        out_dir,
        inputs=[[b[i] for b in inputs] for i in range(frames)],
        expected=[[b[i] for b in expected] for i in range(frames)],
    )
    jobs = str(max(1, min(4, os.cpu_count() or 1)))
    env = {**os.environ, "AP_TYPES": str(find_ap_types())}
    return subprocess.run(
        ["make", "-s", "-j", jobs, "csim"], cwd=out_dir, capture_output=True, text=True, timeout=600, env=env
    )
