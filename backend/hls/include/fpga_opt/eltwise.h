// Pointwise kernels: residual add, standalone requantise and activation, softmax.
//
// add CFG:        lhs_t, rhs_t, out_t, epi_t, rq_t; N (tokens per frame), L;
//                 LHS_MULT, RHS_MULT; ACT...   y = act(rq(lhs*LHS_MULT + rhs*RHS_MULT))
// requantize CFG: in_t, out_t, rq_t; N, L
// activation CFG: in_t, epi_t; N, L; ACT...
// softmax CFG:    in_t (float); PIX (pixels), C, L.  Softmax over each pixel's channels.
// One token (L lanes) per cycle, PIPELINE II=1 (softmax: one token per cycle per phase).
#ifndef FPGA_OPT_ELTWISE_H
#define FPGA_OPT_ELTWISE_H

#include "types.h"

namespace fpga_opt {

template <class C>
void add(hls::stream<pack<typename C::lhs_t, C::L> >& lhs, hls::stream<pack<typename C::rhs_t, C::L> >& rhs,
         hls::stream<pack<typename C::out_t, C::L> >& out) {
    typedef typename C::epi_t epi_t;
    for (int step = 0; step < C::N; step++) {
#pragma HLS PIPELINE II=1
        pack<typename C::lhs_t, C::L> a = lhs.read();
        pack<typename C::rhs_t, C::L> b = rhs.read();
        pack<typename C::out_t, C::L> y;
        for (int l = 0; l < C::L; l++) {
#pragma HLS UNROLL
            epi_t v = widen<epi_t>(a.data[l]) * C::LHS_MULT + widen<epi_t>(b.data[l]) * C::RHS_MULT;
            if (C::rq_t::enabled) v = C::rq_t::apply(v);
            y.data[l] = (typename C::out_t)activate<C>(v);
        }
        out.write(y);
    }
}

template <class C>
void requantize(hls::stream<pack<typename C::in_t, C::L> >& in, hls::stream<pack<typename C::out_t, C::L> >& out) {
    for (int step = 0; step < C::N; step++) {
#pragma HLS PIPELINE II=1
        pack<typename C::in_t, C::L> x = in.read();
        pack<typename C::out_t, C::L> y;
        for (int l = 0; l < C::L; l++) {
#pragma HLS UNROLL
            y.data[l] = (typename C::out_t)C::rq_t::apply(widen<long long>(x.data[l]));
        }
        out.write(y);
    }
}

template <class C>
void activation(hls::stream<pack<typename C::in_t, C::L> >& in, hls::stream<pack<typename C::in_t, C::L> >& out) {
    for (int step = 0; step < C::N; step++) {
#pragma HLS PIPELINE II=1
        pack<typename C::in_t, C::L> x = in.read();
        pack<typename C::in_t, C::L> y;
        for (int l = 0; l < C::L; l++) {
#pragma HLS UNROLL
            y.data[l] = (typename C::in_t)activate<C>(widen<typename C::epi_t>(x.data[l]));
        }
        out.write(y);
    }
}

template <class C>
void softmax(hls::stream<pack<typename C::in_t, C::L> >& in, hls::stream<pack<typename C::in_t, C::L> >& out) {
    typedef typename C::in_t T;
    const int L = C::L, CK = C::C / L;
    for (int pix = 0; pix < C::PIX; pix++) {
        T buf[CK][L];
#pragma HLS ARRAY_RESHAPE variable=buf complete dim=2
        T top = lowest<T>::value();
        for (int k = 0; k < CK; k++) {
#pragma HLS PIPELINE II=1
            pack<T, L> x = in.read();
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                buf[k][l] = x.data[l];
                top = x.data[l] > top ? x.data[l] : top;
            }
        }
        T total = 0;
        for (int k = 0; k < CK; k++) {
#pragma HLS PIPELINE II=1
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                buf[k][l] = expf(buf[k][l] - top);
                total += buf[k][l];
            }
        }
        for (int k = 0; k < CK; k++) {
#pragma HLS PIPELINE II=1
            pack<T, L> y;
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                y.data[l] = buf[k][l] / total;
            }
            out.write(y);
        }
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_ELTWISE_H
