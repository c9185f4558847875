// Convolution: a coarse_in x coarse_out x fine multiplier array fed by windows.
//
// Input: a stream of windows from `sliding_window` (or, for a 1x1 stride-1
// unpadded conv, the raw pixel stream: a `pack` is a window of one position).
// Each token holds KP = Kh*Kw positions of CG*CI lanes: CI input channels of
// each of CG groups computed in parallel (coarse_in, coarse_group).
//
// CFG: in_t, out_t, acc_t (exact-width accumulator), epi_t (long long or float),
//      rq_t; OH, OW; KP, CENTRE (the window centre's position); GROUPS, CG,
//      CIN_G, CI, COUT_G, CO, FINE; HAS_SKIP, skip_t, ACC_MULT, SKIP_MULT, skip_rq_t;
//      SIDE (0 none, 1 forward the centre pixel, 2 merged 1x1 conv), side_t,
//      side_acc_t, side_rq_t, C_SIDE; ACT, ACT_LO, ACT_HI, ACT_FLO, ACT_FHI, ACT_ALPHA.
//
// Schedule (fpgaConvNet): per output pixel, per group chunk, per input-channel
// chunk k, NIT = max(COUT_G/CO * KP/FINE, C_SIDE/CO) iterations at II=1.  An
// iteration multiplies FINE positions x CI channels by CO filters in each of CG
// groups: CG*CI*CO*FINE multipliers.  Partial sums wait in `psum` between input
// chunks; after the last one the epilogue (bias, requant, skip add, skip
// requant, activation) emits CG*CO output channels.
//
// Weights (one ROM, word = CG*CO*FINE*CI values, read at one address per cycle):
//   w[((G*NK + k)*NJ + j)*NF + f][((gi*CO + o)*FINE + p)*CI + i]
//     = W[(G*CG+gi)*COUT_G + j*CO + o][k*CI + i][position f*FINE + p]
// bias b[G*NJ + j][gi*CO + o]; merged side weights sw[k*NSJ + t][o*CI + i] =
// SW[t*CO + o][k*CI + i], side bias sb[t][o].  The emitter writes them so.
#ifndef FPGA_OPT_CONV_H
#define FPGA_OPT_CONV_H

#include "types.h"

namespace fpga_opt {

enum side_kind { SIDE_NONE = 0, SIDE_FORWARD = 1, SIDE_MERGED = 2 };

namespace detail {

/// `side.write(x)` when the conv's side kind is KIND, nothing otherwise (C++14 has no
/// `if constexpr`, and the other kind's token type would not match the stream).
template <int SIDE, int KIND>
struct side_write {
    template <class S, class X>
    static void write(S&, const X&) {}
};
template <int KIND>
struct side_write<KIND, KIND> {
    template <class S, class X>
    static void write(S& s, const X& x) {
        s.write(x);
    }
};

template <class C, class IN, class SKIP, class SIDE, class WA, class BA, class SWA, class SBA>
void conv_impl(hls::stream<IN>& in, SKIP& skip, hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out,
               SIDE& side, const WA& w, const BA& b, const SWA& sw, const SBA& sb) {
    typedef typename C::acc_t acc_t;
    typedef typename C::epi_t epi_t;
    typedef typename C::side_acc_t side_acc_t;
    const int CG = C::CG, CI = C::CI, CO = C::CO, FINE = C::FINE;
    const int OL = CG * CO;                      // output lanes
    const int NG = C::GROUPS / CG;               // group chunks
    const int NK = C::CIN_G / CI;                // input-channel chunks
    const int NJ = C::COUT_G / CO;               // output-channel chunks
    const int NF = C::KP / FINE;                 // kernel-position chunks
    const int NMAIN = NJ * NF;
    const int NSJ = C::SIDE == SIDE_MERGED ? C::C_SIDE / CO : 0;
    const int NIT = NMAIN > NSJ ? NMAIN : NSJ;
    const int NSJ_MEM = NSJ > 0 ? NSJ : 1;

    acc_t psum[NJ][OL];
#pragma HLS ARRAY_RESHAPE variable=psum complete dim=2
    acc_t acc[OL];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    side_acc_t spsum[NSJ_MEM][CO];
#pragma HLS ARRAY_RESHAPE variable=spsum complete dim=2
    typename C::in_t win[C::KP][CG * CI];  // the current window, in registers
#pragma HLS ARRAY_PARTITION variable=win complete dim=0

    int t = 0, k = 0, g = 0;
    for (int step = 0; step < C::OH * C::OW * NG * NK * NIT; step++) {
#pragma HLS PIPELINE II=1
        if (t == 0) {
            const IN token = in.read();
            for (int p = 0; p < C::KP; p++) {
#pragma HLS UNROLL
                for (int l = 0; l < CG * CI; l++) {
#pragma HLS UNROLL
                    win[p][l] = elem(token, p, l);
                }
            }
            if (C::SIDE == SIDE_FORWARD) {
                pack<typename C::side_t, CG * CI> centre;
                for (int l = 0; l < CG * CI; l++) {
#pragma HLS UNROLL
                    centre.data[l] = win[C::CENTRE][l];
                }
                side_write<C::SIDE, SIDE_FORWARD>::write(side, centre);
            }
        }
        if (t < NMAIN) {
            const int j = t / NF, f = t % NF;
            const int waddr = (g * NK + k) * NMAIN + t;
            const auto& wrow = w[waddr];  // one read of the word per iteration (a stream_table reads its stream)
            for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                const int gi = o / CO;
                acc_t sum = (f != 0) ? acc[o] : (k != 0 ? psum[j][o] : acc_t(0));
                for (int p = 0; p < FINE; p++) {
#pragma HLS UNROLL
                    for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                        sum += win[f * FINE + p][gi * CI + i] * wrow[(o * FINE + p) * CI + i];
                    }
                }
                acc[o] = sum;
            }
            if (f == NF - 1) {
                if (k == NK - 1) {
                    pack<typename C::out_t, OL> y;
                    pack<typename C::skip_t, OL> s;
                    if (C::HAS_SKIP) s = skip.read();
                    for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                        const int gi = o / CO;
                        epi_t v = widen<epi_t>(acc[o]) + widen<epi_t>(b[g * NJ + j][o]);
                        if (C::rq_t::enabled) v = C::rq_t::apply(v, (g * CG + gi) * C::COUT_G + j * CO + o % CO);
                        if (C::HAS_SKIP) {
                            v = v * C::ACC_MULT + widen<epi_t>(s.data[o]) * C::SKIP_MULT;
                            if (C::skip_rq_t::enabled) v = C::skip_rq_t::apply(v);
                        }
                        y.data[o] = (typename C::out_t)activate<C>(v);
                    }
                    out.write(y);
                } else {
                    for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                        psum[j][o] = acc[o];
                    }
                }
            }
        }
        if (C::SIDE == SIDE_MERGED && t < NSJ) {
            pack<typename C::side_t, CO> y;
            for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                side_acc_t sum = k != 0 ? spsum[t][o] : side_acc_t(0);
                for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                    sum += win[C::CENTRE][i] * sw[k * NSJ + t][o * CI + i];
                }
                if (k == NK - 1) {
                    epi_t v = widen<epi_t>(sum) + widen<epi_t>(sb[t][o]);
                    if (C::side_rq_t::enabled) v = C::side_rq_t::apply(v, t * CO + o);
                    y.data[o] = (typename C::side_t)v;
                } else {
                    spsum[t][o] = sum;
                }
            }
            if (k == NK - 1) side_write<C::SIDE, SIDE_MERGED>::write(side, y);
        }
        // Advance (t, k, g); the pixel is implicit in `step`.
        if (++t == NIT) {
            t = 0;
            if (++k == NK) {
                k = 0;
                if (++g == NG) g = 0;
            }
        }
    }
}

}  // namespace detail

/// Plain convolution.
template <class C, class IN, class WA, class BA>
void conv(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out, const WA& w, const BA& b) {
    no_stream<pack<typename C::skip_t, C::CG * C::CO> > skip;
    no_stream<pack<typename C::side_t, 1> > side;
    detail::conv_impl<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution whose epilogue adds a residual stream (an add merged into the conv).
template <class C, class IN, class WA, class BA>
void conv_skip(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::CG * C::CO> >& skip,
               hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out, const WA& w, const BA& b) {
    no_stream<pack<typename C::side_t, 1> > side;
    detail::conv_impl<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution that forwards each window's centre pixel on a side stream.
template <class C, class IN, class WA, class BA>
void conv_fwd(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out,
              hls::stream<pack<typename C::side_t, C::CG * C::CI> >& side, const WA& w, const BA& b) {
    no_stream<pack<typename C::skip_t, C::CG * C::CO> > skip;
    detail::conv_impl<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Skip input and forwarded centre pixel.
template <class C, class IN, class WA, class BA>
void conv_skip_fwd(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::CG * C::CO> >& skip,
                   hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out,
                   hls::stream<pack<typename C::side_t, C::CG * C::CI> >& side, const WA& w, const BA& b) {
    detail::conv_impl<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution with a merged 1x1 conv of the centre pixel on the side stream.
template <class C, class IN, class WA, class BA, class SWA, class SBA>
void conv_merged(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out,
                 hls::stream<pack<typename C::side_t, C::CO> >& side, const WA& w, const BA& b, const SWA& sw,
                 const SBA& sb) {
    no_stream<pack<typename C::skip_t, C::CG * C::CO> > skip;
    detail::conv_impl<C>(in, skip, out, side, w, b, sw, sb);
}

/// Skip input and merged 1x1 side conv.
template <class C, class IN, class WA, class BA, class SWA, class SBA>
void conv_skip_merged(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::CG * C::CO> >& skip,
                      hls::stream<pack<typename C::out_t, C::CG * C::CO> >& out,
                      hls::stream<pack<typename C::side_t, C::CO> >& side, const WA& w, const BA& b,
                      const SWA& sw, const SBA& sb) {
    detail::conv_impl<C>(in, skip, out, side, w, b, sw, sb);
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_CONV_H
