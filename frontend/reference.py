"""The reference an import is checked against: onnxruntime, graph optimisation disabled, every tensor exposed.

With optimisation disabled onnxruntime runs the graph node by node as
written (a QDQ graph computes its float ops on dequantised values and rounds at
each QuantizeLinear), which is the definition the importer follows; its
optimised graph fuses QDQ pairs into integer kernels and rounds differently.
Any intermediate tensor can be read: they are added to the graph's outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import onnx

from fpga_opt.dialects.errors import FpgaOptError

INSTALL_HINT = "pip install onnxruntime (or: pip install 'fpga-opt[trace]')"


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise FpgaOptError(f"the reference needs onnxruntime, which is not installed; {INSTALL_HINT}") from None
    return onnxruntime


def run_reference(
    path: str | Path, inputs: Mapping[str, np.ndarray], tensors: Iterable[str] = ()
) -> dict[str, np.ndarray]:
    """The graph outputs and `tensors` for a batch of `inputs` (one sample at a time, batch first).

    Returns tensor name -> array with the batch stacked on axis 0.
    """
    return ReferenceSession(path, tensors).run(inputs)


class ReferenceSession:
    """One onnxruntime session over the model with `tensors` exposed, for running many batches.

    A large trace runs its inputs in chunks (every intermediate tensor of a 224x224 network, for
    hundreds of inputs, does not fit in memory at once); the session is built once.
    """

    def __init__(self, path: str | Path, tensors: Iterable[str] = ()):
        ort = _onnxruntime()
        model = onnx.load(str(path))
        wanted = [t for t in dict.fromkeys(tensors)]
        present = {o.name for o in model.graph.output}
        try:
            inferred = onnx.shape_inference.infer_shapes(model)
            typed = {v.name: v for v in inferred.graph.value_info}
        except Exception:  # noqa: BLE001 - types are a convenience; onnxruntime infers them too
            typed = {}
        for name in wanted:
            if name not in present:
                info = typed.get(name) or onnx.helper.make_empty_tensor_value_info(name)
                model.graph.output.append(info)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 - onnxruntime's own exception types
            raise FpgaOptError(f"{path}: onnxruntime cannot run the model ({str(error).splitlines()[0]})") from None
        self.names = [o.name for o in self.session.get_outputs()]

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every exposed tensor for the batch `inputs` (run one sample at a time), batch first."""
        feeds = {i.name: np.asarray(inputs[i.name]) for i in self.session.get_inputs()}
        batch = len(next(iter(feeds.values())))
        results: dict[str, list[np.ndarray]] = {n: [] for n in self.names}
        for b in range(batch):
            outs = self.session.run(self.names, {k: v[b : b + 1] for k, v in feeds.items()})
            for name, value in zip(self.names, outs, strict=True):
                results[name].append(value)
        return {name: np.concatenate(values, axis=0) for name, values in results.items()}
