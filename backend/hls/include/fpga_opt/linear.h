// Fully connected layer: FINN's matrix-vector-activation unit (MVAU).
//
// CFG: in_t, out_t, acc_t, epi_t, wt_t, rq_t; NIN (= H*W*C, the input vector in
// HWC order), NOUT, CI (SIMD: inputs per cycle), CO (PE: outputs in parallel),
// PACK (terms per packed DSP chain, 0: none), WB, BB (bytes of a weight and of a bias
// in an integer table, types.h); ACT, ACT_LO, ACT_HI, ACT_FLO,
// ACT_FHI, ACT_ALPHA.
//
// (NOUT/CO) * (NIN/CI) iterations at II=1, CI*CO multipliers summed as the DSPs
// do (types.h `dot`, `dot_pair`: two outputs sharing an input share a DSP).  The input
// vector is read once, during the first output fold, and kept in `buf` for
// the others.  Weights: one ROM, word = CO*CI values,
//   w[nf*(NIN/CI) + sf][o*CI + i] = W[nf*CO + o][sf*CI + i];  bias b[nf][o].
#ifndef FPGA_OPT_LINEAR_H
#define FPGA_OPT_LINEAR_H

#include "types.h"

namespace fpga_opt {

template <class C, class WA, class BA>
void linear(hls::stream<pack<typename C::in_t, C::CI> >& in, hls::stream<pack<typename C::out_t, C::CO> >& out,
            const WA& w, const BA& b) {
    typedef typename C::in_t T;
    typedef typename C::acc_t acc_t;
    typedef typename C::epi_t epi_t;
    const int CI = C::CI, CO = C::CO;
    const int NSF = C::NIN / CI;   // synapse folds
    const int NNF = C::NOUT / CO;  // neuron folds
    T buf[NSF][CI];
#pragma HLS ARRAY_RESHAPE variable=buf complete dim=2
    acc_t acc[CO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    int sf = 0, nf = 0;
    for (int step = 0; step < NNF * NSF; step++) {
#pragma HLS PIPELINE II=1
        pack<T, CI> x;
        if (nf == 0) {
            x = in.read();
            for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                buf[sf][i] = x.data[i];
            }
        } else {
            for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                x.data[i] = buf[sf][i];
            }
        }
        const int waddr = nf * NSF + sf;
        const auto wrow = table_row(w, waddr);  // one read of the word per iteration (a stream_table reads its stream)
        for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
            acc[o] = sf == 0 ? acc_t(0) : acc[o];
        }
        for (int o = 0; o < CO; o += 2) {  // two outputs share the input: one DSP (PACK > 0)
#pragma HLS UNROLL
            const bool pair = o + 1 < CO;
            typename C::wt_t wa[CI], wb[CI];
            for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                wa[i] = table_at<typename C::wt_t, C::WB, CO * CI>(wrow, waddr, o * CI + i);
                wb[i] = pair ? table_at<typename C::wt_t, C::WB, CO * CI>(wrow, waddr, (o + 1) * CI + i)
                             : (typename C::wt_t)0;
            }
            if (C::PACK > 0 && pair) {
                dot_pair<(C::PACK > 0 ? C::PACK : 1), CI>(acc[o], acc[o + 1], x.data, wa, wb);
            } else {
                dot<CI>(acc[o], x.data, wa);
                if (pair) dot<CI>(acc[o + 1], x.data, wb);
            }
        }
        if (sf == NSF - 1) {
            pack<typename C::out_t, CO> y;
            for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                epi_t v = widen<epi_t>(acc[o]) + table_at<epi_t, C::BB, CO>(b, nf, o);
                if (C::rq_t::enabled) v = C::rq_t::apply(v, nf * CO + o);
                y.data[o] = (typename C::out_t)activate<C>(v);
            }
            out.write(y);
        }
        if (++sf == NSF) {
            sf = 0;
            ++nf;
        }
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_LINEAR_H
