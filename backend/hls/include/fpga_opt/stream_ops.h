// Stream plumbing: fork (fan-out), concat (channel concatenation), squeeze
// (change the number of lanes between a producer and a consumer).
//
// fork CFG:    N (tokens per frame).  Copies each token to every output; in
//              hardware it advances only when all outputs accept.
// concat CFG:  T; PIX (pixels), C0, C1 (channels of each input), L.  Per pixel,
//              all of input 0's channels, then input 1's.  More inputs are a
//              chain of concats (the lowering builds it).
// squeeze CFG: T; NUM (values per frame), IL (lanes in), OL (lanes out).
#ifndef FPGA_OPT_STREAM_OPS_H
#define FPGA_OPT_STREAM_OPS_H

#include "types.h"

namespace fpga_opt {

template <class C, class TOK, class... OUTS>
void fork(hls::stream<TOK>& in, OUTS&... outs) {
    for (int step = 0; step < C::N; step++) {
#pragma HLS PIPELINE II=1
        const TOK x = in.read();
        const int written[] = {(outs.write(x), 0)...};
        (void)written;
    }
}

template <class C>
void concat(hls::stream<pack<typename C::T, C::L> >& in0, hls::stream<pack<typename C::T, C::L> >& in1,
            hls::stream<pack<typename C::T, C::L> >& out) {
    const int K0 = C::C0 / C::L, K1 = C::C1 / C::L;
    int k = 0;
    for (int step = 0; step < C::PIX * (K0 + K1); step++) {
#pragma HLS PIPELINE II=1
        out.write(k < K0 ? in0.read() : in1.read());
        if (++k == K0 + K1) k = 0;
    }
}

template <class C>
void squeeze(hls::stream<pack<typename C::T, C::IL> >& in, hls::stream<pack<typename C::T, C::OL> >& out) {
    typedef typename C::T T;
    // Groups of lcm(IL, OL) values: read LCM/IL tokens, write LCM/OL tokens.
    const int A = C::IL, B = C::OL;
    const int G = C::GCD;
    const int LCM = A / G * B;
    T buf[LCM];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
    for (int blk = 0; blk < C::NUM / LCM; blk++) {
        for (int r = 0; r < LCM / A; r++) {
#pragma HLS PIPELINE II=1
            pack<T, A> x = in.read();
            for (int l = 0; l < A; l++) {
#pragma HLS UNROLL
                buf[r * A + l] = x.data[l];
            }
        }
        for (int q = 0; q < LCM / B; q++) {
#pragma HLS PIPELINE II=1
            pack<T, B> y;
            for (int l = 0; l < B; l++) {
#pragma HLS UNROLL
                y.data[l] = buf[q * B + l];
            }
            out.write(y);
        }
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_STREAM_OPS_H
