// Convolution: a coarse_in x coarse_out x fine multiplier array fed by windows.
//
// Input: a stream of windows from `sliding_window` (or, for a 1x1 stride-1
// unpadded conv, the raw pixel stream: a `pack` is a window of one position).
// Each token holds KP = Kh*Kw positions of CG*CI lanes: CI input channels of
// each of CG groups computed in parallel (coarse_in, coarse_group).
//
// CFG: in_t, out_t, acc_t (exact-width accumulator), epi_t (long long or float),
//      rq_t; OH, OW; KP, CENTRE (the window centre's position); GROUPS, CG,
//      CIN_G, CI, COUT_G, CO, FINE, TERMS (0: kernel-position passes; > 0: flattened
//      passes of TERMS products, below); wt_t (weights), sum_t (accumulator + bias);
//      WB, BB (bytes of a weight and of a bias in an integer table, types.h);
//      PL (lanes of the result stream), R (temporal reuse), PACK (terms per packed
//      DSP chain, 0: no packing); HAS_SKIP, skip_t,
//      ACC_MULT, SKIP_MULT, skip_rq_t; SIDE (0 none, 1 forward the centre pixel,
//      2 merged 1x1 conv), side_t, side_acc_t, side_rq_t, C_SIDE; ACT, ACT_LO,
//      ACT_HI, ACT_FLO, ACT_FHI, ACT_ALPHA.
//
// Schedule (fpgaConvNet): per output pixel, per group chunk, per input-channel
// pass k, NIT = max(NJ*NF, C_SIDE/CO) iterations at II=1, with NJ = ceil(COUT_G/CO)
// output passes and NF = ceil(KP/FINE) kernel-position passes: when CO or FINE
// does not divide, the last pass is padded (its weights are zero).  An iteration
// multiplies FINE positions x CI channels by CO filters in each of CG groups.
// Partial sums wait in `psum` between input passes; after the last one the
// epilogue (bias, requant, skip add, skip requant, activation) emits the pass's
// output channels.  Products are summed as the DSPs do (types.h `dot`,
// `dot_pair`): two output lanes sharing an activation share a DSP (PACK > 0).
//
// Flattened passes (TERMS > 0, CI = CIN_G): a pass multiplies TERMS consecutive values of the
// window's channel-major vector (value e = i*KP + position, i < CI) by CO filters, NF =
// ceil(KP*CI/TERMS) passes, the last one padded: pass counts no FINE x CI product reaches
// (7 passes of 11 products for an 8-channel 3x3 window).  The kernel-position form is the same
// loop with TERMS = FINE*CI products, position-major (e = position*CI + i).
//
// Padded output passes: the result stream is PL lanes wide (the smallest divisor
// of the channels >= CO); each pass's valid channels are repacked into PL-lane
// tokens, and the skip stream (PL lanes) is unpacked to the pass's channels.
//
// Temporal reuse (R > 1, `conv_reuse_impl`): R consecutive output pixels of a row
// are computed side by side, each weight word read once for all of them.  Three
// dataflow processes: a gather reads the windows of the next R pixels while the
// MAC process computes the current ones, and a drain emits the previous group's
// accumulators (plus bias) PL lanes a token, pixel by pixel, through the epilogue.
// Interval: OH*OW/R * S cycles (S = max(NG*NK*NJ*NF, R*NG*NK)); the first group's
// R*NG*NK window reads and the last group's R*C/PL result tokens overlap the
// neighbouring frames (latency, not interval).
//
// Weights (one ROM, word = CG*CO*TERMS values, read at one address per cycle):
//   w[((G*NK + k)*NJ + j)*NF + f][((gi*CO + o)*FINE + p)*CI + i]
//     = W[(G*CG+gi)*COUT_G + j*CO + o][k*CI + i][position f*FINE + p]   (0 when padded)
// and in the flattened form (NK = 1), with e = f*TERMS + q:
//   w[(G*NJ + j)*NF + f][(gi*CO + o)*TERMS + q] = W[(G*CG+gi)*COUT_G + j*CO + o][e / KP][e % KP]
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

/// The pass sizes every conv kernel derives from its configuration.
template <class C>
struct conv_shape {
    static const int OL = C::CG * C::CO;                      // output lanes of a pass
    static const int NG = C::GROUPS / C::CG;                  // group chunks
    static const int NK = C::CIN_G / C::CI;                   // input-channel passes
    static const int NJ = (C::COUT_G + C::CO - 1) / C::CO;    // output passes (last one padded)
    static const bool FLAT = C::TERMS > 0;                    // flattened passes
    static const int TERMS = FLAT ? C::TERMS : C::FINE * C::CI;  // products per output lane and cycle
    // kernel-position (or flattened) passes, the last one padded
    static const int NF = FLAT ? (C::KP * C::CI + TERMS - 1) / TERMS : (C::KP + C::FINE - 1) / C::FINE;
    static const int KPP = FLAT ? C::KP : NF * C::FINE;       // positions held, padded
    static const int PACK = C::PACK > 0 ? C::PACK : 1;
};

/// Term `q` of pass `f` of group lane `gi`: the window value it multiplies (0 past a flattened
/// window's end; the kernel-position form's padded positions are zeros in `win`).
template <class C, class WIN>
inline typename C::in_t tap(const WIN& win, int f, int q, int gi) {
#pragma HLS INLINE
    typedef conv_shape<C> S;
    if (S::FLAT) {
        const int e = f * S::TERMS + q;
        return e < C::KP * C::CI ? win[e % C::KP][gi * C::CI + e / C::KP] : typename C::in_t(0);
    }
    return win[f * C::FINE + q / C::CI][gi * C::CI + q % C::CI];
}

/// Weight `lane` of word `word` (a word: the CG*CO*TERMS weights of one cycle).
template <class C, class WA>
inline typename C::wt_t weight(const WA& w, int word, int lane) {
#pragma HLS INLINE
    return table_at<typename C::wt_t, C::WB, C::CG * C::CO * conv_shape<C>::TERMS>(w, word, lane);
}

/// Bias `lane` of word `word` (a word: the CG*CO biases of one output pass), in the epilogue's type.
template <class C, class BA>
inline typename C::epi_t bias(const BA& b, int word, int lane) {
#pragma HLS INLINE
    return table_at<typename C::epi_t, C::BB, C::CG * C::CO>(b, word, lane);
}

/// The epilogue of one output value: bias-added accumulator -> requant (of output `channel`,
/// which a per-channel requant reads) -> skip add -> activation.
template <class C>
inline typename C::out_t epilogue(typename C::epi_t v, typename C::skip_t s, int channel) {
    if (C::rq_t::enabled) v = C::rq_t::apply(v, channel);
    if (C::HAS_SKIP) {
        v = v * C::ACC_MULT + widen<typename C::epi_t>(s) * C::SKIP_MULT;
        if (C::skip_rq_t::enabled) v = C::skip_rq_t::apply(v);
    }
    return (typename C::out_t)activate<C>(v);
}

/// One pass of the multiplier array on one pixel's window `win`: acc[o] += its products for
/// the OL output lanes, two lanes of a group sharing each DSP when C::PACK > 0.  With
/// SKIP_LAST, a group's unpaired last lane (odd CO) is left to the caller.
template <class C, bool SKIP_LAST, class WIN, class WA>
inline void mac_pass(typename C::acc_t acc[conv_shape<C>::OL], const WIN& win, const WA& w, int waddr, int f) {
#pragma HLS INLINE
    typedef conv_shape<C> S;
    const int TERMS = S::TERMS;
    for (int gi = 0; gi < C::CG; gi++) {
#pragma HLS UNROLL
        typename C::in_t x[S::TERMS];
        for (int q = 0; q < TERMS; q++) {
#pragma HLS UNROLL
            x[q] = tap<C>(win, f, q, gi);
        }
        for (int c = 0; c < C::CO; c += 2) {
#pragma HLS UNROLL
            const int o = gi * C::CO + c;
            const bool pair = c + 1 < C::CO;
            typename C::wt_t wa[S::TERMS], wb[S::TERMS];
            for (int q = 0; q < TERMS; q++) {
#pragma HLS UNROLL
                wa[q] = weight<C>(w, waddr, o * TERMS + q);
                wb[q] = pair ? weight<C>(w, waddr, (o + 1) * TERMS + q) : (typename C::wt_t)0;
            }
            if (C::PACK > 0 && pair) {
                dot_pair<S::PACK, S::TERMS>(acc[o], acc[o + 1], x, wa, wb);
            } else if (!(SKIP_LAST && !pair)) {
                dot<S::TERMS>(acc[o], x, wa);
                if (pair) dot<S::TERMS>(acc[o + 1], x, wb);
            }
        }
    }
}

/// The conv without temporal reuse (R = 1).
template <class C, class IN, class SKIP, class SIDE, class WA, class BA, class SWA, class SBA>
void conv_impl(hls::stream<IN>& in, SKIP& skip, hls::stream<pack<typename C::out_t, C::PL> >& out, SIDE& side,
               const WA& w, const BA& b, const SWA& sw, const SBA& sb) {
    typedef typename C::acc_t acc_t;
    typedef typename C::epi_t epi_t;
    typedef typename C::side_acc_t side_acc_t;
    typedef conv_shape<C> S;
    const int CG = C::CG, CI = C::CI, CO = C::CO, PL = C::PL;
    const int OL = S::OL, NG = S::NG, NK = S::NK, NJ = S::NJ, NF = S::NF, KPP = S::KPP;
    const int NMAIN = NJ * NF;
    const int NSJ = C::SIDE == SIDE_MERGED ? C::C_SIDE / CO : 0;
    const int NIT = NMAIN > NSJ ? NMAIN : NSJ;
    const int NSJ_MEM = NSJ > 0 ? NSJ : 1;
    // Every pass fills one result token exactly: no repacking (CO divides the channels).
    const bool DIRECT = PL == OL && C::COUT_G % CO == 0;

    acc_t psum[NJ][OL];
#pragma HLS ARRAY_RESHAPE variable=psum complete dim=2
    acc_t acc[OL];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    side_acc_t spsum[NSJ_MEM][CO];
#pragma HLS ARRAY_RESHAPE variable=spsum complete dim=2
    typename C::in_t win[S::KPP][CG * CI];  // the current window, in registers (padded positions 0)
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
    typename C::out_t pend[PL + CO];  // results waiting for a full token (padded passes)
#pragma HLS ARRAY_PARTITION variable=pend complete dim=1
    typename C::skip_t held[PL + CO];  // skip values waiting for their pass (padded passes)
#pragma HLS ARRAY_PARTITION variable=held complete dim=1
    int npend = 0, nheld = 0;

    int t = 0, k = 0, g = 0;
    for (int step = 0; step < C::OH * C::OW * NG * NK * NIT; step++) {
#pragma HLS PIPELINE II=1
        if (t == 0) {
            const IN token = in.read();
            for (int p = 0; p < KPP; p++) {
#pragma HLS UNROLL
                for (int l = 0; l < CG * CI; l++) {
#pragma HLS UNROLL
                    win[p][l] = p < C::KP ? elem(token, p, l) : typename C::in_t(0);
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
            const auto wrow = table_row(w, waddr);  // one read of the word per iteration (a stream_table reads its stream)
            for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                acc[o] = (f != 0) ? acc[o] : (k != 0 ? psum[j][o] : acc_t(0));
            }
            mac_pass<C, false>(acc, win, wrow, waddr, f);
            if (f == NF - 1) {
                if (k == NK - 1 && DIRECT) {
                    pack<typename C::out_t, PL> y;
                    pack<typename C::skip_t, PL> s;
                    if (C::HAS_SKIP) s = skip.read();
                    for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                        const epi_t v = widen<epi_t>(acc[o]) + bias<C>(b, g * NJ + j, o);
                        y.data[o] = epilogue<C>(v, s.data[o], (g * CG + o / CO) * C::COUT_G + j * CO + o % CO);
                    }
                    out.write(y);
                } else if (k == NK - 1) {
                    // Padded passes (CG = 1): the pass's valid channels, repacked into PL lanes.
                    const int rest = C::COUT_G - j * CO;
                    const int valid = rest < CO ? rest : CO;
                    if (C::HAS_SKIP && nheld < valid) {
                        const pack<typename C::skip_t, PL> s = skip.read();
                        for (int l = 0; l < PL; l++) {
#pragma HLS UNROLL
                            held[nheld + l] = s.data[l];
                        }
                        nheld += PL;
                    }
                    for (int o = 0; o < CO; o++) {
#pragma HLS UNROLL
                        const epi_t v = widen<epi_t>(acc[o]) + bias<C>(b, g * NJ + j, o);
                        if (o < valid) pend[npend + o] = epilogue<C>(v, held[o], g * C::COUT_G + j * CO + o);
                    }
                    if (C::HAS_SKIP) {
                        for (int l = 0; l < PL + CO; l++) {
#pragma HLS UNROLL
                            if (l + valid < PL + CO) held[l] = held[l + valid];
                        }
                        nheld -= valid;
                    }
                    npend += valid;
                    if (npend >= PL) {
                        pack<typename C::out_t, PL> y;
                        for (int l = 0; l < PL; l++) {
#pragma HLS UNROLL
                            y.data[l] = pend[l];
                        }
                        for (int l = 0; l < CO; l++) {
#pragma HLS UNROLL
                            pend[l] = pend[l + PL];
                        }
                        npend -= PL;
                        out.write(y);
                    }
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
                    sum += win[C::CENTRE][i] *
                           table_at<typename C::wt_t, C::WB, C::CO * C::CI>(sw, k * NSJ + t, o * CI + i);
                }
                if (k == NK - 1) {
                    epi_t v = widen<epi_t>(sum) + table_at<epi_t, C::BB, C::CO>(sb, t, o);
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

/// Read one window token into bank slot `dst` (padded positions 0); forward its centre pixel.
template <class C, class IN, class SIDE, class DST>
inline void take_window(hls::stream<IN>& in, SIDE& side, DST& dst) {
#pragma HLS INLINE
    const IN token = in.read();
    const int KPP = conv_shape<C>::KPP;
    for (int p = 0; p < KPP; p++) {
#pragma HLS UNROLL
        for (int l = 0; l < C::CG * C::CI; l++) {
#pragma HLS UNROLL
            dst[p][l] = p < C::KP ? elem(token, p, l) : typename C::in_t(0);
        }
    }
    if (C::SIDE == SIDE_FORWARD) {
        pack<typename C::side_t, C::CG * C::CI> centre;
        for (int l = 0; l < C::CG * C::CI; l++) {
#pragma HLS UNROLL
            centre.data[l] = dst[C::CENTRE][l];
        }
        side_write<C::SIDE, SIDE_FORWARD>::write(side, centre);
    }
}

/// Result token `t` of a reuse group: PL channels of one of its R pixels, through the epilogue.
/// `held` is the group's bank of biased accumulators.
template <class C, class HELD, class SKIP>
inline void drain_token(const HELD& held, int t, SKIP& skip, hls::stream<pack<typename C::out_t, C::PL> >& out) {
#pragma HLS INLINE
    typedef conv_shape<C> S;
    const int PL = C::PL, C_OUT = C::GROUPS * C::COUT_G;
    const int first = t * PL;
    const int r = first / C_OUT, c0 = first % C_OUT;
    pack<typename C::out_t, PL> y;
    pack<typename C::skip_t, PL> sk;
    if (C::HAS_SKIP) sk = skip.read();
    for (int l = 0; l < PL; l++) {
#pragma HLS UNROLL
        const int c = c0 + l;
        const typename C::sum_t v = held[r][(c / C::COUT_G) * S::NJ * C::CO + c % C::COUT_G];
        y.data[l] = epilogue<C>(widen<typename C::epi_t>(v), sk.data[l], c);
    }
    out.write(y);
}

/// The sizes of a reuse conv (R > 1) and the tokens its three processes pass each other.
template <class C>
struct reuse_shape {
    typedef conv_shape<C> S;
    static const int NIT = S::NJ * S::NF;                                    // passes of a window token
    static const int T = S::NG * S::NK;                                      // window tokens per pixel
    static const int STEPS = T * NIT > C::R * T ? T * NIT : C::R * T;         // cycles per group of R pixels
    static const int GROUPS = C::OH * C::OW / C::R;                          // groups per frame
    static const int C_OUT = C::GROUPS * C::COUT_G;
    static const int PIXEL = C::GROUPS * S::NJ * C::CO;  // accumulators of a pixel, padded passes included
    static const int DRAIN = C::R * C_OUT / C::PL;       // result tokens of a group
};

/// The windows of one group: T window tokens of each of its R pixels (padded positions 0).
template <class C>
struct reuse_windows {
    typename C::in_t data[C::R][reuse_shape<C>::T][conv_shape<C>::KPP][C::CG * C::CI];
};

/// The biased accumulators of one group: every channel of each of its R pixels.
template <class C>
struct reuse_held {
    typename C::sum_t data[C::R][reuse_shape<C>::PIXEL];
};

/// Gather: reads the R*T window tokens of each group (forwarding centre pixels) and writes the
/// group as one token.  It runs ahead of the MAC process by up to a group, so the next frame's
/// first group is read while this frame's last one is computed.
template <class C, class IN, class SIDE>
void reuse_gather(hls::stream<IN>& in, SIDE& side, hls::stream<reuse_windows<C> >& groups) {
    typedef reuse_shape<C> RS;
    const int RT = C::R * RS::T, GROUPS = RS::GROUPS;
    reuse_windows<C> g;  // the group being assembled (registers)
#pragma HLS ARRAY_PARTITION variable=g.data complete dim=0
    int s = 0;
    for (int step = 0; step < GROUPS * RT; step++) {
#pragma HLS PIPELINE II=1
        take_window<C>(in, side, g.data[s / RS::T][s % RS::T]);
        if (++s == RT) {
            s = 0;
            groups.write(g);
        }
    }
}

/// MAC: one II=1 loop of STEPS cycles per group.  It takes the group's windows at the group's
/// first step and writes the group's biased accumulators at its last, so it never waits on a
/// read or a drain within the frame; its interval is GROUPS*STEPS.
template <class C, class WA, class BA>
void reuse_mac(hls::stream<reuse_windows<C> >& groups, hls::stream<reuse_held<C> >& results, const WA& w,
               const BA& b) {
    typedef typename C::acc_t acc_t;
    typedef typename C::epi_t epi_t;
    typedef conv_shape<C> S;
    typedef reuse_shape<C> RS;
    const int R = C::R, CG = C::CG, CO = C::CO;
    const int OL = S::OL, NK = S::NK, NJ = S::NJ, NF = S::NF, TERMS = S::TERMS;
    const int NIT = RS::NIT, T = RS::T, STEPS = RS::STEPS, GROUPS = RS::GROUPS;

    reuse_windows<C> cur;  // the group computed on (registers)
#pragma HLS ARRAY_PARTITION variable=cur.data complete dim=0
    reuse_held<C> held;  // its biased accumulators, pass by pass
#pragma HLS ARRAY_PARTITION variable=held.data complete dim=0
    acc_t psum[NJ][R][OL];
#pragma HLS ARRAY_RESHAPE variable=psum complete dim=2
#pragma HLS ARRAY_RESHAPE variable=psum complete dim=3
    acc_t acc[R][OL];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0

    int s = 0;
    for (int step = 0; step < GROUPS * STEPS; step++) {
#pragma HLS PIPELINE II=1
        if (s == 0) cur = groups.read();
        if (s < T * NIT) {
            const int t = s % NIT, gk = s / NIT;
            const int k = gk % NK, g = gk / NK;
            const int j = t / NF, f = t % NF;
            const int waddr = (gk * NJ + j) * NF + f;
            const auto wrow = table_row(w, waddr);  // read once for the R pixels (a stream_table reads its stream)
            for (int r = 0; r < R; r++) {
#pragma HLS UNROLL
                for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                    acc[r][o] = (f != 0) ? acc[r][o] : (k != 0 ? psum[j][r][o] : acc_t(0));
                }
            }
            if (CO % 2 == 0 || C::PACK == 0) {
                for (int r = 0; r < R; r++) {
#pragma HLS UNROLL
                    mac_pass<C, false>(acc[r], cur.data[r][gk], wrow, waddr, f);
                }
            } else {
                // An odd CO: the lanes pair up within each pixel, and the last lane of each
                // group pairs across pixels (two pixels sharing its weights).
                for (int r = 0; r < R; r++) {
#pragma HLS UNROLL
                    mac_pass<C, true>(acc[r], cur.data[r][gk], wrow, waddr, f);
                }
                for (int gi = 0; gi < CG; gi++) {
#pragma HLS UNROLL
                    const int last = gi * CO + CO - 1;
                    typename C::wt_t wl[S::TERMS];
                    typename C::in_t xs[R][S::TERMS];
                    for (int q = 0; q < TERMS; q++) {
#pragma HLS UNROLL
                        wl[q] = weight<C>(wrow, waddr, last * TERMS + q);
                        for (int r = 0; r < R; r++) {
#pragma HLS UNROLL
                            xs[r][q] = tap<C>(cur.data[r][gk], f, q, gi);
                        }
                    }
                    for (int r = 0; r + 1 < R; r += 2) {
#pragma HLS UNROLL
                        dot_pair<S::PACK, S::TERMS>(acc[r][last], acc[r + 1][last], wl, xs[r], xs[r + 1]);
                    }
                    if (R % 2) dot<S::TERMS>(acc[R - 1][last], xs[R - 1], wl);
                }
            }
            if (f == NF - 1) {
                for (int r = 0; r < R; r++) {
#pragma HLS UNROLL
                    for (int o = 0; o < OL; o++) {
#pragma HLS UNROLL
                        if (k == NK - 1) {
                            const int gi = o / CO, oc = o % CO;
                            held.data[r][(g * CG + gi) * NJ * CO + j * CO + oc] =
                                (typename C::sum_t)(widen<epi_t>(acc[r][o]) + bias<C>(b, g * NJ + j, o));
                        } else {
                            psum[j][r][o] = acc[r][o];
                        }
                    }
                }
            }
        }
        if (++s == STEPS) {
            s = 0;
            results.write(held);
        }
    }
}

/// Drain: emits each group's DRAIN result tokens through the epilogue (reading the skip stream),
/// while the MAC process computes the next group.
template <class C, class SKIP>
void reuse_drain(hls::stream<reuse_held<C> >& results, SKIP& skip,
                 hls::stream<pack<typename C::out_t, C::PL> >& out) {
    typedef reuse_shape<C> RS;
    const int GROUPS = RS::GROUPS, DRAIN = RS::DRAIN;
    reuse_held<C> h;  // the group drained (registers)
#pragma HLS ARRAY_PARTITION variable=h.data complete dim=0
    int d = 0;
    for (int step = 0; step < GROUPS * DRAIN; step++) {
#pragma HLS PIPELINE II=1
        if (d == 0) h = results.read();
        drain_token<C>(h.data, d, skip, out);
        if (++d == DRAIN) d = 0;
    }
}

/// The conv with temporal reuse (R > 1): R pixels of a row share every weight word.
///
/// Three dataflow processes joined by one-deep FIFOs of whole groups: gather -> MAC -> drain.
/// Within a frame the three overlap as the two banks of a single loop would; across frames the
/// gather of the next frame's first group and the drain of this frame's last group overlap the
/// MAC process's neighbouring frames, so the kernel's interval is the MAC loop's, GROUPS*STEPS,
/// and R*T (the first group's windows) + DRAIN (the last group's results) are latency.  Banks:
/// three of windows (assembling, in the FIFO, computed on) and three of held accumulators
/// (summing, in the FIFO, draining), all registers (the cost model's REUSE_BANKS).  C simulation
/// runs the processes one after another over unbounded streams: the same tokens in the same order.
template <class C, class IN, class SKIP, class SIDE, class WA, class BA>
void conv_reuse_impl(hls::stream<IN>& in, SKIP& skip, hls::stream<pack<typename C::out_t, C::PL> >& out,
                     SIDE& side, const WA& w, const BA& b) {
#pragma HLS DATAFLOW
    static_assert(reuse_shape<C>::DRAIN <= reuse_shape<C>::STEPS,
                  "the result lanes must drain a group while the next one computes");
    hls::stream<reuse_windows<C> > groups("reuse_groups");
#pragma HLS STREAM variable=groups depth=1
    hls::stream<reuse_held<C> > results("reuse_results");
#pragma HLS STREAM variable=results depth=1
    reuse_gather<C>(in, side, groups);
    reuse_mac<C>(groups, results, w, b);
    reuse_drain<C>(results, skip, out);
}

/// Dispatch on temporal reuse (a merged side conv is never combined with reuse).
template <class C, class IN, class SKIP, class SIDE, class WA, class BA, class SWA, class SBA>
void conv_any(hls::stream<IN>& in, SKIP& skip, hls::stream<pack<typename C::out_t, C::PL> >& out, SIDE& side,
              const WA& w, const BA& b, const SWA& sw, const SBA& sb) {
    if (C::R > 1) {
        conv_reuse_impl<C>(in, skip, out, side, w, b);
    } else {
        conv_impl<C>(in, skip, out, side, w, b, sw, sb);
    }
}

}  // namespace detail

/// Plain convolution.
template <class C, class IN, class WA, class BA>
void conv(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::PL> >& out, const WA& w, const BA& b) {
    no_stream<pack<typename C::skip_t, C::PL> > skip;
    no_stream<pack<typename C::side_t, 1> > side;
    detail::conv_any<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution whose epilogue adds a residual stream (an add merged into the conv).
template <class C, class IN, class WA, class BA>
void conv_skip(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::PL> >& skip,
               hls::stream<pack<typename C::out_t, C::PL> >& out, const WA& w, const BA& b) {
    no_stream<pack<typename C::side_t, 1> > side;
    detail::conv_any<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution that forwards each window's centre pixel on a side stream.
template <class C, class IN, class WA, class BA>
void conv_fwd(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::PL> >& out,
              hls::stream<pack<typename C::side_t, C::CG * C::CI> >& side, const WA& w, const BA& b) {
    no_stream<pack<typename C::skip_t, C::PL> > skip;
    detail::conv_any<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Skip input and forwarded centre pixel.
template <class C, class IN, class WA, class BA>
void conv_skip_fwd(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::PL> >& skip,
                   hls::stream<pack<typename C::out_t, C::PL> >& out,
                   hls::stream<pack<typename C::side_t, C::CG * C::CI> >& side, const WA& w, const BA& b) {
    detail::conv_any<C>(in, skip, out, side, w, b, no_table(), no_table());
}

/// Convolution with a merged 1x1 conv of the centre pixel on the side stream.
template <class C, class IN, class WA, class BA, class SWA, class SBA>
void conv_merged(hls::stream<IN>& in, hls::stream<pack<typename C::out_t, C::PL> >& out,
                 hls::stream<pack<typename C::side_t, C::CO> >& side, const WA& w, const BA& b, const SWA& sw,
                 const SBA& sb) {
    no_stream<pack<typename C::skip_t, C::PL> > skip;
    detail::conv_impl<C>(in, skip, out, side, w, b, sw, sb);
}

/// Skip input and merged 1x1 side conv.
template <class C, class IN, class WA, class BA, class SWA, class SBA>
void conv_skip_merged(hls::stream<IN>& in, hls::stream<pack<typename C::skip_t, C::PL> >& skip,
                      hls::stream<pack<typename C::out_t, C::PL> >& out,
                      hls::stream<pack<typename C::side_t, C::CO> >& side, const WA& w, const BA& b,
                      const SWA& sw, const SBA& sb) {
    detail::conv_impl<C>(in, skip, out, side, w, b, sw, sb);
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_CONV_H
