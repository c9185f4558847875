// fpga-opt HLS kernel library: token types, requantisation and activations.
//
// Every kernel streams "tokens": a `pack` of L channels of one pixel (a
// stream with L lanes) or a `window` of Kh*Kw positions x L lanes (the output
// of a sliding window).  Channel c of a pixel travels in token c / L, lane
// c % L, so a stream of H x W x C values carries H*W*C/L tokens in raster
// order, channels last: exactly the order `!dataflow.stream` defines.
//
// The arithmetic here is the bit-exact definition of `#dataflow.requant` and
// `#dataflow.act` (dialects/dataflow.py): C simulation must agree with fpga-sim
// bit for bit.  Synthesisable C++14: no dynamic memory, no recursion, static
// loop bounds.
#ifndef FPGA_OPT_TYPES_H
#define FPGA_OPT_TYPES_H

#include <ap_int.h>
#include <hls_stream.h>
#include <stdint.h>
#include <math.h>

namespace fpga_opt {

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

/// L values moving together: L channels of one pixel.
template <typename T, int L>
struct pack {
    T data[L];
};

/// A sliding window: P = Kh*Kw positions (row-major) of L lanes.
template <typename T, int P, int L>
struct window {
    T data[P][L];
};

/// Uniform element access: position `p` (always 0 for a pack), lane `l`.
template <typename T, int L>
inline T elem(const pack<T, L>& t, int p, int l) {
    (void)p;
    return t.data[l];
}

template <typename T, int P, int L>
inline T elem(const window<T, P, L>& t, int p, int l) {
    return t.data[p][l];
}

/// Stands in for an absent stream (no skip input, no side output): reads
/// return a default token and writes go nowhere.  Only ever touched under a
/// compile-time-false condition.
template <typename TOK>
struct no_stream {
    TOK read() { return TOK(); }
    template <typename X>
    void write(const X&) {}
};

/// Stands in for an absent bias or weight table: every entry reads 0.
struct no_table {
    struct row {
        int operator[](int) const { return 0; }
    };
    row operator[](int) const { return row(); }
};

// ---------------------------------------------------------------------------
// Weight tables (weights.cpp)
// ---------------------------------------------------------------------------
//
// An integer table is one byte string: value i of word a (LANES values a word) is the
// BYTES bytes from ((a * LANES + i) * BYTES), little-endian two's complement, so that
// g++ and Vitis read a table of millions of values as one string literal.  The top
// function reshapes it (ARRAY_RESHAPE cyclic, factor LANES * BYTES): one memory word per
// address, as a 2-D table would be.  Float tables stay float arrays [words][lanes].

/// Value `lane` of word `word` of an integer table of LANES values of BYTES bytes each.
template <typename T, int BYTES, int LANES, int N>
inline T table_at(const unsigned char (&t)[N], int word, int lane) {
#pragma HLS INLINE
    const long first = ((long)word * LANES + lane) * BYTES;
    const int SIZE = BYTES;
    ap_uint<8 * BYTES> bits = 0;
    for (int k = 0; k < SIZE; k++) {
#pragma HLS UNROLL
        bits(8 * k + 7, 8 * k) = t[first + k];
    }
    return (T)(ap_int<8 * BYTES>)bits;
}

/// Value `lane` of word `word` of a float table.
template <typename T, int BYTES, int LANES, int W, int L>
inline T table_at(const float (&t)[W][L], int word, int lane) {
#pragma HLS INLINE
    return (T)t[word][lane];
}

/// An absent table reads 0.
template <typename T, int BYTES, int LANES>
inline T table_at(const no_table&, int, int) {
    return (T)0;
}

/// One word of a table, taken once per use (`table_row`) and read lane by lane with
/// table_at(row, word, lane): a ROM's word is its address; a stream_table's (weights.h) is
/// the token read from its stream, so a kernel reads each streamed word exactly once.
template <typename TAB>
struct rom_row {
    const TAB& t;
    int word;
};

template <typename TAB>
inline rom_row<TAB> table_row(const TAB& t, int word) {
#pragma HLS INLINE
    return rom_row<TAB>{t, word};
}

template <typename T, int BYTES, int LANES, typename TAB>
inline T table_at(const rom_row<TAB>& r, int, int lane) {
#pragma HLS INLINE
    return table_at<T, BYTES, LANES>(r.t, r.word, lane);
}

// ---------------------------------------------------------------------------
// #dataflow.requant: clamp(round(((x + OFF) * M + FB) / 2^S) + Z, LO, HI), M and FB per channel or not
// ---------------------------------------------------------------------------

enum rounding_mode { FLOOR = 0, HALF_UP = 1, HALF_AWAY = 2, HALF_EVEN = 3 };

/// round(p / 2^S) with the given rounding; p >> k is an arithmetic shift.
template <int S, int R>
inline long long shift_round(long long p) {
    if (S == 0) return p;
    const int s = S > 0 ? S : 1;
    const long long half = 1LL << (s - 1);
    if (R == FLOOR) return p >> s;
    if (R == HALF_UP) return (p + half) >> s;
    if (R == HALF_AWAY) return p >= 0 ? ((p + half) >> s) : -((-p + half) >> s);
    // HALF_EVEN: floor, then round up above the half and at the half when odd.
    const long long q = p >> s;
    const long long r = p - q * (1LL << s);
    return (r > half || (r == half && (q & 1))) ? q + 1 : q;
}

/// A requantisation step.  The product (x + OFF) * M is exact: the lowering
/// checks that |x| < 2^32 (M < 2^31, |OFF| < 2^32 small), so it fits in 64 bits.
/// `apply(x, c)` takes the output channel, which only a per-channel requant reads.
template <long long M, int S, long long Z, long long LO, long long HI, int R, long long OFF = 0>
struct requant {
    static const bool enabled = true;
    static long long apply(long long x) {
        long long q = shift_round<S, R>((x + OFF) * M) + Z;
        return q < LO ? LO : (q > HI ? HI : q);
    }
    static long long apply(long long x, int) { return apply(x); }
    /// round((x + OFF) * M / (n * 2^S)) + Z, clamped: the division by n (an average's count of
    /// real pixels) is exact; the rounding sees 2*floor(2p/n) + sticky shifted by S + 2.
    static long long apply_over(long long x, int n) {
        const long long twice = 2 * (x + OFF) * M;
        long long q = twice / n;
        if (twice % n != 0 && twice < 0) q -= 1;  // floor, not C++'s truncation
        const long long sticky = (twice - q * n) != 0 ? 1 : 0;
        long long r = shift_round<S + 2, R>(2 * q + sticky) + Z;
        return r < LO ? LO : (r > HI ? HI : r);
    }
};

/// No fine bias: every channel adds 0 to the product.
struct no_fine_bias {
    static long long b(int) { return 0; }
};

/// A per-channel requantisation: channel c's multiplier is MT::m(c) (a ROM), the rest is shared;
/// FB::b(c) (a ROM, |b| < 2^31) is channel c's fine bias, added to the product before the shift.
template <class MT, int S, long long Z, long long LO, long long HI, int R, long long OFF = 0, class FB = no_fine_bias>
struct requant_pc {
    static const bool enabled = true;
    static long long apply(long long x, int c) {
        long long q = shift_round<S, R>((x + OFF) * MT::m(c) + FB::b(c)) + Z;
        return q < LO ? LO : (q > HI ? HI : q);
    }
};

/// No requantisation: the value passes unchanged (float datapaths, raw accumulators).
struct no_requant {
    static const bool enabled = false;
    template <typename X>
    static X apply(X x) {
        return x;
    }
    template <typename X>
    static X apply(X x, int) {
        return x;
    }
    template <typename X>
    static X apply_over(X x, int) {
        return x;
    }
};

// ---------------------------------------------------------------------------
// #dataflow.act: configured by CFG::ACT, ACT_LO, ACT_HI, ACT_ALPHA
// ---------------------------------------------------------------------------

enum activation_kind { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_CLIP = 3, ACT_LEAKY_RELU = 4, ACT_SIGMOID = 5 };

/// Integer activations (relu, clip with integer bounds) on the exact epilogue value.
template <int KIND, long long LO, long long HI>
inline long long activate_int(long long y) {
    if (KIND == ACT_RELU) return y < 0 ? 0 : y;
    if (KIND == ACT_CLIP) return y < LO ? LO : (y > HI ? HI : y);
    return y;
}

/// Float activations, computed in single precision.
template <int KIND>
inline float activate_float(float y, float lo, float hi, float alpha) {
    if (KIND == ACT_RELU) return y < 0.0f ? 0.0f : y;
    if (KIND == ACT_RELU6) return y < 0.0f ? 0.0f : (y > 6.0f ? 6.0f : y);
    if (KIND == ACT_CLIP) return y < lo ? lo : (y > hi ? hi : y);
    if (KIND == ACT_LEAKY_RELU) return y < 0.0f ? alpha * y : y;
    if (KIND == ACT_SIGMOID) return 1.0f / (1.0f + expf(-y));
    return y;
}

template <class C>
inline long long activate(long long y) {
    return activate_int<C::ACT, C::ACT_LO, C::ACT_HI>(y);
}

template <class C>
inline float activate(float y) {
    return activate_float<C::ACT>(y, (float)C::ACT_FLO, (float)C::ACT_FHI, (float)C::ACT_ALPHA);
}

// ---------------------------------------------------------------------------
// Dot products as the DSP slices compute them
// ---------------------------------------------------------------------------

/// s += sum_q a[q] * b[q]: one multiply per term, summed down a DSP cascade through
/// the post-adders (UG579), so no adder tree in the fabric.
template <int N, typename S, typename A, typename B>
inline void dot(S& s, const A a[N], const B b[N]) {
#pragma HLS INLINE
#pragma HLS EXPRESSION_BALANCE off
    const int TERMS = N;
    for (int q = 0; q < TERMS; q++) {
#pragma HLS UNROLL
        s += a[q] * b[q];
    }
}

/// Two dot products sharing one operand, two terms per DSP48E2 (WP486):
/// hi_sum += sum_q hi[q] * shared[q] and lo_sum += sum_q lo[q] * shared[q], computed as
/// ((hi << 18) + lo) * shared summed in cascade chains of at most K terms; each chain's
/// 48-bit sum splits into its two fields (the low one sign-extended from 18 bits).  Exact
/// while K * max|lo * shared| < 2^17: the lowering's PACK (backend/target/resources.py).
template <int K, int N, typename S, typename X, typename W>
inline void dot_pair(S& hi_sum, S& lo_sum, const X shared[N], const W hi[N], const W lo[N]) {
#pragma HLS INLINE
    const int TERMS = N, CHAIN = K;
    for (int c0 = 0; c0 < TERMS; c0 += CHAIN) {
#pragma HLS UNROLL
        ap_int<48> chain = 0;
        for (int d = 0; d < CHAIN; d++) {
#pragma HLS UNROLL
            const int q = c0 + d;
            if (q < TERMS) {
                const ap_int<27> packed = (ap_int<27>)hi[q] * 262144 + (ap_int<27>)lo[q];
                chain += packed * (ap_int<18>)shared[q];
            }
        }
        const ap_int<48> low = ((chain & 0x3FFFF) ^ 0x20000) - 0x20000;
        hi_sum += (S)((chain - low) >> 18);
        lo_sum += (S)low;
    }
}

// ---------------------------------------------------------------------------
// Conversions between stream elements and the epilogue's working type
// ---------------------------------------------------------------------------

/// An element as the epilogue's type: long long for integer datapaths, float for float ones.
template <typename E, typename T>
inline E widen(const T& x) {
    return (E)x;
}

/// The lowest value of an element type (max pooling pads and starts with it).
template <typename T>
struct lowest;
template <int W>
struct lowest<ap_int<W> > {
    static ap_int<W> value() {
        ap_int<W> v = 0;
        v[W - 1] = 1;
        return v;
    }
};
template <int W>
struct lowest<ap_uint<W> > {
    static ap_uint<W> value() { return 0; }
};
template <>
struct lowest<float> {
    static float value() { return -INFINITY; }
};

}  // namespace fpga_opt

#endif  // FPGA_OPT_TYPES_H
