// Off-chip weights: a DRAM burst reader and an OVSF weights generator, each writing a layer's
// weight words on a stream, and `stream_table`, which lets conv.h / linear.h read that stream
// where they would read a ROM (one word per access, in the order the kernel reads its table).
//
// dram_read CFG: T (element), WORDS, LANES (a word), READS (passes over the table per frame).
//   `mem` is the table in DRAM (an m_axi port), words in the layer's read order, so each pass is
//   one sequential sweep: Vitis HLS infers bursts from the pipelined loop.
//
// ovsf_generate CFG: T (weight type), WORDS, LANES, READS; the layer's table layout: NDIM, VIEW(d),
//   PERM(d) (the table is W.reshape(VIEW).transpose(PERM).reshape(WORDS, LANES)); the source shape:
//   CIN (input channels per filter), KP (kernel positions); BLOCK (channels per block), K (kept
//   codes), LOG_L (log2 of the code length), SHIFT (the coefficients' shift e), LO, HI (weight range).
//   Tables: coef[row][k], code[row][k] with row = filter * (CIN / BLOCK) + channel / BLOCK.
//   Weight = clamp(round_half_up(sum_k (-1)^popcount(i & code_k) * coef_k * 2^SHIFT / 2^LOG_L))
//   with i = (channel % BLOCK) * KP + position: dialects/ovsf.py, bit for bit.
#ifndef FPGA_OPT_WEIGHTS_H
#define FPGA_OPT_WEIGHTS_H

#include "types.h"

namespace fpga_opt {

/// A weight table read from a stream: each access returns the next word (the kernel reads every
/// word it needs exactly once per use, in table order, so the stream carries the table as read).
template <typename TOK>
struct table_word {
    TOK token;
    auto operator[](int i) const -> decltype(token.data[0]) { return token.data[i]; }
};

template <typename TOK>
struct stream_table {
    hls::stream<TOK>& s;
    explicit stream_table(hls::stream<TOK>& stream) : s(stream) {}
    table_word<TOK> operator[](int) const {
        table_word<TOK> w;
        w.token = s.read();
        return w;
    }
};

/// The word a kernel multiplies this cycle: the next token of the stream (types.h, table_row).
template <typename TOK>
inline table_word<TOK> table_row(const stream_table<TOK>& t, int word) {
    return t[word];
}

template <typename T, int BYTES, int LANES, typename TOK>
inline T table_at(const table_word<TOK>& r, int, int lane) {
    return (T)r[lane];
}

template <typename TOK>
stream_table<TOK> from_stream(hls::stream<TOK>& s) {
    return stream_table<TOK>(s);
}

template <class C, class MEM>
void dram_read(hls::stream<pack<typename C::T, C::LANES> >& out, const MEM& mem) {
    for (int r = 0; r < C::READS; r++) {
        for (int a = 0; a < C::WORDS; a++) {
#pragma HLS PIPELINE II=1
            pack<typename C::T, C::LANES> word;
            for (int l = 0; l < C::LANES; l++) {
#pragma HLS UNROLL
                word.data[l] = mem[(long)a * C::LANES + l];
            }
            out.write(word);
        }
    }
}

namespace detail {

/// Parity of the bits of x (a position AND a code index: both < L <= 2^32), a bounded loop for synthesis.
inline int parity(long long x) {
    int p = 0;
    for (int b = 0; b < 32; b++) {
#pragma HLS UNROLL
        p ^= (int)((x >> b) & 1);
    }
    return p;
}

/// Source index (filter * CIN + channel) * KP + position of lane `l` of word `a` of the table.
template <class C>
long long source_index(long long a, int l) {
    long long flat = a * C::LANES + l;
    long long idx_p[16];
    for (int d = C::NDIM - 1; d >= 0; d--) {
        const long long dim = C::VIEW(C::PERM(d));
        idx_p[d] = flat % dim;
        flat /= dim;
    }
    long long idx_v[16];
    for (int d = 0; d < C::NDIM; d++) idx_v[C::PERM(d)] = idx_p[d];
    long long s = 0;
    for (int d = 0; d < C::NDIM; d++) s = s * C::VIEW(d) + idx_v[d];
    return s;
}

/// Entry [r][k] of a table of rows of N: an on-chip 2-D array, or a DRAM table (an m_axi pointer, rows
/// laid out one after another, as the emitter writes dram_<name>.bin).
template <typename T, int R, int N>
inline T table_at(const T (&table)[R][N], long long r, long long k, long long) {
    return table[r][k];
}
template <typename T>
inline T table_at(const T* table, long long r, long long k, long long n) {
    return table[r * n + k];
}

}  // namespace detail

template <class C, class CA, class KA>
void ovsf_generate(hls::stream<pack<typename C::T, C::LANES> >& out, const CA& coef, const KA& code) {
    static_assert(C::LOG_L <= 32, "ovsf_generate: codes longer than 2^32 (detail::parity covers 32 bits)");
    for (int r = 0; r < C::READS; r++) {
        for (int a = 0; a < C::WORDS; a++) {
#pragma HLS PIPELINE II=1
            pack<typename C::T, C::LANES> word;
            for (int l = 0; l < C::LANES; l++) {
#pragma HLS UNROLL
                const long long s = detail::source_index<C>(a, l);
                const long long filter = s / ((long long)C::CIN * C::KP);
                const long long rest = s % ((long long)C::CIN * C::KP);
                const long long channel = rest / C::KP, position = rest % C::KP;
                const long long row = filter * (C::CIN / C::BLOCK) + channel / C::BLOCK;
                const long long i = (channel % C::BLOCK) * C::KP + position;
                long long acc = 0;
                for (int k = 0; k < C::K; k++) {
                    const long long q = detail::table_at(coef, row, k, C::K);
                    acc += detail::parity(i & (long long)detail::table_at(code, row, k, C::K)) ? -q : q;
                }
                const int sh = C::LOG_L - C::SHIFT;
                long long w = sh >= 1 ? (acc + (1LL << (sh - 1))) >> sh : acc << (-sh);
                if (w < C::LO) w = C::LO;
                if (w > C::HI) w = C::HI;
                word.data[l] = (typename C::T)w;
            }
            out.write(word);
        }
    }
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_WEIGHTS_H
