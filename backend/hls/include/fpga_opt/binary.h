// Binarised layers: thresholds, XNOR-popcount (dense and conv) and LUTNet's LUT layers, tiled.
//
// A bit b stands for the value 2b-1 (dialects/dataflow/binary.py).  Each layer
// counts, per output, the terms that are 1 -- XNOR matches of input and weight
// bits, or LUT operator outputs -- and emits the bit `count >= t` (THRESHOLDED)
// or the +-1 dot product `2*count - N`.  C simulation agrees with fpga-sim bit
// for bit.
//
// threshold   CFG: in_t, cmp_t (long long or float), N (elements), C, L (lanes).
//             Table t[C/L][L]: t[g][l] = T[g*L + l].
// xnor_linear CFG: out_t, cnt_t, NIN, NOUT, CI, CO, N (= NIN), THRESHOLDED.
//             FINN's binarised MVAU: (NOUT/CO)*(NIN/CI) iterations at II=1, the
//             input vector kept for the other output folds.  Weights
//             w[nf*(NIN/CI) + sf][o*CI + i] = W[nf*CO + o][sf*CI + i]; t[nf][o].
// xnor_conv   CFG: out_t, cnt_t, OH, OW, KP, CIN, CI, COUT, CO, FINE, N, THRESHOLDED.
//             conv.h's schedule with XNOR gates: per output pixel and input
//             chunk k, (COUT/CO)*(KP/FINE) iterations.  Weights
//             w[(k*NJ + j)*NF + f][(o*FINE + p)*CI + i] = W[j*CO + o][k*CI + i][f*FINE + p].
// lut_linear  CFG: out_t, cnt_t, NIN, NOUT, CI, CO, K, LUTS, N (= LUTS), THRESHOLDED.
//             Reads the input vector into registers (NIN/CI cycles), then
//             evaluates CO outputs -- all their LUTS operators -- per cycle
//             (NOUT/CO cycles).  Tables (word nf, one per output fold):
//             idx[nf][(o*LUTS + m)*K + k], tab[nf][(o*LUTS + m)*2^K + a], t[nf][o].
#ifndef FPGA_OPT_BINARY_H
#define FPGA_OPT_BINARY_H

#include "linear.h"  // mvau_input: xnor_linear is the MVAU with XNOR gates
#include "types.h"

namespace fpga_opt {

// Bytes of a value in the integer tables (types.h `table_at`): thresholds and LUT indices are
// i32 (passes/lower_dataflow_to_hls/binary.py THRESHOLD_TYPE, INDEX_TYPE), weights and truth
// tables bits (one byte each).
const int TB = 4;
const int BB = 1;

/// The result of a binarised output from its popcount.
template <class C>
inline typename C::out_t binary_result(long long count, long long threshold) {
    if (C::THRESHOLDED) return (typename C::out_t)(count >= threshold ? 1 : 0);
    return (typename C::out_t)(2 * count - C::N);
}

template <class C, class TA>
void threshold(hls::stream<pack<typename C::in_t, C::L> >& in, hls::stream<pack<ap_uint<1>, C::L> >& out,
               const TA& t) {
    typedef typename C::cmp_t cmp_t;
    const int NG = C::C / C::L;
    int g = 0;
    for (int step = 0; step < C::N / C::L; step++) {
#pragma HLS PIPELINE II=1
        const pack<typename C::in_t, C::L> x = in.read();
        pack<ap_uint<1>, C::L> y;
        for (int l = 0; l < C::L; l++) {
#pragma HLS UNROLL
            y.data[l] = (cmp_t)x.data[l] >= table_at<cmp_t, TB, C::L>(t, g, l) ? 1 : 0;
        }
        out.write(y);
        if (++g == NG) g = 0;
    }
}

template <class C, class WA, class TA>
void xnor_linear(hls::stream<pack<ap_uint<1>, C::CI> >& in, hls::stream<pack<typename C::out_t, C::CO> >& out,
                 const WA& w, const TA& t) {
    typedef typename C::cnt_t cnt_t;
    const int CI = C::CI, CO = C::CO;
    const int NSF = C::NIN / CI;
    const int NNF = C::NOUT / CO;
    ap_uint<1> buf[NSF][CI];
#pragma HLS ARRAY_RESHAPE variable=buf complete dim=2
    cnt_t acc[CO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    int sf = 0, nf = 0;
    for (int step = 0; step < NNF * NSF; step++) {
#pragma HLS PIPELINE II=1
        const pack<ap_uint<1>, CI> x = mvau_input(in, buf, sf, nf);
        const int waddr = nf * NSF + sf;
        const auto wrow = table_row(w, waddr);  // one read of the word per iteration, as linear.h
        for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
            cnt_t sum = sf == 0 ? cnt_t(0) : acc[o];
            for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                sum += (x.data[i] == table_at<ap_uint<1>, BB, CO * CI>(wrow, waddr, o * CI + i)) ? 1 : 0;
            }
            acc[o] = sum;
        }
        if (sf == NSF - 1) {
            pack<typename C::out_t, CO> y;
            for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                y.data[o] = binary_result<C>((long long)acc[o], table_at<long long, TB, CO>(t, nf, o));
            }
            out.write(y);
        }
        if (++sf == NSF) {
            sf = 0;
            ++nf;
        }
    }
}

template <class C, class IN, class WA, class TA>
void xnor_conv(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::CO> >& out, const WA& w, const TA& t) {
    typedef typename C::cnt_t cnt_t;
    const int CI = C::CI, CO = C::CO, FINE = C::FINE;
    const int NK = C::CIN / CI;
    const int NJ = C::COUT / CO;
    const int NF = C::KP / FINE;
    const int NIT = NJ * NF;
    cnt_t psum[NJ][CO];
#pragma HLS ARRAY_RESHAPE variable=psum complete dim=2
    cnt_t acc[CO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    ap_uint<1> win[C::KP][CI];
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
    int t_ = 0, k = 0;
    for (int step = 0; step < C::OH * C::OW * NK * NIT; step++) {
#pragma HLS PIPELINE II=1
        if (t_ == 0) {
            const IN token = in.read();
            for (int p = 0; p < C::KP; p++) {
#pragma HLS UNROLL
                for (int l = 0; l < CI; l++) {
#pragma HLS UNROLL
                    win[p][l] = elem(token, p, l);
                }
            }
        }
        const int j = t_ / NF, f = t_ % NF;
        const int waddr = k * NIT + t_;
        for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
            cnt_t sum = (f != 0) ? acc[o] : (k != 0 ? psum[j][o] : cnt_t(0));
            for (int p = 0; p < FINE; p++) {
#pragma HLS UNROLL
                for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                    sum += (win[f * FINE + p][i] == table_at<ap_uint<1>, BB, CO * FINE * CI>(w, waddr, (o * FINE + p) * CI + i)) ? 1 : 0;
                }
            }
            acc[o] = sum;
        }
        if (f == NF - 1) {
            if (k == NK - 1) {
                pack<typename C::out_t, CO> y;
                for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                    y.data[o] = binary_result<C>((long long)acc[o], table_at<long long, TB, CO>(t, j, o));
                }
                out.write(y);
            } else {
                for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                    psum[j][o] = acc[o];
                }
            }
        }
        if (++t_ == NIT) {
            t_ = 0;
            if (++k == NK) k = 0;
        }
    }
}

template <class C, class IA, class TBA, class TA>
void lut_linear(hls::stream<pack<ap_uint<1>, C::CI> >& in, hls::stream<pack<typename C::out_t, C::CO> >& out,
                const IA& idx, const TBA& tab, const TA& t) {
    typedef typename C::cnt_t cnt_t;
    const int CI = C::CI, CO = C::CO, K = C::K, LUTS = C::LUTS;
    const int TS = 1 << K;
    ap_uint<1> x[C::NIN];
#pragma HLS ARRAY_PARTITION variable=x complete dim=1
    for (int s = 0; s < C::NIN / CI; s++) {
#pragma HLS PIPELINE II=1
        const pack<ap_uint<1>, CI> token = in.read();
        for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
            x[s * CI + i] = token.data[i];
        }
    }
    for (int nf = 0; nf < C::NOUT / CO; nf++) {
#pragma HLS PIPELINE II=1
        pack<typename C::out_t, CO> y;
        for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
            cnt_t count = 0;
            for (int m = 0; m < LUTS; m++) {
#pragma HLS UNROLL
                int addr = 0;
                for (int b = 0; b < K; b++) {
#pragma HLS UNROLL
                    addr |= (int)x[table_at<int, TB, CO * LUTS * K>(idx, nf, (o * LUTS + m) * K + b)] << b;
                }
                count += (cnt_t)table_at<ap_uint<1>, BB, CO * LUTS * TS>(tab, nf, (o * LUTS + m) * TS + addr);
            }
            y.data[o] = binary_result<C>((long long)count, table_at<long long, TB, CO>(t, nf, o));
        }
        out.write(y);
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_BINARY_H
