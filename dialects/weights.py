"""Where layer weights live: a `.npz` sidecar named by the module, never IR literals.

A module carries `dataflow.weights = "lenet5.weights.npz"` (a path relative to
the IR file) and its ops name tensors (`weights = "conv1.w"`).  Printing a
megabyte tensor into the IR would make parsing take minutes; a sidecar keeps
ResNet-50's IR to a few hundred lines.  Lit tests may inline small tensors in
the module attribute `dataflow.inline_weights = {"c.w" = dense<...> : tensor<...>}`.

Layouts (see docs/dialects/dataflow.md): conv `[C_out, C_in/groups, Kh, Kw]`,
linear `[N, H*W*C]` in HWC order, bias `[C_out]`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DictionaryAttr, ModuleOp, StringAttr

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import load_arrays, write_atomically

WEIGHTS_ATTR = "dataflow.weights"
INLINE_WEIGHTS_ATTR = "dataflow.inline_weights"


class WeightStore(Mapping[str, np.ndarray]):
    """Read-only view of a module's tensors: inline ones first, then the sidecar (loaded lazily)."""

    def __init__(self, inline: dict[str, np.ndarray], sidecar: Path | None):
        self._inline = inline
        self._sidecar = sidecar
        self._arrays: dict[str, np.ndarray] | None = None

    @classmethod
    def for_module(cls, module: ModuleOp, base_dir: str | Path = ".") -> WeightStore:
        """The weights of `module`, whose IR file lies in `base_dir`."""
        inline: dict[str, np.ndarray] = {}
        attr = module.attributes.get(INLINE_WEIGHTS_ATTR)
        if isinstance(attr, DictionaryAttr):
            for name, value in attr.data.items():
                if not isinstance(value, DenseIntOrFPElementsAttr):
                    raise FpgaOptError(f"{INLINE_WEIGHTS_ATTR}: '{name}' must be a dense<...> tensor literal")
                inline[name] = _dense_to_numpy(value)
        sidecar = None
        ref = module.attributes.get(WEIGHTS_ATTR)
        if isinstance(ref, StringAttr):
            sidecar = Path(base_dir) / ref.data
        return cls(inline, sidecar)

    def _load(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            if self._sidecar is None:
                self._arrays = {}
            else:
                if not self._sidecar.exists():
                    raise FpgaOptError(f"{self._sidecar}: weights file named by {WEIGHTS_ATTR} not found")
                arrays = load_arrays(self._sidecar, "weights")
                if not isinstance(arrays, dict):
                    raise FpgaOptError(f"{self._sidecar}: weights must be an .npz of named arrays, not one .npy array")
                self._arrays = arrays
        return self._arrays

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._inline:
            return self._inline[name]
        arrays = self._load()
        if name not in arrays:
            where = self._sidecar if self._sidecar is not None else f"the module (no {WEIGHTS_ATTR} attribute)"
            raise FpgaOptError(f"weight tensor '{name}' not found in {where}")
        return arrays[name]

    def __iter__(self):
        yield from self._inline
        yield from (k for k in self._load() if k not in self._inline)

    def __len__(self) -> int:
        return len(set(self._inline) | set(self._load()))


def save_weights(path: str | Path, tensors: Mapping[str, np.ndarray]) -> None:
    """Write a sidecar deterministically (sorted names, fixed zip timestamps), atomically."""
    import io

    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(tensors):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(tensors[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, buffer.getvalue())
    write_atomically(path, archive_bytes.getvalue())


def _dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    shape = attr.get_shape() or ()
    values = attr.get_values()
    element = attr.get_element_type()
    from xdsl.dialects.builtin import IntegerType

    if isinstance(element, IntegerType):
        dtype = {1: np.bool_, 8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}.get(element.width.data, np.int64)
    else:
        dtype = np.float32 if element.bitwidth == 32 else np.float64
    return np.asarray(values, dtype=dtype).reshape(shape)
