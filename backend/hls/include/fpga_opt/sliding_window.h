// Sliding window (line buffer): turns a raster stream into Kh x Kw windows.
//
// CFG: in_t; H, W, C (input), KH, KW, SH, SW, PT, PL, PB, PR (pads top, left,
// bottom, right), L (lanes), PAD_LOWEST (pad with the type's lowest value, as
// max pooling does), PAD_VALUE (otherwise the padding holds this: 0, or an
// asymmetric input's zero point, as convolutions and average pooling need).
//
// The loop walks the padded input, (H+PT+PB) x (W+PL+PR) x C/L steps, one
// token per cycle (PIPELINE II=1); padding positions are generated, not read.
// For each output pixel it emits C/L windows, one per channel group, each
// Kh*Kw positions x L lanes, in row-major position order.
//
// Storage (the layout the cost model assumes, backend/costs/blocks.py):
// * line buffer: (KH-1) rows of (W+PL+PR) * C/L words, each word the KH-1 rows
//   x L lanes of one column and channel group (ARRAY_RESHAPE: one memory);
// * window buffer: the previous KW-1 columns of every row, C/L words of
//   KH*(KW-1)*L values (ARRAY_RESHAPE: one memory);
// * the window itself: KH*KW*L registers (ARRAY_PARTITION complete).
//
// dilated_sliding_window (CFG adds DH, DW: the distance between taps) is the
// same walk over the window's extent, (DH*(KH-1)+1) x (DW*(KW-1)+1), which is
// what the line and window buffers hold; it emits the KH x KW taps of it.
#ifndef FPGA_OPT_SLIDING_WINDOW_H
#define FPGA_OPT_SLIDING_WINDOW_H

#include "types.h"

namespace fpga_opt {

// The walk shared by both windows: KH x KW taps, DH rows and DW columns apart.
template <class C, int DH, int DW>
void sliding_window_taps(hls::stream<pack<typename C::in_t, C::L> >& in,
                         hls::stream<window<typename C::in_t, C::KH * C::KW, C::L> >& out) {
#pragma HLS INLINE
    typedef typename C::in_t T;
    const int L = C::L, TH = C::KH, TW = C::KW;      // taps
    const int KH = DH * (TH - 1) + 1, KW = DW * (TW - 1) + 1;  // the window's extent
    const int CK = C::C / L;                        // channel groups per pixel
    const int HP = C::H + C::PT + C::PB;            // padded height
    const int WP = C::W + C::PL + C::PR;            // padded width
    const int OH = (HP - KH) / C::SH + 1;           // output rows (floor mode)
    const int OW = (WP - KW) / C::SW + 1;           // output columns
    const int LB_ROWS = KH > 1 ? KH - 1 : 1;        // line-buffer rows (>= 1 for C++)
    const int WB_COLS = KW > 1 ? KW - 1 : 1;        // window-buffer columns (>= 1 for C++)

    T line[WP * CK][LB_ROWS * L];
#pragma HLS ARRAY_RESHAPE variable=line complete dim=2
    T cols[CK][KH * WB_COLS * L];
#pragma HLS ARRAY_RESHAPE variable=cols complete dim=2

    int r = 0, c = 0, k = 0;
    for (int step = 0; step < HP * WP * CK; step++) {
#pragma HLS PIPELINE II=1
        const bool inside = r >= C::PT && r < C::PT + C::H && c >= C::PL && c < C::PL + C::W;
        pack<T, L> px;
        if (inside) {
            px = in.read();
        } else {
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                px.data[l] = C::PAD_LOWEST ? lowest<T>::value() : T(C::PAD_VALUE);
            }
        }
        // The column of this (c, k): KH-1 rows from the line buffer, then the new value.
        T col[KH][L];
#pragma HLS ARRAY_PARTITION variable=col complete dim=0
        const int addr = c * CK + k;
        for (int ky = 0; ky < KH; ky++) {
#pragma HLS UNROLL
            for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                col[ky][l] = (ky == KH - 1) ? px.data[l] : line[addr][ky * L + l];
            }
        }
        if (KH > 1) {
            for (int ky = 0; ky + 1 < KH; ky++) {
#pragma HLS UNROLL
                for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                    line[addr][ky * L + l] = col[ky + 1][l];
                }
            }
        }
        // The window of channel group k: KW-1 stored columns, then this column.
        T win[KH * KW][L];  // in registers
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
        for (int ky = 0; ky < KH; ky++) {
#pragma HLS UNROLL
            for (int kx = 0; kx < KW; kx++) {
#pragma HLS UNROLL
                for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                    win[ky * KW + kx][l] =
                        (kx == KW - 1) ? col[ky][l] : cols[k][(ky * WB_COLS + kx) * L + l];
                }
            }
        }
        if (KW > 1) {
            for (int ky = 0; ky < KH; ky++) {
#pragma HLS UNROLL
                for (int kx = 0; kx + 1 < KW; kx++) {
#pragma HLS UNROLL
                    for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                        cols[k][(ky * WB_COLS + kx) * L + l] = win[ky * KW + kx + 1][l];
                    }
                }
            }
        }
        // Emit when (r, c) is the bottom-right corner of a strided window.
        const int top = r - (KH - 1), left = c - (KW - 1);
        if (top >= 0 && left >= 0 && top % C::SH == 0 && left % C::SW == 0 && top / C::SH < OH &&
            left / C::SW < OW) {
            window<T, TH * TW, L> token;
            for (int ty = 0; ty < TH; ty++) {
#pragma HLS UNROLL
                for (int tx = 0; tx < TW; tx++) {
#pragma HLS UNROLL
                    for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
                        token.data[ty * TW + tx][l] = win[ty * DH * KW + tx * DW][l];
                    }
                }
            }
            out.write(token);
        }
        // Advance (k, c, r) without division.
        if (++k == CK) {
            k = 0;
            if (++c == WP) {
                c = 0;
                ++r;
            }
        }
    }
}

template <class C>
void sliding_window(hls::stream<pack<typename C::in_t, C::L> >& in,
                    hls::stream<window<typename C::in_t, C::KH * C::KW, C::L> >& out) {
    sliding_window_taps<C, 1, 1>(in, out);
}

template <class C>
void dilated_sliding_window(hls::stream<pack<typename C::in_t, C::L> >& in,
                            hls::stream<window<typename C::in_t, C::KH * C::KW, C::L> >& out) {
    sliding_window_taps<C, C::DH, C::DW>(in, out);
}

}  // namespace fpga_opt

#endif  // FPGA_OPT_SLIDING_WINDOW_H
