"""The golden model: every dataflow op on small hand-checked cases and against naive loops."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from sim_helpers import module_text, parse, s

from fpga_opt.backend.sim import run_functional
from fpga_opt.backend.sim.semantics import requantize, shift_round, wrap
from fpga_opt.dialects.dataflow import RequantAttr
from fpga_opt.dialects.errors import FpgaOptError

# --------------------------------------------------------------------------
# requantisation
# --------------------------------------------------------------------------

TIES = np.array([-5, -3, -1, 1, 3, 5])  # / 2 = -2.5 -1.5 -0.5 0.5 1.5 2.5


@pytest.mark.parametrize(
    "rounding, expected",
    [
        ("floor", [-3, -2, -1, 0, 1, 2]),
        ("half_up", [-2, -1, 0, 1, 2, 3]),
        ("half_away", [-3, -2, -1, 1, 2, 3]),
        ("half_even", [-2, -2, 0, 0, 2, 2]),
    ],
)
def test_rounding_modes_on_ties(rounding, expected):
    assert shift_round(TIES, 1, rounding).tolist() == expected


@pytest.mark.parametrize(
    "rounding, expected",
    [  # -7/4 = -1.75, -6/4 = -1.5, -5/4 = -1.25, 5/4, 6/4, 7/4, 10/4 = 2.5
        ("floor", [-2, -2, -2, 1, 1, 1, 2]),
        ("half_up", [-2, -1, -1, 1, 2, 2, 3]),
        ("half_away", [-2, -2, -1, 1, 2, 2, 3]),
        ("half_even", [-2, -2, -1, 1, 2, 2, 2]),
    ],
)
def test_rounding_modes_shift_2(rounding, expected):
    assert shift_round(np.array([-7, -6, -5, 5, 6, 7, 10]), 2, rounding).tolist() == expected


@pytest.mark.parametrize("shift", [1, 2, 5, 17, 31, 40])
def test_half_even_is_the_nearest_integer_ties_to_even(shift):
    rng = np.random.default_rng(shift)
    p = np.concatenate([rng.integers(-(2**52), 2**52, 4000), np.arange(-70, 70) << (shift - 1)])
    exact = np.array([round(Fraction(int(v), 2**shift)) for v in p])  # Python rounds ties to even
    assert shift_round(p, shift, "half_even").tolist() == exact.tolist()


def test_shift_zero_does_not_round():
    for mode in ("floor", "half_up", "half_away", "half_even"):
        assert shift_round(np.array([-3, 0, 7]), 0, mode).tolist() == [-3, 0, 7]


def test_requant_zero_point_and_saturation():
    rq = RequantAttr(3, 2, zero_point=10, min=-20, max=20, rounding="half_up")
    # 3x/4 + 10: x=-100 -> -75+10 -> -65 -> -20; x=4 -> 3+10=13; x=40 -> 30+10 -> 20
    assert requantize(np.array([-100, 4, 40, -1]), rq).tolist() == [-20, 13, 20, 9]  # -3/4 = -0.75 -> -1 (+10)


def test_requant_product_is_exact_in_64_bits():
    m, shift = 2**31 - 1, 40
    xs = np.array([2**31 - 1, -(2**31), 123456789, -987654321])
    rq = RequantAttr(m, shift, min=-(2**40), max=2**40, rounding="half_even")
    got = requantize(xs, rq).tolist()
    for x, y in zip(xs.tolist(), got, strict=True):
        p = x * m
        q, r = divmod(p, 2**shift)  # floor division, 0 <= r
        half = 2 ** (shift - 1)
        if r > half or (r == half and q % 2 == 1):
            q += 1
        assert y == q


def test_wrap_is_twos_complement():
    assert wrap(np.array([127, 128, 255, 256, -129, -128]), 8).tolist() == [127, -128, -1, 0, 127, -128]


# --------------------------------------------------------------------------
# naive references (loops, no vectorisation)
# --------------------------------------------------------------------------


def ref_conv(x, w, b, stride, pad, groups):
    """x (H, W, C_in), w [C_out, C_in/g, Kh, Kw] -> (Ho, Wo, C_out), Python ints."""
    h, wd, c_in = x.shape
    c_out, cg, kh, kw = w.shape
    pt, pl, pb, pr = pad
    ho = (h + pt + pb - kh) // stride[0] + 1
    wo = (wd + pl + pr - kw) // stride[1] + 1
    out = np.zeros((ho, wo, c_out), dtype=object)
    cog = c_out // groups
    for i in range(ho):
        for j in range(wo):
            for o in range(c_out):
                g = o // cog
                acc = b[o].item() if b is not None else 0
                for ci in range(cg):
                    for u in range(kh):
                        for v in range(kw):
                            r, c = i * stride[0] - pt + u, j * stride[1] - pl + v
                            if 0 <= r < h and 0 <= c < wd:
                                acc += x[r, c, g * cg + ci].item() * w[o, ci, u, v].item()
                out[i, j, o] = acc
    return out


def ref_requant(values, m, shift, zp, lo, hi, rounding="half_even"):
    out = np.empty(values.shape, dtype=object)
    for idx, x in np.ndenumerate(values):
        p = int(x) * m
        if shift:
            q, r = divmod(p, 2**shift)
            half = 2 ** (shift - 1)
            if rounding == "half_even" and (r > half or (r == half and q % 2)):
                q += 1
            elif rounding == "half_up" and r >= half:
                q += 1
        else:
            q = p
        out[idx] = min(hi, max(lo, q + zp))
    return out


def conv_ir(hin, win, cin, cout, k, stride, pad, groups, out_t="i8", extra="", skip=False, side=None):
    kh, kw = k
    ho = (hin + pad[0] + pad[2] - kh) // stride[0] + 1
    wo = (win + pad[1] + pad[3] - kw) // stride[1] + 1
    operands = "%x" + (", %k" if skip else "")
    in_types = s(hin, win, cin) + (", " + s(ho, wo, cout) if skip else "")
    results = s(ho, wo, cout, out_t)
    res_names = "%y"
    if side is not None:
        results = f"{results}, {s(ho, wo, side[0], side[1])}"
        res_names = "%y, %z"
    args = f"%x: {s(hin, win, cin)}" + (f", %k: {s(ho, wo, cout)}" if skip else "")
    body = (
        f"  {res_names} = dataflow.conv {operands} {{kernel = array<i64: {kh}, {kw}>, "
        f"stride = array<i64: {stride[0]}, {stride[1]}>, pad = array<i64: {', '.join(map(str, pad))}>, "
        f'groups = {groups} : i64, weights = "w", weight_type = i8{extra}}} : ({in_types}) -> ({results})\n'
        f"  func.return {res_names} : {results}"
    )
    return args, results, body


@pytest.mark.parametrize(
    "hin, cin, cout, k, stride, pad, groups",
    [
        (6, 3, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1),
        (7, 4, 6, (3, 3), (2, 2), (1, 1, 1, 1), 2),  # grouped, strided
        (5, 4, 4, (3, 3), (1, 1), (1, 1, 1, 1), 4),  # depthwise
        (8, 2, 3, (5, 3), (2, 1), (2, 1, 0, 1), 1),  # asymmetric kernel and padding
        (4, 3, 5, (1, 1), (1, 1), (0, 0, 0, 0), 1),
    ],
)
def test_conv_accumulator_matches_loops(rng, hin, cin, cout, k, stride, pad, groups):
    """Without requant an integer conv emits its exact i32 accumulator (bias included)."""
    w = rng.integers(-128, 128, (cout, cin // groups, *k))
    b = rng.integers(-3000, 3000, cout)
    x = rng.integers(-128, 128, (hin, hin, cin))
    args, results, body = conv_ir(hin, hin, cin, cout, k, stride, pad, groups, "i32", ', bias = "b"')
    m = parse(module_text(body, args, results, {"w": (w, "i8"), "b": (b, "i32")}))
    (y,) = run_functional(m, None, x.astype(np.int8), layout="hwc")
    assert y.dtype == np.int32
    assert y[0].tolist() == ref_conv(x, w, b, stride, pad, groups).tolist()


def test_conv_requant_and_relu_saturation(rng):
    w = rng.integers(-128, 128, (4, 3, 3, 3))
    x = rng.integers(-128, 128, (5, 5, 3))
    rq = '#dataflow.requant<multiplier = 77, shift = 13, zero_point = 3, min = 3, max = 127, rounding = "half_even">'
    args, results, body = conv_ir(5, 5, 3, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1, "i8", f", requant = {rq}")
    m = parse(module_text(body, args, results, {"w": (w, "i8")}))
    (y,) = run_functional(m, None, x.astype(np.int8), layout="hwc")
    acc = ref_conv(x, w, None, (1, 1), (1, 1, 1, 1), 1)
    assert y[0].tolist() == ref_requant(acc, 77, 13, 3, 3, 127).tolist()


def test_conv_skip_epilogue_and_side_forward(rng):
    """acc -> requant -> y*acc_mult + skip*skip_mult -> skip_requant -> relu; side = window centres."""
    w = rng.integers(-128, 128, (4, 4, 3, 3))
    x = rng.integers(-128, 128, (6, 6, 4))
    skip = rng.integers(-128, 128, (3, 3, 4))
    extra = (
        ", requant = #dataflow.requant<multiplier = 1, shift = 9>, acc_mult = 2 : i64, skip_mult = 3 : i64, "
        'skip_requant = #dataflow.requant<multiplier = 5, shift = 3, rounding = "half_up">, '
        'activation = #dataflow.act<kind = "relu">'
    )
    args, results, body = conv_ir(6, 6, 4, 4, (3, 3), (2, 2), (1, 1, 1, 1), 1, "i8", extra, skip=True, side=(4, "i8"))
    m = parse(module_text(body, args, results, {"w": (w, "i8")}))
    y, z = run_functional(m, None, [x.astype(np.int8), skip.astype(np.int8)], layout="hwc")
    acc = ref_conv(x, w, None, (2, 2), (1, 1, 1, 1), 1)
    y1 = ref_requant(acc, 1, 9, 0, -128, 127)
    summed = y1 * 2 + skip.astype(object) * 3
    y2 = ref_requant(summed, 5, 3, 0, -128, 127, "half_up")
    expected = np.maximum(y2, 0)
    assert y[0].tolist() == expected.tolist()
    # side: the centre input pixel of output (i, j) is input (2i - 1 + 1, 2j - 1 + 1) = (2i, 2j)
    assert z[0].tolist() == x[::2, ::2].tolist()


def test_conv_side_1x1(rng):
    w = rng.integers(-128, 128, (4, 2, 3, 3))
    sw = rng.integers(-128, 128, (6, 2, 1, 1))
    sb = rng.integers(-100, 100, 6)
    x = rng.integers(-128, 128, (4, 4, 2))
    extra = (
        ', requant = #dataflow.requant<multiplier = 1, shift = 8>, side_weights = "sw", side_bias = "sb", '
        "side_requant = #dataflow.requant<multiplier = 3, shift = 6>"
    )
    args, results, body = conv_ir(4, 4, 2, 4, (3, 3), (2, 2), (1, 1, 1, 1), 1, "i8", extra, side=(6, "i8"))
    m = parse(module_text(body, args, results, {"w": (w, "i8"), "sw": (sw, "i8"), "sb": (sb, "i32")}))
    _, z = run_functional(m, None, x.astype(np.int8), layout="hwc")
    centre = x[::2, ::2]
    acc = ref_conv(centre, sw, sb, (1, 1), (0, 0, 0, 0), 1)
    assert z[0].tolist() == ref_requant(acc, 3, 6, 0, -128, 127).tolist()


def test_float_conv_with_skip_and_clip(rng):
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((5, 5, 2)).astype(np.float32)
    k = rng.standard_normal((5, 5, 3)).astype(np.float32)
    extra = ', bias = "b", activation = #dataflow.act<kind = "clip", lo = -0.5, hi = 1.5>'
    args, results, body = conv_ir(5, 5, 2, 3, (3, 3), (1, 1), (1, 1, 1, 1), 1, "f32", extra, skip=True)
    text = module_text(body, args, results, {"w": (w, "f32"), "b": (b, "f32")})
    text = text.replace("i8", "f32").replace("weight_type = f32", "weight_type = f32")
    m = parse(text)
    (y,) = run_functional(m, None, [x, k], layout="hwc")
    acc = ref_conv(x.astype(np.float64), w.astype(np.float64), b, (1, 1), (1, 1, 1, 1), 1).astype(np.float64)
    np.testing.assert_allclose(y[0], np.clip(acc + k, -0.5, 1.5), rtol=1e-5, atol=1e-5)
    assert y.dtype == np.float32


def test_linear_flattens_in_hwc_order():
    """weights [N, H*W*C]: column index = (h*W + w)*C + c."""
    x = np.arange(2 * 2 * 3).reshape(2, 2, 3)  # HWC values equal their HWC flat index
    w = np.zeros((3, 12), dtype=np.int64)
    w[0, 5] = 1  # (h, w, c) = (0, 1, 2) -> value 5
    w[1, 7] = 2  # (1, 0, 1) -> 7
    w[2, :] = 1
    body = (
        f'  %y = dataflow.linear %x {{weights = "w", bias = "b", weight_type = i8, '
        f'requant = #dataflow.requant<multiplier = 1, shift = 1, rounding = "floor">}} : {s(2, 2, 3)} -> {s(1, 1, 3)}\n'
        f"  func.return %y : {s(1, 1, 3)}"
    )
    m = parse(module_text(body, f"%x: {s(2, 2, 3)}", s(1, 1, 3), {"w": (w, "i8"), "b": (np.array([1, 0, 0]), "i32")}))
    (y,) = run_functional(m, None, x.astype(np.int8), layout="hwc")
    assert y.reshape(-1).tolist() == [(5 + 1) // 2, 14 // 2, sum(range(12)) // 2]
    # an NCHW input is transposed to HWC first
    nchw = x.transpose(2, 0, 1)[None].astype(np.int8)
    (y2,) = run_functional(m, None, nchw)
    assert y2.tolist() == y.tolist()


def pool_ir(mode, h, c, k, stride, pad, t="i8", out_t=None, extra=""):
    out_t = out_t or t
    ho = (h + pad[0] + pad[2] - k) // stride + 1
    body = (
        f'  %y = dataflow.pool %x {{mode = "{mode}", kernel = array<i64: {k}, {k}>, stride = array<i64: {stride}, '
        f"{stride}>, pad = array<i64: {', '.join(map(str, pad))}>{extra}}} : {s(h, h, c, t)} -> {s(ho, ho, c, out_t)}\n"
        f"  func.return %y : {s(ho, ho, c, out_t)}"
    )
    return parse(module_text(body, f"%x: {s(h, h, c, t)}", s(ho, ho, c, out_t)))


def test_max_pool_pads_with_lowest_value():
    x = -np.ones((3, 3, 1), dtype=np.int8) * 100
    m = pool_ir("max", 3, 1, 3, 2, (1, 1, 1, 1))
    (y,) = run_functional(m, None, x, layout="hwc")
    assert y.reshape(-1).tolist() == [-100] * 4  # padding (-128) never wins over -100
    mf = pool_ir("max", 3, 1, 3, 2, (1, 1, 1, 1), "f32")
    (yf,) = run_functional(mf, None, x.astype(np.float32) - 1000, layout="hwc")
    assert yf.reshape(-1).tolist() == [-1100.0] * 4  # padding is -inf


def test_avg_pool_float_divides_by_window_and_integer_sums():
    x = np.arange(16).reshape(4, 4, 1)
    mf = pool_ir("avg", 4, 1, 3, 2, (1, 1, 1, 1), "f32")
    (yf,) = run_functional(mf, None, x.astype(np.float32), layout="hwc")
    # window at (0,0) covers x[0:2, 0:2] = 0+1+4+5 = 10, padding counts: 10/9
    assert yf[0, 0, 0, 0] == pytest.approx(10 / 9)
    mi = pool_ir("avg", 4, 1, 3, 2, (1, 1, 1, 1), "i8", "i32")
    (yi,) = run_functional(mi, None, x.astype(np.int8), layout="hwc")
    assert yi[0, :, :, 0].tolist() == [[10, 24], [51, 90]]
    mq = pool_ir(
        "avg", 4, 1, 3, 2, (1, 1, 1, 1), "i8", "i8", ", requant = #dataflow.requant<multiplier = 7, shift = 6>"
    )  # ~ /9
    (yq,) = run_functional(mq, None, x.astype(np.int8), layout="hwc")
    assert yq[0, :, :, 0].tolist() == ref_requant(np.array([[10, 24], [51, 90]]), 7, 6, 0, -128, 127).tolist()


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_global_pool(mode, rng):
    x = rng.integers(-128, 128, (3, 3, 4))
    out_t = "i32" if mode == "avg" else "i8"
    body = (
        f'  %y = dataflow.global_pool %x {{mode = "{mode}"}} : {s(3, 3, 4)} -> {s(1, 1, 4, out_t)}\n'
        f"  func.return %y : {s(1, 1, 4, out_t)}"
    )
    m = parse(module_text(body, f"%x: {s(3, 3, 4)}", s(1, 1, 4, out_t)))
    (y,) = run_functional(m, None, x.astype(np.int8), layout="hwc")
    expected = x.sum(axis=(0, 1)) if mode == "avg" else x.max(axis=(0, 1))
    assert y.reshape(-1).tolist() == expected.tolist()
    mf = parse(
        module_text(body.replace("i8", "f32").replace("i32", "f32"), f"%x: {s(3, 3, 4, 'f32')}", s(1, 1, 4, "f32"))
    )
    (yf,) = run_functional(mf, None, x.astype(np.float32), layout="hwc")
    expected = x.mean(axis=(0, 1)) if mode == "avg" else x.max(axis=(0, 1))
    np.testing.assert_allclose(yf.reshape(-1), expected, rtol=1e-6)


def test_add_integer_multipliers_requant_and_relu():
    a = np.array([[[10, -20, 100]]])
    b = np.array([[[5, 5, 100]]])
    body = (
        f"  %y = dataflow.add %a, %b {{lhs_mult = 3 : i64, rhs_mult = 2 : i64, "
        f'requant = #dataflow.requant<multiplier = 1, shift = 2, rounding = "half_away">, '
        f'activation = #dataflow.act<kind = "relu">}} : {s(1, 1, 3)}, {s(1, 1, 3)} -> {s(1, 1, 3)}\n'
        f"  func.return %y : {s(1, 1, 3)}"
    )
    m = parse(module_text(body, f"%a: {s(1, 1, 3)}, %b: {s(1, 1, 3)}", s(1, 1, 3)))
    (y,) = run_functional(m, None, [a.astype(np.int8), b.astype(np.int8)], layout="hwc")
    # 30+10=40 -> 10; -60+10=-50 -> -12.5 -> -13 -> relu 0; 300+200=500 -> 125
    assert y.reshape(-1).tolist() == [10, 0, 125]


def test_float_add_leaky_relu_sigmoid_and_softmax():
    a = np.array([[[1.0, -2.0, 0.5]]], dtype=np.float32)
    b = np.array([[[0.5, 0.5, -1.0]]], dtype=np.float32)
    t = s(1, 1, 3, "f32")
    body = (
        f'  %y = dataflow.add %a, %b {{activation = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}} : '
        f"{t}, {t} -> {t}\n"
        f'  %z = dataflow.activation %y {{activation = #dataflow.act<kind = "sigmoid">}} : {t} -> {t}\n'
        f"  %w = dataflow.softmax %y : {t} -> {t}\n"
        f"  func.return %z, %w : {t}, {t}"
    )
    m = parse(module_text(body, f"%a: {t}, %b: {t}", f"{t}, {t}"))
    z, w = run_functional(m, None, [a, b], layout="hwc")
    y = np.array([1.5, -0.15, -0.05])
    np.testing.assert_allclose(z.reshape(-1), 1 / (1 + np.exp(-y)), rtol=1e-6)
    np.testing.assert_allclose(w.reshape(-1), np.exp(y) / np.exp(y).sum(), rtol=1e-6)


def test_concat_fork_buffer_requantize_activation():
    t4, t2, t6 = s(2, 2, 4, "i32"), s(2, 2, 2, "i32"), s(2, 2, 6, "i32")
    body = (
        f"  %f:2 = dataflow.fork %x : {t4} -> {t4}, {t4}\n"
        f"  %b = dataflow.buffer %f#1 {{depth = 8 : i64}} : {t4} -> {t4}\n"
        f"  %c = dataflow.concat %f#0, %y : ({t4}, {t2}) -> {t6}\n"
        f"  %q = dataflow.requantize %c {{requant = #dataflow.requant<multiplier = 1, shift = 4, "
        f'rounding = "floor">}} : {t6} -> {s(2, 2, 6)}\n'
        f'  %r = dataflow.activation %q {{activation = #dataflow.act<kind = "clip", lo = -3.0, hi = 5.0>}} : '
        f"{s(2, 2, 6)} -> {s(2, 2, 6)}\n"
        f"  func.return %r, %b : {s(2, 2, 6)}, {t4}"
    )
    m = parse(module_text(body, f"%x: {t4}, %y: {t2}", f"{s(2, 2, 6)}, {t4}"))
    x = np.arange(16).reshape(2, 2, 4) * 16 - 128
    yv = np.arange(8).reshape(2, 2, 2) * -16
    r, b = run_functional(m, None, [x.astype(np.int32), yv.astype(np.int32)], layout="hwc")
    cat = np.concatenate([x, yv], axis=-1)
    assert r[0].tolist() == np.clip(cat >> 4, -3, 5).tolist()
    assert b[0].tolist() == x.tolist()


def test_accumulator_without_requant_wraps_to_its_type():
    # i32 accumulators that overflow wrap around, as ap_int<32> does
    body = (
        f"  %y = dataflow.add %a, %b {{lhs_mult = 65536 : i64, rhs_mult = 65536 : i64}} : "
        f"{s(1, 1, 1, 'i32')}, {s(1, 1, 1, 'i32')} -> {s(1, 1, 1, 'i32')}\n"
        f"  func.return %y : {s(1, 1, 1, 'i32')}"
    )
    m = parse(module_text(body, f"%a: {s(1, 1, 1, 'i32')}, %b: {s(1, 1, 1, 'i32')}", s(1, 1, 1, "i32")))
    (y,) = run_functional(m, None, [np.array([[[20000]]], np.int32), np.array([[[20000]]], np.int32)], layout="hwc")
    assert int(y.reshape(-1)[0]) == int(wrap(np.array([40000 * 65536]), 32)[0])


def test_batches_run_at_once(rng):
    w = rng.integers(-128, 128, (2, 2, 3, 3))
    args, results, body = conv_ir(4, 4, 2, 2, (3, 3), (1, 1), (1, 1, 1, 1), 1, "i32")
    m = parse(module_text(body, args, results, {"w": (w, "i8")}))
    xs = rng.integers(-128, 128, (5, 2, 4, 4)).astype(np.int8)  # NCHW batch
    (y,) = run_functional(m, None, xs)
    for i in range(5):
        assert y[i].tolist() == ref_conv(xs[i].transpose(1, 2, 0), w, None, (1, 1), (1, 1, 1, 1), 1).tolist()


def test_large_batches_are_convolved_in_slices_with_the_same_results(rng, monkeypatch):
    """Past MAX_COLS im2col values the batch goes through a few samples at a time (memory at 224x224)."""
    from fpga_opt.backend.sim import semantics

    w = rng.integers(-128, 128, (2, 2, 3, 3))
    args, results, body = conv_ir(4, 4, 2, 2, (3, 3), (1, 1), (1, 1, 1, 1), 1, "i32")
    m = parse(module_text(body, args, results, {"w": (w, "i8")}))
    xs = rng.integers(-128, 128, (7, 2, 4, 4)).astype(np.int8)
    (whole,) = run_functional(m, None, xs)
    calls = []
    real = semantics.grouped_matmul
    monkeypatch.setattr(semantics, "grouped_matmul", lambda c, *a: calls.append(len(c[0])) or real(c, *a))
    monkeypatch.setattr(semantics, "MAX_COLS", 2 * 4 * 4 * 2 * 3 * 3)  # two samples' windows
    (sliced,) = run_functional(m, None, xs)
    assert calls == [32, 32, 32, 16]  # 2+2+2+1 samples of 4x4 output pixels
    assert sliced.tolist() == whole.tolist()


def test_weight_shape_mismatch_is_a_user_error(rng):
    args, results, body = conv_ir(4, 4, 2, 2, (3, 3), (1, 1), (1, 1, 1, 1), 1, "i32")
    m = parse(module_text(body, args, results, {"w": (np.zeros((2, 2, 3, 2)), "i8")}))
    with pytest.raises(FpgaOptError, match=r"tensor 'w' has shape \[2, 2, 3, 2\], expected \[2, 2, 3, 3\]"):
        run_functional(m, None, np.zeros((4, 4, 2), np.int8), layout="hwc")


def test_missing_weight_is_a_user_error():
    args, results, body = conv_ir(4, 4, 2, 2, (3, 3), (1, 1), (1, 1, 1, 1), 1, "i32")
    m = parse(module_text(body, args, results))
    with pytest.raises(FpgaOptError, match="weight tensor 'w' not found"):
        run_functional(m, None, np.zeros((4, 4, 2), np.int8), layout="hwc")


def test_every_op_has_semantics_and_timing():
    """Every dataflow op has a kernel (`kernels/`) and a timing process (`processes/`), or says why not."""
    from fpga_opt.backend.sim import KERNELS, PROCESSES
    from fpga_opt.dialects.dataflow import BufferOp, Dataflow

    ops = list(Dataflow.operations)
    assert KERNELS.missing(ops) == []
    assert PROCESSES.missing(ops) == []
    assert "not a process" in PROCESSES.exemptions[BufferOp]  # a FIFO: it deepens the edge it sits on


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
