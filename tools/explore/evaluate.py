"""One candidate, measured: the same flow fpga-compile runs, then its objective values.

For a candidate's settings (board, clock, resource budget, bit widths, topology knobs):

1. its ONNX model (`model.py`: as given, re-quantised, or built and trained);
2. import, then fpga-compile's optimisation passes (`DEFAULT_PIPELINE`) with
   `select-folding{board clock-mhz max-util [layer-parallelism]}` as the inner folding search, so
   the folding is the best select-folding finds in that budget around the pinned layers, and a
   design that cannot fit is infeasible;
3. throughput and latency from estimate-resources (fpga-sim's timing runs at the same rates:
   docs/explore.md shows the two agree on the front), resources against the board, power and
   energy per inference from `backend/costs/power.py`;
4. accuracy: fpga-sim's functional (bit-exact) model on the labelled samples; without labels,
   agreement with the float model's top-1 class.

An early-exit network (settings with `thresholds`) goes through fpga-compile's early-exit steps
instead (tools/compile_exits.py): after import, the labelled samples run through every exit
(bit-exact), each takes the first exit whose decision rule (`dataflow.exit_decision`) lets it
leave at the candidate's thresholds, which gives the accuracy and the exit rates; the rates are
recorded on the function (as fpga-profile-exits does), `split-exit-branches` builds the exit
hardware, and select-folding sizes each stage for the samples that reach it.  The throughput is
the exit-aware one: clock / max over ops of (fraction reaching the op x its cycles).

Everything is deterministic: the same settings give the same numbers in any process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from fpga_opt.dialects.errors import FpgaOptError, one_line
from fpga_opt.tools.explore.model import ModelSource

#: Every objective: (direction, unit, what).  Minimised internally: maximised ones are negated.
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "throughput": ("max", "FPS", "frames per second (estimate-resources; fpga-sim timing agrees)"),
    "latency": ("min", "us", "one frame through the pipeline"),
    "power": ("min", "W", "static + dynamic (backend/costs/power.py)"),
    "energy": ("min", "uJ", "energy per inference = power / throughput"),
    "resources": ("min", "fraction", "largest utilisation over DSP, BRAM18, URAM, LUT, FF"),
    "accuracy": ("max", "fraction", "top-1 on the labelled data (fpga-sim functional model)"),
}


def pipeline_for(settings: dict, clock_mhz: float) -> list[str]:
    """fpga-compile's optimisation passes for these settings (the board is filled in by pipeline_specs)."""
    from fpga_opt.tools.fpga_compile import DEFAULT_PIPELINE

    out = []
    for spec in DEFAULT_PIPELINE:
        if spec.startswith("select-folding"):
            pins = settings.get("parallelism") or []
            pinned = f" layer-parallelism={','.join(str(int(k)) for k in pins)}" if any(pins) else ""
            spec = f"select-folding{{board=$board clock-mhz={clock_mhz:g} max-util={settings['max_util']:g}{pinned}}}"
        out.append(spec)
    return out


def clock_of(settings: dict, board) -> float:
    if settings.get("clock_mhz"):
        return float(settings["clock_mhz"])
    return round(board.clock_mhz * float(settings.get("clock_fraction") or 1.0), 1)


@dataclass
class Evaluator:
    """Measures candidates; picklable (it travels to pool and cluster workers once)."""

    source: ModelSource
    data_x: np.ndarray | None
    data_y: np.ndarray | None
    accuracy_kind: str  # "labels", "agreement" or "" (no accuracy objective)

    def __call__(self, settings: dict) -> dict:
        start = time.perf_counter()
        try:
            result = self._measure(settings)
        except FpgaOptError as error:
            result = {"feasible": False, "error": one_line(error)}
        result["settings"] = settings
        result["seconds"] = round(time.perf_counter() - start, 3)
        return result

    def _measure(self, settings: dict) -> dict:
        from fpga_opt.backend.costs.power import estimate_power
        from fpga_opt.backend.target.boards import resolve_board, with_clock
        from fpga_opt.backend.target.resources import RESOURCE_NAMES, Resources
        from fpga_opt.dialects import make_context
        from fpga_opt.frontend.onnx_import import import_onnx
        from fpga_opt.tools.fpga_compile import _apply, estimate_summary, pipeline_specs

        board = resolve_board(settings["board"])
        clock = clock_of(settings, board)
        path = self.source.model_for(settings)
        imported = import_onnx(path)
        module = imported.module
        passes, _ = pipeline_specs(pipeline_for(settings, clock), settings["board"])
        ctx = make_context()
        exits = None
        if settings.get("thresholds"):
            _apply(ctx, module, passes[0])  # dataflow-canonicalize, as the early-exit flow does first
            exits = self._split_exits(module, dict(imported.weights), settings["thresholds"])
            passes = passes[1:]
        for spec in passes:
            _apply(ctx, module, spec)
        est = estimate_summary(module)
        fps = float(est.get("fps") or 0.0)
        if exits is not None:
            from fpga_opt.backend.costs import CostContext
            from fpga_opt.passes.analysis.exit_search import model_interval

            fps = clock * 1e6 / model_interval(module, CostContext.for_board(with_clock(board, clock)))
        if fps <= 0:
            raise FpgaOptError("the design has no frame rate (estimate-resources did not run)")
        used = Resources(**{name: int(est.get(name) or 0) for name in RESOURCE_NAMES})
        power = estimate_power(used, with_clock(board, clock), clock)
        util = {name: float(v) for name, v in (est.get("util") or {}).items()}
        metrics = {
            "throughput": fps,
            "latency": float(est.get("latency") or 0) / clock,
            "power": power.total_w,
            "energy": power.energy_per_inference_j(fps) * 1e6,
            "resources": max(util.values()) if util else 0.0,
        }
        if exits is not None:
            metrics["accuracy"] = float(exits.accuracy)
        elif self.accuracy_kind:
            metrics["accuracy"] = self._accuracy(module, dict(imported.weights))
        extra = {} if exits is None else {"exits": exits.as_dict()}
        return {
            **extra,
            "feasible": True,
            "metrics": metrics,
            "clock_mhz": clock,
            "board_name": board.name,
            "resources_used": used.as_dict(),
            "utilisation": util,
            "power_w": power.as_dict(fps),
            "model": str(path),
            "pipeline": passes,
        }

    def _split_exits(self, module, weights, thresholds):
        """Route the labelled samples through the exits at these thresholds, record the rates, split.

        Returns the profile (exit counts and fractions, accuracy of the decisions)."""
        from fpga_opt.backend.sim import run_functional
        from fpga_opt.passes.split_exit_branches import split_function
        from fpga_opt.tools import fpga_profile_exits as prof

        if self.accuracy_kind != "labels":
            raise FpgaOptError("exit thresholds are measured on labelled samples: give --data with labels")
        assert self.data_x is not None and self.data_y is not None
        func = prof.select_func(module, None)
        model = prof.exit_model(func, f"@{func.sym_name.data}")
        if len(thresholds) != model.num_exits - 1:
            raise FpgaOptError(f"{len(thresholds)} thresholds for {model.num_exits - 1} early exit(s)")
        outputs = run_functional(module, weights, self.data_x, layout="nchw")
        logits = [o.reshape(len(self.data_x), -1) for o in outputs]
        profile = prof.profile(logits, model, thresholds, self.data_y)
        final = float(np.mean(logits[-1].argmax(axis=1) == self.data_y))
        prof.record(func, profile, model, final)
        split_function(func, thresholds, "fpga-explore")
        return profile

    def _accuracy(self, module, weights) -> float:
        from fpga_opt.backend.sim import run_functional

        assert self.data_x is not None and self.data_y is not None
        outputs = run_functional(module, weights, self.data_x, layout="nchw")
        logits = outputs[0].reshape(len(self.data_x), -1)
        return float(np.mean(np.argmax(logits, axis=1) == self.data_y))


def float_predictions(model_path: str, x: np.ndarray) -> np.ndarray:
    """Top-1 classes of the float model under onnxruntime (the reference for `agreement`)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4  # its errors come back as exceptions, said in one line below
    try:
        session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        out = [session.run(None, {name: x[i : i + 1].astype(np.float32)})[0].reshape(-1) for i in range(len(x))]
    except Exception as error:  # noqa: BLE001 - onnxruntime's own exception types
        first = " ".join(str(error).split())[:300] or type(error).__name__
        raise FpgaOptError(f"{model_path}: onnxruntime cannot run the float model ({first})") from None
    return np.argmax(np.stack(out), axis=1)


def check_metrics(result: dict) -> None:
    """A measured candidate must have finite objective values (a guard against model bugs)."""
    for name, value in result.get("metrics", {}).items():
        if not np.isfinite(value):
            raise FpgaOptError(f"objective {name} is {value} for {result['settings']}")
