// Pooling over windows (after `sliding_window`) and global pooling.
//
// pool CFG: in_t, out_t, acc_t, epi_t, rq_t; OH, OW, C, L, KP (= Kh*Kw), MODE.
// pool_exclude_pad CFG: pool's (MODE is average) plus H, W, KH, KW, SH, SW, PT, PL: each
// window's count of real pixels (ONNX count_include_pad = 0), which floats divide by and the
// integer requant divides by exactly (requant::apply_over).
// pool_exclude_pad_qdq CFG: in_t, out_t; OH, OW, C, L, KP, H, W, KH, KW, SH, SW, PT, PL as
// pool_exclude_pad; ZP_IN, S_IN, S_OUT, ZP_OUT, LO, HI: an integer exclude-pad mean in the QDQ
// reference's float32 arithmetic (dataflow.pool's qdq_scales; fpga-sim's qdq_float32_mean): each
// tap (x - ZP_IN) * S_IN (the padding holds ZP_IN: 0.0), each window column summed top to bottom,
// the columns left to right, / count, / S_OUT, rounded half to even, + ZP_OUT, clamped to
// [LO, HI].  Bit for bit with fpga-sim only if float operations are not contracted (the csim
// Makefile builds with -ffp-contract=off; Vitis HLS keeps the order of float additions).
// global_pool CFG: in_t, out_t, acc_t, epi_t, rq_t; PIX (= H*W), C, L, MODE.
//
// MODE_MAX keeps the element type (the window was padded with its lowest
// value).  MODE_AVG on integers emits the exact window SUM, then the optional
// requant (whose multiplier carries the 1/count): the division is a rescale.
// MODE_AVG on floats divides the sum by the count (Kh*Kw, padding included;
// H*W for global pooling).  One token (L channels) per cycle, PIPELINE II=1.
#ifndef FPGA_OPT_POOL_H
#define FPGA_OPT_POOL_H

#include "types.h"

namespace fpga_opt {

enum pool_mode { MODE_MAX = 0, MODE_AVG = 1 };

/// Whether an epilogue type is floating point (for average pooling's division).
template <typename E>
struct is_float_type {
    static const bool value = false;
};
template <>
struct is_float_type<float> {
    static const bool value = true;
};

/// Finish an average: float divides by the count, integers requantise the sum.
template <class C>
inline typename C::epi_t finish_average(typename C::epi_t sum, int count) {
    if (is_float_type<typename C::epi_t>::value) return sum / (typename C::epi_t)count;
    return C::rq_t::enabled ? (typename C::epi_t)C::rq_t::apply(sum) : sum;
}

template <class C>
void pool(hls::stream<window<typename C::in_t, C::KP, C::L> >& in, hls::stream<pack<typename C::out_t, C::L> >& out) {
    typedef typename C::in_t T;
    typedef typename C::acc_t acc_t;
    const int L = C::L, KP = C::KP;
    for (int step = 0; step < C::OH * C::OW * (C::C / L); step++) {
#pragma HLS PIPELINE II=1
        const window<T, KP, L> token = in.read();
        T win[KP][L];  // in registers
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
        for (int p = 0; p < KP; p++) {
#pragma HLS UNROLL
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                win[p][l] = token.data[p][l];
            }
        }
        pack<typename C::out_t, L> y;
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            if (C::MODE == MODE_MAX) {
                T m = win[0][l];
                for (int p = 1; p < KP; p++) {
#pragma HLS UNROLL
                    m = win[p][l] > m ? win[p][l] : m;
                }
                y.data[l] = (typename C::out_t)m;
            } else {
                acc_t s = 0;
                for (int p = 0; p < KP; p++) {
#pragma HLS UNROLL
                    s += win[p][l];
                }
                y.data[l] = (typename C::out_t)finish_average<C>(widen<typename C::epi_t>(s), KP);
            }
        }
        out.write(y);
    }
}

/// Real (not padding) pixels along one axis of the window starting at `start` (may be negative).
inline int real_span(int start, int k, int size) {
    const int lo = start < 0 ? 0 : start;
    const int hi = start + k < size ? start + k : size;
    return hi - lo;
}

/// Where an exclude-pad kernel is (output pixel oy, ox; channel pack k): each window's count of
/// real pixels, and the step to the next token without division.
template <class C>
struct window_cursor {
    int oy, ox, k;
    window_cursor() : oy(0), ox(0), k(0) {}
    int count() const {
        return real_span(oy * C::SH - C::PT, C::KH, C::H) * real_span(ox * C::SW - C::PL, C::KW, C::W);
    }
    void advance() {
        if (++k == C::C / C::L) {
            k = 0;
            if (++ox == C::OW) {
                ox = 0;
                ++oy;
            }
        }
    }
};

template <class C>
void pool_exclude_pad(hls::stream<window<typename C::in_t, C::KP, C::L> >& in,
                      hls::stream<pack<typename C::out_t, C::L> >& out) {
    typedef typename C::in_t T;
    typedef typename C::acc_t acc_t;
    typedef typename C::epi_t epi_t;
    const int L = C::L, KP = C::KP, CK = C::C / L;
    window_cursor<C> at;
    for (int step = 0; step < C::OH * C::OW * CK; step++) {
#pragma HLS PIPELINE II=1
        const window<T, KP, L> token = in.read();
        const int count = at.count();
        pack<typename C::out_t, L> y;
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            acc_t s = 0;
            for (int p = 0; p < KP; p++) {
#pragma HLS UNROLL
                s += token.data[p][l];
            }
            const epi_t sum = widen<epi_t>(s);
            y.data[l] = is_float_type<epi_t>::value ? (typename C::out_t)(sum / (epi_t)count)
                                                    : (typename C::out_t)C::rq_t::apply_over(sum, count);
        }
        out.write(y);
        at.advance();
    }
}

/// Round half to even, as QuantizeLinear (and numpy's rint) do, without the FPU rounding mode.
inline long long round_half_even(float v) {
    const float f = v < 0 ? -v : v;
    long long q = (long long)f;  // truncation of |v|
    const float rest = f - (float)q;  // exact: |v| < 2^24 here, so f and q share their exponent range
    if (rest > 0.5f || (rest == 0.5f && (q & 1))) q += 1;
    return v < 0 ? -q : q;
}

template <class C>
void pool_exclude_pad_qdq(hls::stream<window<typename C::in_t, C::KP, C::L> >& in,
                          hls::stream<pack<typename C::out_t, C::L> >& out) {
    typedef typename C::in_t T;
    const int L = C::L, KP = C::KP, CK = C::C / L;
    const float s_in = (float)C::S_IN, s_out = (float)C::S_OUT;
    window_cursor<C> at;
    for (int step = 0; step < C::OH * C::OW * CK; step++) {
#pragma HLS PIPELINE II=1
        const window<T, KP, L> token = in.read();
        const int count = at.count();
        pack<typename C::out_t, L> y;
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            float total = 0.0f;
            for (int c = 0; c < C::KW; c++) {
#pragma HLS UNROLL
                float column = 0.0f;
                for (int r = 0; r < C::KH; r++) {
#pragma HLS UNROLL
                    const float tap = (float)((long long)token.data[r * C::KW + c][l] - C::ZP_IN) * s_in;
                    column = column + tap;
                }
                total = total + column;
            }
            const float mean = total / (float)count;
            const long long q = round_half_even(mean / s_out) + C::ZP_OUT;
            y.data[l] = (typename C::out_t)(q < C::LO ? C::LO : (q > C::HI ? C::HI : q));
        }
        out.write(y);
        at.advance();
    }
}

template <class C>
void global_pool(hls::stream<pack<typename C::in_t, C::L> >& in, hls::stream<pack<typename C::out_t, C::L> >& out) {
    typedef typename C::acc_t acc_t;
    const int L = C::L, CK = C::C / L;
    acc_t acc[CK][L];
#pragma HLS ARRAY_RESHAPE variable=acc complete dim=2
    int k = 0, pix = 0;
    for (int step = 0; step < C::PIX * CK; step++) {
#pragma HLS PIPELINE II=1
        pack<typename C::in_t, L> x = in.read();
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            const acc_t v = x.data[l];
            if (pix == 0) {
                acc[k][l] = v;
            } else if (C::MODE == MODE_MAX) {
                acc[k][l] = v > acc[k][l] ? v : acc[k][l];
            } else {
                acc[k][l] = acc[k][l] + v;
            }
        }
        if (++k == CK) {
            k = 0;
            ++pix;
        }
    }
    for (int kk = 0; kk < CK; kk++) {
#pragma HLS PIPELINE II=1
        pack<typename C::out_t, L> y;
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            if (C::MODE == MODE_MAX) {
                y.data[l] = (typename C::out_t)acc[kk][l];
            } else {
                y.data[l] = (typename C::out_t)finish_average<C>(widen<typename C::epi_t>(acc[kk][l]), C::PIX);
            }
        }
        out.write(y);
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_POOL_H
