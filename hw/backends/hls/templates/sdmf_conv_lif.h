// conv_lif: a KxK (K = 3, stride 1, zero padding 1) or pointwise (K = 1) convolution fused
// with its LIF (quant/ops.py: conv2d_acc / conv1d_acc, membrane_input, lif).
//
// In: H*W position words of T*CIN elements (IN_BITS), raster order; with CIN = 0 (every
// input channel pruned) the words are only counted. Out: H*W words of T*COUT spikes.
// Per output channel c and position p, over t: acc = sum W[c,i,ky,kx]*x[t,i,p'],
// I = acc*2^F + B[c] (B[c,p] with a per-token bias), V <- floor((V + I)/2), spike V >= theta[c].
// The frame is buffered whole (csim-first kernel; a line buffer is the synthesis refinement).
// Parallelism knobs of the planner (docs/generator.md): PO output channels, PI input channels
// and PK kernel rows (1 or K) per step become UNROLL factors of the c, i and ky loops, and the
// frame buffer is partitioned cyclically by PI on its channel dimension, the weight ROM
// [COUT][CIN][K*K] cyclically by PO and PI and in PK blocks of kernel rows (docs/hls.md,
// "Parallelism").
#ifndef SDMF_CONV_LIF_H
#define SDMF_CONV_LIF_H

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void conv_lif_read(hls::stream<typename C::in_t> &in,
                   ap_uint<C::IN_BITS> x[C::H * C::W][C::T][C::CIN ? C::CIN : 1]) {
    for (int p = 0; p < C::H * C::W; p++) {
        typename C::in_t word = in.read();
        for (int t = 0; t < C::T; t++)
            for (int i = 0; i < C::CIN; i++)
                x[p][t][i] = get<C::IN_BITS>(word, t * C::CIN + i);
    }
}

// acc[c, t] at position (y, xx) over the kernel window (zero padding). One step per kernel
// column: PI input channels times PK kernel rows (integer sums wrap modulo 2^ACC_BITS, so the
// order of the terms does not change the result).
template <class C, typename WT>
ap_int<C::ACC_BITS> conv_acc(const ap_uint<C::IN_BITS> x[C::H * C::W][C::T][C::CIN ? C::CIN : 1],
                             const WT weight[C::COUT ? C::COUT : 1][C::CIN ? C::CIN : 1][C::K * C::K],
                             int c, int t, int y, int xx) {
    const int R = C::K / 2;
    ap_int<C::ACC_BITS> acc = 0;
    for (int kx = 0; kx < C::K; kx++)
        for (int i = 0; i < C::CIN; i++) {
#pragma HLS UNROLL factor=C::PI
            for (int ky = 0; ky < C::K; ky++) {
#pragma HLS UNROLL factor=C::PK
                int sy = y + ky - R, sx = xx + kx - R;
                if (sy < 0 || sy >= C::H || sx < 0 || sx >= C::W) continue;
                ap_uint<C::IN_BITS> v = x[sy * C::W + sx][t][i];
                if (v != 0) acc += ap_int<C::W_BITS>(weight[c][i][ky * C::K + kx]) * v;
            }
        }
    return acc;
}

// weight[c][i][ky*K + kx], bias[c] (bias[c*H*W + p] per token), theta[c].
template <class C, typename WT, typename BT, typename TT>
void conv_lif(hls::stream<typename C::in_t> &in, hls::stream<typename C::out_t> &out,
              const WT weight[C::COUT ? C::COUT : 1][C::CIN ? C::CIN : 1][C::K * C::K],
              const BT *bias, const TT *theta) {
#pragma HLS ARRAY_PARTITION variable=weight cyclic factor=C::PO dim=1
#pragma HLS ARRAY_PARTITION variable=weight cyclic factor=C::PI dim=2
#pragma HLS ARRAY_PARTITION variable=weight block factor=C::PK dim=3
    static_assert(C::PO >= 1 && C::PI >= 1 && C::CIN % C::PI == 0, "PO >= 1, PI divides CIN");
    static_assert(C::PK == 1 || C::PK == C::K, "PK is 1 or K");
    static ap_uint<C::IN_BITS> x[C::H * C::W][C::T][C::CIN ? C::CIN : 1];
#pragma HLS ARRAY_PARTITION variable=x cyclic factor=C::PI dim=3
    conv_lif_read<C>(in, x);
    for (int y = 0; y < C::H; y++)
        for (int xx = 0; xx < C::W; xx++) {
            const int p = y * C::W + xx;
            typename C::out_t word = 0;
            for (int c = 0; c < C::COUT; c++) {
#pragma HLS UNROLL factor=C::PO
                ap_int<C::CUR_BITS> v = 0;
                const ap_int<C::CUR_BITS> b = ap_int<C::CUR_BITS>(bias[C::BIAS_PER_TOKEN ? c * C::H * C::W + p : c]);
                for (int t = 0; t < C::T; t++) {
                    ap_int<C::CUR_BITS> cur = ap_int<C::CUR_BITS>(conv_acc<C>(x, weight, c, t, y, xx));
                    cur = (cur << C::F) + b;
                    word[t * C::COUT + c] = lif_step<C::CUR_BITS>(v, cur, ap_int<C::CUR_BITS>(theta[c]));
                }
            }
            out.write(word);
        }
}

}  // namespace sdmf

#endif
