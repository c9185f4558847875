"""OVSF (Walsh-Hadamard) weight compression with an exact integer reconstruction (unzipFPGA's form).

A layer's weights are cut into *blocks*: one filter's slice over `block`
consecutive input channels and all Kh*Kw positions, L0 = block*Kh*Kw values,
zero-padded to L = 2^m.  Over the L orthogonal +-1 codes
c_j[i] = (-1)^popcount(i & j) (the rows of the Sylvester-Hadamard matrix:
OVSF codes of spreading factor L), the block x has the exact integer
coefficients s_j = <x, c_j>, and x = (1/L) sum_j s_j c_j.  Keeping the
K = max(1, round(ratio * L)) codes with the largest |s_j| (ties: the smaller
j) is the least-squares best approximation with K codes, because the codes
are orthogonal with |c_j|^2 = L.

Integers, so that fpga-sim and the HLS generator agree bit for bit:

* q_j = round_half_away(s_j / 2^e), with e >= 0 the smallest shift for which
  the largest possible coefficient, 2^(weight_bits-1) * L0, fits `coef_bits`
  signed bits (a bound from the shapes, so the IR alone fixes e:
  `coefficient_shift`);
* acc_i = sum_{j in S} q_j c_j[i]  (additions and sign flips only);
* w_i = clamp(round_half_up(acc_i * 2^e / L)) to the weight type: with
  sh = m - e >= 1, (acc_i + 2^(sh-1)) >> sh (arithmetic shift); with sh <= 0,
  acc_i << -sh.

This module is numpy only: the sim kernel, the HLS emitter and the passes all
call it, so the compressed form is defined in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def padded_length(length: int) -> int:
    """The smallest power of two >= `length` (the code length L)."""
    if length < 1:
        raise ValueError(f"a block needs at least one value, got {length}")
    return 1 << (length - 1).bit_length()


def kept_codes(ratio: float, block_length: int) -> int:
    """K = max(1, round(ratio * L)) of the L = padded_length(L0) codes are kept per block (ratio 1: all, exact)."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    length = padded_length(block_length)
    return max(1, min(length, int(np.floor(ratio * length + 0.5))))


def hadamard_signs(length: int) -> np.ndarray:
    """The L x L matrix c[j, i] = (-1)^popcount(i & j), as int64 (L a power of two)."""
    i = np.arange(length)
    parity = np.zeros((length, length), dtype=np.int64)
    both = i[:, None] & i[None, :]
    while both.any():
        parity ^= both & 1
        both = both >> 1
    return 1 - 2 * parity


@dataclass(frozen=True)
class Compressed:
    """A layer in OVSF form: per block, K code indices and K quantised coefficients, and the shift e."""

    codes: np.ndarray  # (blocks, K) int64, the kept code indices j
    coefficients: np.ndarray  # (blocks, K) int64, the q_j
    shift: int  # e
    length: int  # L (padded)
    block_length: int  # L0

    @property
    def log_length(self) -> int:
        return self.length.bit_length() - 1


def blocks_of(weights: np.ndarray, block: int) -> np.ndarray:
    """`[C_out, C_in/g, Kh, Kw]` -> `(C_out * C_in/g/block, block*Kh*Kw)` rows in (filter, channel block) order.

    A linear layer's `[N, K]` weights are blocks of `block` consecutive inputs.
    """
    w = np.asarray(weights)
    if w.ndim == 2:
        w = w.reshape(w.shape[0], w.shape[1], 1, 1)
    cout, cin, kh, kw = w.shape
    if cin % block:
        raise ValueError(f"block = {block} does not divide the {cin} input channels per filter")
    return w.reshape(cout, cin // block, block * kh * kw).reshape(-1, block * kh * kw)


def coefficient_shift(block_length: int, weight_bits: int, coef_bits: int) -> int:
    """e: the smallest shift with round(2^(weight_bits-1) * L0 / 2^e) <= 2^(coef_bits-1) - 1."""
    peak = (1 << (weight_bits - 1)) * block_length
    limit = (1 << (coef_bits - 1)) - 1
    shift = 0
    while (peak + ((1 << shift) >> 1)) >> shift > limit:
        shift += 1
    return shift


def compress(weights: np.ndarray, *, block: int, ratio: float, coef_bits: int, weight_bits: int = 8) -> Compressed:
    """The OVSF form of integer `weights` of `weight_bits` bits (see the module docstring)."""
    if coef_bits < 2:
        raise ValueError(f"coef_bits must be >= 2, got {coef_bits}")
    rows = blocks_of(np.asarray(weights).astype(np.int64), block)
    l0 = rows.shape[1]
    length = padded_length(l0)
    k = kept_codes(ratio, l0)
    padded = np.zeros((rows.shape[0], length), dtype=np.int64)
    padded[:, :l0] = rows
    s = padded @ hadamard_signs(length).T  # s[b, j] = <x_b, c_j> (c is symmetric)
    # the K largest |s_j| per block, ties to the smaller j: a stable sort on -|s|
    order = np.argsort(-np.abs(s), axis=1, kind="stable")[:, :k]
    codes = np.sort(order, axis=1)
    kept = np.take_along_axis(s, codes, axis=1)
    shift = coefficient_shift(l0, weight_bits, coef_bits)
    return Compressed(codes, _round_half_away_shift(kept, shift), shift, length, l0)


def _round_half_away_shift(values: np.ndarray, shift: int) -> np.ndarray:
    if shift == 0:
        return values.copy()
    half = 1 << (shift - 1)
    return np.sign(values) * ((np.abs(values) + half) >> shift)


def reconstruct(c: Compressed, shape: tuple[int, ...], *, lo: int, hi: int) -> np.ndarray:
    """The weights the generator produces, in the layer's `shape` (bit-exact integer semantics)."""
    signs = hadamard_signs(c.length)[:, : c.block_length]  # (L, L0): row j is code c_j
    acc = np.einsum("bk,bki->bi", c.coefficients, signs[c.codes])
    sh = c.log_length - c.shift
    if sh >= 1:
        w = (acc + (1 << (sh - 1))) >> sh
    else:
        w = acc << (-sh)
    return np.clip(w, lo, hi).reshape(shape)


def memory_bits(c: Compressed, coef_bits: int) -> int:
    """Bits of the coefficient memory: per block K coefficients of `coef_bits` and K code indices of log2(L) bits."""
    blocks, k = c.codes.shape
    return blocks * k * (coef_bits + max(1, c.log_length))


def approximation_error(weights: np.ndarray, approx: np.ndarray) -> float:
    """Relative L2 error |W - W'| / |W| (0 for an all-zero W)."""
    w = np.asarray(weights, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    return float(np.linalg.norm(w - np.asarray(approx, dtype=np.float64)) / norm) if norm else 0.0
