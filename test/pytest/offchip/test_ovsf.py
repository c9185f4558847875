"""The OVSF form: least-squares best code selection, exact integer reconstruction, bit widths."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_opt.dialects import ovsf


def test_codes_are_orthogonal_walsh_hadamard():
    c = ovsf.hadamard_signs(16)
    assert set(np.unique(c)) == {-1, 1}
    np.testing.assert_array_equal(c @ c.T, 16 * np.eye(16, dtype=np.int64))


def test_ratio_one_with_wide_coefficients_is_exact():
    w = np.random.default_rng(0).integers(-127, 128, (8, 4, 3, 3))
    c = ovsf.compress(w, block=1, ratio=1.0, coef_bits=16)
    assert c.shift == 0 and c.codes.shape == (32, 16)
    np.testing.assert_array_equal(ovsf.reconstruct(c, w.shape, lo=-128, hi=127), w)


def test_kept_codes_are_the_least_squares_best():
    """With exact coefficients the error equals the energy of the dropped codes / L, and no other
    choice of K codes does better (checked against every K-subset of a small block)."""
    from itertools import combinations

    x = np.array([[5, -3, 7, 1, 0, -2, 4, 6]])
    c = ovsf.compress(x.reshape(1, 8, 1, 1), block=8, ratio=0.25, coef_bits=20)
    signs = ovsf.hadamard_signs(8)
    s = x @ signs.T
    best = min(float(np.sum((x - (s[:, list(S)] @ signs[list(S)]) / 8.0) ** 2)) for S in combinations(range(8), 2))
    mine = float(np.sum((x - (s[:, c.codes[0]] @ signs[c.codes[0]]) / 8.0) ** 2))
    assert mine == pytest.approx(best)


def test_integer_reconstruction_matches_its_written_formula():
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (4, 32, 1, 1))
    c = ovsf.compress(w, block=16, ratio=0.25, coef_bits=8)
    assert np.abs(c.coefficients).max() <= 127
    signs = ovsf.hadamard_signs(c.length)
    acc = np.array(
        [
            [sum(q * signs[j, i] for q, j in zip(cq, cj, strict=True)) for i in range(16)]
            for cq, cj in zip(c.coefficients.tolist(), c.codes.tolist(), strict=True)
        ]
    )
    sh = 4 - c.shift
    expect = (acc + (1 << (sh - 1))) >> sh if sh >= 1 else acc << -sh
    got = ovsf.reconstruct(c, w.shape, lo=-128, hi=127).reshape(-1, 16)
    np.testing.assert_array_equal(got, np.clip(expect, -128, 127))


def test_error_falls_with_the_ratio_and_memory_rises():
    w = np.random.default_rng(2).integers(-127, 128, (16, 16, 3, 3))
    errors, bits = [], []
    for ratio in (0.125, 0.25, 0.5, 1.0):
        c = ovsf.compress(w, block=1, ratio=ratio, coef_bits=12)
        errors.append(ovsf.approximation_error(w, ovsf.reconstruct(c, w.shape, lo=-128, hi=127)))
        bits.append(ovsf.memory_bits(c, 12))
    assert errors == sorted(errors, reverse=True) and errors[-1] < 0.01
    assert bits == sorted(bits)


def test_block_must_divide_the_channels():
    with pytest.raises(ValueError, match="does not divide"):
        ovsf.compress(np.zeros((2, 6, 1, 1), dtype=np.int64), block=4, ratio=0.5, coef_bits=8)
