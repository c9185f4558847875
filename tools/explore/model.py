"""The ONNX model of a candidate: as given, re-quantised to its bit widths, or built from knobs.

Files are written once into the work folder, named by a hash of what they depend on, and
reused by later candidates (and by other workers of the same machine): a model with the same
topology and bit widths is the same file, byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import write_atomically
from fpga_opt.frontend.requantise import LayerBits, is_float_model, output_layers, quantisable_layers, requantise

#: Calibration samples for re-quantisation (max |x| per tensor over these).
CALIBRATION_SAMPLES = 64


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode())
    return h.hexdigest()[:16]


def load_builder(path: str | Path) -> ModuleType:
    """A model builder: a Python file defining KNOBS {name: [values]} and build_onnx(knobs, out_path, data, epochs, seed)."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"fpga_explore_builder_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise FpgaOptError(f"{path}: cannot load it as a Python module")
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except ImportError as error:
        raise FpgaOptError(f"{path}: the builder needs a module that is not installed: {error}") from None
    finally:
        sys.path.pop(0)
    knobs = getattr(module, "KNOBS", None)
    if not isinstance(knobs, dict) or not knobs or not callable(getattr(module, "build_onnx", None)):
        raise FpgaOptError(f"{path}: a builder defines KNOBS (a dict of knob -> list of values) and build_onnx(...)")
    return module


@dataclass
class ModelSource:
    """Where a candidate's ONNX comes from.  Picklable: workers rebuild what they need."""

    path: str
    kind: str  # "float", "quantised" or "builder"
    workdir: str
    calibration: np.ndarray | None = None
    train: dict[str, np.ndarray] | None = None
    builder_epochs: int = 4
    seed: int = 0
    outputs: int = 1
    """Graph outputs: more than one is an early-exit network (one output per exit, the last one final)."""
    _bytes_digest: str = field(default="", repr=False)

    @staticmethod
    def open(
        path: str, workdir: str, calibration: np.ndarray | None, train, builder_epochs: int, seed: int
    ) -> ModelSource:
        p = Path(path)
        if not p.is_file():
            raise FpgaOptError(f"{path}: no such file")
        if p.suffix == ".py":
            return ModelSource(str(p), "builder", workdir, calibration, train, builder_epochs, seed)
        try:
            model = onnx.load(str(p), load_external_data=False)
        except Exception as error:
            raise FpgaOptError(f"{path}: not a readable ONNX model ({type(error).__name__})") from None
        kind = "float" if is_float_model(model) else "quantised"
        outputs = len(model.graph.output)
        return ModelSource(str(p), kind, workdir, calibration, train, builder_epochs, seed, outputs)

    def layers(self) -> list[str]:
        """The layers whose bit widths are genes (none for a quantised model or a builder)."""
        if self.kind != "float":
            return []
        return quantisable_layers(onnx.load(self.path))

    def exit_layers(self) -> list[str]:
        """Early-exit networks: the last layer of each exit.  The exits' logits merge into one stream
        (`exit_merge`), so these layers share one activation bit width."""
        if self.kind != "float" or self.outputs < 2:
            return []
        return output_layers(onnx.load(self.path))

    def knobs(self) -> dict[str, list]:
        return dict(load_builder(self.path).KNOBS) if self.kind == "builder" else {}

    def digest(self) -> str:
        if not self._bytes_digest:
            self._bytes_digest = _digest(Path(self.path).read_bytes())
        return self._bytes_digest

    def float_model(self, knobs: dict | None) -> Path:
        """The float model: the given file, or the builder's for these knobs (trained once, cached)."""
        if self.kind != "builder":
            return Path(self.path)
        out = Path(self.workdir) / f"built-{_digest(self.digest(), knobs, self.builder_epochs, self.seed)}.onnx"
        if not out.exists():
            if not self.train:
                raise FpgaOptError("a model builder needs --train-data (labelled .npz) to train its candidates")
            tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
            load_builder(self.path).build_onnx(
                dict(knobs or {}), tmp, self.train, epochs=self.builder_epochs, seed=self.seed
            )
            os.replace(tmp, out)
        return out

    def model_for(self, settings: dict) -> Path:
        """The ONNX file of a candidate (re-quantised to its bits when it has bit-width genes)."""
        if self.kind == "quantised":
            return Path(self.path)
        Path(self.workdir).mkdir(parents=True, exist_ok=True)  # a worker on another machine makes its own
        base = self.float_model(settings.get("knobs"))
        bits = settings.get("bits")
        if not bits:
            return base
        out = Path(self.workdir) / f"q-{_digest(_digest(base.read_bytes()), bits, self._calibration_digest())}.onnx"
        if out.exists():
            return out
        float_model = onnx.load(str(base))
        if "*" in bits:
            w, a = bits["*"]
            layers = quantisable_layers(float_model)
            choice = {layer: LayerBits(w, a) for layer in layers}
        else:
            choice = {layer: LayerBits(w, a) for layer, (w, a) in bits.items()}
        assert self.calibration is not None
        model = requantise(float_model, choice, self.calibration[:CALIBRATION_SAMPLES])
        write_atomically(out, model.SerializeToString())
        return out

    def _calibration_digest(self) -> str:
        return (
            _digest(np.ascontiguousarray(self.calibration[:CALIBRATION_SAMPLES]).tobytes())
            if self.calibration is not None
            else ""
        )
