// Early exits (ATHEENA): the confidence decision, the conditional buffer and the merge.
//
// One call of the top function is one sample.  The kernels of a stage after an
// exit run only for the samples that reach it: the conditional buffer of exit k
// writes one gate token (1 = the sample continues) per sample to every kernel
// of stage k+1, and each of those is called through a wrapper that reads its
// gate and skips the sample on 0 (the lowering adds the gates, the emitter the
// wrappers).  Every integer here is bit-exact with fpga-sim
// (backend/sim/exits.py, dialects/dataflow.py `ExitRule`).
//
// exit_decision CFG: in_t; N (logits); SHIFT, TABLE_LEN, LIMIT and TABLE(j),
//   the compiler-generated table and limit of `ExitDecisionOp.rule()`:
//     d_i = q_max - q_i; E_i = TABLE(d_i >> SHIFT) if (d_i >> SHIFT) < TABLE_LEN else 0;
//     S = sum E_i; leave <=> S <= LIMIT.
//   Two passes over the N logits at II=1 (max, then the sum); one decision out.
// conditional_buffer CFG: T, L, N (tokens per frame).  Reads the decision with
//   the frame's first token (one pipelined loop of N iterations, so N cycles a
//   frame), then the frame: forwarded when the decision is 0 (continue),
//   dropped when 1; writes the decision's complement to every gate output in
//   that first iteration.  Its input
//   stream is the buffer (depth set by the lowering from the op's depth).
// conditional_buffer_gated: the same for an exit after the first, which itself
//   runs only for the samples that reach it: a 0 on `reach` writes 0 gates.
// exit_merge CFG: T, IDX_T, N (values per result), EXIT, LATER.  Per sample:
//   the decision of exit EXIT; its result (always read), then, if the sample
//   continued, the later result (exit LATER); writes the chosen result and its
//   exit index.  exit_merge_chain takes the later exit's index from a stream
//   (a merge of three or more exits is a chain, innermost first).
#ifndef FPGA_OPT_EXITS_H
#define FPGA_OPT_EXITS_H

#include "types.h"

namespace fpga_opt {

/// One exit decision or gate: 1 bit per sample.
typedef pack<ap_uint<1>, 1> flag_t;

template <class C>
void exit_decision(hls::stream<pack<typename C::in_t, 1> >& in, hls::stream<flag_t>& out) {
    typedef typename C::in_t T;
    T buf[C::N];
    long long q_max = 0;
    for (int i = 0; i < C::N; i++) {
#pragma HLS PIPELINE II=1
        const T q = in.read().data[0];
        buf[i] = q;
        if (i == 0 || (long long)q > q_max) q_max = (long long)q;
    }
    unsigned long long sum = 0;
    for (int i = 0; i < C::N; i++) {
#pragma HLS PIPELINE II=1
        const long long j = (q_max - (long long)buf[i]) >> C::SHIFT;
        if (j < C::TABLE_LEN) sum += (unsigned long long)C::TABLE((int)j);
    }
    flag_t d;
    d.data[0] = sum <= (unsigned long long)C::LIMIT ? 1 : 0;
    out.write(d);
}

// exit_decision_float CFG: in_t (float); N (logits); LIMIT = 1 / threshold (a double).
//   leave <=> sum_i exp(z_i - z_max) <= LIMIT, in double, as fpga-sim's `float_exit_decision` (which sums
//   exactly rounded: the two can differ only for a sample within ~N ulps of the threshold).
template <class C>
void exit_decision_float(hls::stream<pack<typename C::in_t, 1> >& in, hls::stream<flag_t>& out) {
    typedef typename C::in_t T;
    T buf[C::N];
    double z_max = 0.0;
    for (int i = 0; i < C::N; i++) {
#pragma HLS PIPELINE II=1
        const T z = in.read().data[0];
        buf[i] = z;
        if (i == 0 || (double)z > z_max) z_max = (double)z;
    }
    double sum = 0.0;
    for (int i = 0; i < C::N; i++) {
#pragma HLS PIPELINE
        sum += exp((double)buf[i] - z_max);
    }
    flag_t d;
    d.data[0] = sum <= C::LIMIT ? 1 : 0;
    out.write(d);
}

template <class C, class... GATES>
void conditional_buffer(hls::stream<pack<typename C::T, C::L> >& in, hls::stream<flag_t>& decision,
                        hls::stream<pack<typename C::T, C::L> >& out, GATES&... gates) {
    bool leave = false;
    for (int t = 0; t < C::N; t++) {
#pragma HLS PIPELINE II=1
        if (t == 0) {  // the decision with the frame's first word: N cycles a frame, as fpga-sim times it
            leave = decision.read().data[0] != 0;
            flag_t go;
            go.data[0] = leave ? 0 : 1;
            const int written[] = {(gates.write(go), 0)...};
            (void)written;
        }
        const pack<typename C::T, C::L> x = in.read();
        if (!leave) out.write(x);
    }
}

template <class C, class... GATES>
void conditional_buffer_gated(hls::stream<pack<typename C::T, C::L> >& in, hls::stream<flag_t>& decision,
                              hls::stream<flag_t>& reach, hls::stream<pack<typename C::T, C::L> >& out,
                              GATES&... gates) {
    if (reach.read().data[0] == 0) {
        flag_t stop;
        stop.data[0] = 0;
        const int written[] = {(gates.write(stop), 0)...};
        (void)written;
        return;
    }
    conditional_buffer<C>(in, decision, out, gates...);
}

/// Pass one frame on from the exit's branch or from the later stages, as the decision says.
/// The early branch is read either way (it always computes), so its FIFO never fills.
/// Returns whether the frame left at this exit.
template <class C>
inline bool merge_frame(hls::stream<pack<typename C::T, 1> >& early, hls::stream<flag_t>& decision,
                        hls::stream<pack<typename C::T, 1> >& later, hls::stream<pack<typename C::T, 1> >& out) {
#pragma HLS INLINE
    const bool leave = decision.read().data[0] != 0;
    for (int i = 0; i < C::N; i++) {
#pragma HLS PIPELINE II=1
        const pack<typename C::T, 1> x = early.read();
        if (leave) {
            out.write(x);
        } else {
            out.write(later.read());
        }
    }
    return leave;
}

template <class C>
void exit_merge(hls::stream<pack<typename C::T, 1> >& early, hls::stream<flag_t>& decision,
                hls::stream<pack<typename C::T, 1> >& later, hls::stream<pack<typename C::T, 1> >& out,
                hls::stream<pack<typename C::IDX_T, 1> >& index) {
    const bool leave = merge_frame<C>(early, decision, later, out);
    pack<typename C::IDX_T, 1> k;
    k.data[0] = leave ? C::EXIT : C::LATER;
    index.write(k);
}

template <class C>
void exit_merge_chain(hls::stream<pack<typename C::T, 1> >& early, hls::stream<flag_t>& decision,
                      hls::stream<pack<typename C::T, 1> >& later, hls::stream<pack<typename C::IDX_T, 1> >& later_index,
                      hls::stream<pack<typename C::T, 1> >& out, hls::stream<pack<typename C::IDX_T, 1> >& index) {
    const bool leave = merge_frame<C>(early, decision, later, out);
    pack<typename C::IDX_T, 1> k;
    if (leave) {
        k.data[0] = C::EXIT;
    } else {
        k = later_index.read();
    }
    index.write(k);
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_EXITS_H
