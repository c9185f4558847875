"""The binarised family in fpga-sim against naive +-1 arithmetic, and lutnet-expand's bit-exact starting point."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import BINARY_NET, binary_net_weights, dense, parse
from xdsl.context import Context

from fpga_opt.backend.sim import run_functional
from fpga_opt.dialects.weights import WeightStore
from fpga_opt.passes.lutnet_expand import LutnetExpandPass


def pm(bits):
    return 2 * np.asarray(bits, dtype=np.int64) - 1


def reference(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """The network in +-1 arithmetic, one loop per definition (HWC frames)."""
    out = []
    for frame in x.astype(np.int64):
        b = (frame >= w["in.t"]).astype(np.int64)  # 6x6x2 bits
        conv = np.zeros((4, 4, 4), np.int64)
        for i in range(4):
            for j in range(4):
                for o in range(4):
                    window = b[i : i + 3, j : j + 3, :]  # kh kw c
                    dot = (pm(window) * pm(w["c.w"][o].transpose(1, 2, 0))).sum()  # [o, c, kh, kw]
                    conv[i, j, o] = int((dot + 18) // 2 >= w["c.t"][o])  # popcount = (dot + n) / 2
        pooled = conv.reshape(2, 2, 2, 2, 4).max(axis=(1, 3))
        v = pooled.reshape(-1)  # HWC flattening
        lut = np.zeros(8, np.int64)
        for o in range(8):
            count = 0
            for m in range(5):
                addr = sum(int(v[w["l.i"][o, m, k]]) << k for k in range(4))
                count += int(w["l.tab"][o, m, addr])
            lut[o] = int(count >= w["l.t"][o])
        out.append((pm(lut) * pm(w["f.w"])).sum(axis=1))
    return np.array(out)


def test_binary_network_matches_pm1_arithmetic():
    w = binary_net_weights()
    x = np.random.default_rng(1).integers(0, 256, (64, 6, 6, 2)).astype(np.uint8)
    got = run_functional(parse(BINARY_NET), w, x, layout="hwc")[0].reshape(64, 3)
    expected = reference(x, w)
    assert np.array_equal(got, expected)
    assert len({tuple(r) for r in expected.tolist()}) >= 5  # the inputs exercise the network (7 distinct outputs)


DENSE = """builtin.module attributes {dataflow.inline_weights = {INLINE}} {
  func.func @f(%x: !dataflow.stream<1x1x24xui1>) -> !dataflow.stream<1x1x5xi32> {
    %h = dataflow.xnor_linear %x {weights = "h.w", thresholds = "h.t", layer = "hidden"} : !dataflow.stream<1x1x24xui1> -> !dataflow.stream<1x1x16xui1>
    %y = dataflow.xnor_linear %h {weights = "y.w", layer = "head"} : !dataflow.stream<1x1x16xui1> -> !dataflow.stream<1x1x5xi32>
    func.return %y : !dataflow.stream<1x1x5xi32>
  }
}"""


def dense_weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "h.w": rng.integers(0, 2, (16, 24)),
        "h.t": rng.integers(6, 19, 16),
        "y.w": rng.integers(0, 2, (5, 16)),
    }


def dense_module(weights: dict[str, np.ndarray]):
    """DENSE with its XNOR tensors inlined (lutnet-expand reads them from the module)."""
    inline = ", ".join(f'"{name}" = {dense(a, "i32")}' for name, a in weights.items())
    return parse(DENSE.replace("INLINE", inline))


def expanded(weights: dict[str, np.ndarray], **options):
    module = dense_module(weights)
    LutnetExpandPass(**options).apply(Context(), module)
    module.verify()
    tensors = WeightStore.for_module(module, ".")
    return module, {name: tensors[name] for name in tensors}


@pytest.mark.parametrize("k", [1, 2, 4, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_lutnet_expand_without_pruning_is_bit_exact(k, seed):
    w = dense_weights(seed)
    x = np.random.default_rng(seed + 10).integers(0, 2, (200, 1, 1, 24))
    before = run_functional(dense_module(w), None, x, layout="hwc")[0]
    module, tensors = expanded(w, k=k, seed=seed)
    assert "dataflow.xnor_linear" not in str(module)
    after = run_functional(module, None, x, layout="hwc")[0]
    assert np.array_equal(before, after)


@pytest.mark.parametrize("prune", [0.25, 0.5, 0.75])
def test_lutnet_expand_computes_the_pruned_xnor_network(prune):
    """With pruning, the LUT network equals the XNOR network whose pruned weights are 0 (not +-1)."""
    w = dense_weights(3)
    x = np.random.default_rng(4).integers(0, 2, (300, 1, 1, 24))
    module, tensors = expanded(w, k=3, prune=prune, seed=5)
    got = run_functional(module, None, x, layout="hwc")[0].reshape(300, 5)
    # the kept connections of each output: input 0 of its LUTs
    keep_h = tensors["hidden.lut.idx"][:, :, 0]
    keep_y = tensors["head.lut.idx"][:, :, 0]
    mask_h = np.zeros((16, 24), bool)
    mask_y = np.zeros((5, 16), bool)
    np.put_along_axis(mask_h, keep_h, True, axis=1)
    np.put_along_axis(mask_y, keep_y, True, axis=1)
    assert mask_h.sum() == 16 * round((1 - prune) * 24)
    v = pm(x.reshape(300, 24))
    dot_h = v @ (pm(w["h.w"]) * mask_h).T  # pruned weights count 0
    h = dot_h >= 2 * w["h.t"] - 24  # the XNOR layer's test `2p - N >= 2t - N`, with the pruned ones absent
    expected = pm(h) @ (pm(w["y.w"]) * mask_y).T
    assert np.array_equal(got, expected)
    full = run_functional(dense_module(w), None, x, layout="hwc")[0].reshape(300, 5)
    assert not np.array_equal(got, full)  # pruning changed something: the check above is not vacuous
