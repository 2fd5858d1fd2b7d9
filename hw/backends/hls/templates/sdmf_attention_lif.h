// attention_lif: spiking self-attention fused with its LIF (quant/ops.py: attention, lif;
// docs/integer-semantics.md, "Attention").
//
// Ports as the RTL unit takes them: the N k and v tokens first (phase 1), then the N q
// tokens (phase 2). Per time step t and head h: KV[c][j] = sum_m k[m][c] * v[m][j] over the
// head's q.k channels c and v channels j, then A[n][j] = sum_c q[n][c] * KV[c][j] (= q (k^T v)),
// and the attention LIF on I = A*2^F with theta = 2^(F+1) (bias 0). A head with v channels
// but no q.k channel gives A = 0. Out: N words of T*CV spikes.
#ifndef SDMF_ATTENTION_LIF_H
#define SDMF_ATTENTION_LIF_H

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void attention_read(hls::stream<typename C::q_t> &q_in, hls::stream<typename C::k_t> &k_in,
                    hls::stream<typename C::v_t> &v_in, ap_uint<1> q[C::N][C::T][C::CQK],
                    ap_uint<1> k[C::N][C::T][C::CQK], ap_uint<1> v[C::N][C::T][C::CV]) {
    for (int n = 0; n < C::N; n++) {
        typename C::k_t kw = k_in.read();
        typename C::v_t vw = v_in.read();
        for (int t = 0; t < C::T; t++) {
            for (int c = 0; c < C::CQK; c++) k[n][t][c] = kw[t * C::CQK + c];
            for (int j = 0; j < C::CV; j++) v[n][t][j] = vw[t * C::CV + j];
        }
    }
    for (int n = 0; n < C::N; n++) {
        typename C::q_t qw = q_in.read();
        for (int t = 0; t < C::T; t++)
            for (int c = 0; c < C::CQK; c++) q[n][t][c] = qw[t * C::CQK + c];
    }
}

// A[n][j] of time step t (head tags: head_qk[c], head_v[j]).
template <class C>
void attention_products(const ap_uint<1> q[C::N][C::T][C::CQK],
                        const ap_uint<1> k[C::N][C::T][C::CQK],
                        const ap_uint<1> v[C::N][C::T][C::CV], const int *head_qk,
                        const int *head_v, int t, ap_uint<C::A_BITS> a[C::N][C::CV]) {
    static ap_uint<C::A_BITS> kv[C::CQK][C::CV];
    for (int c = 0; c < C::CQK; c++)
        for (int j = 0; j < C::CV; j++) {
            ap_uint<C::A_BITS> s = 0;
            if (head_qk[c] == head_v[j])
                for (int m = 0; m < C::N; m++) s += k[m][t][c] & v[m][t][j];
            kv[c][j] = s;
        }
    for (int n = 0; n < C::N; n++)
        for (int j = 0; j < C::CV; j++) {
            ap_uint<C::A_BITS> s = 0;
            for (int c = 0; c < C::CQK; c++)
                if (q[n][t][c] && head_qk[c] == head_v[j]) s += kv[c][j];
            a[n][j] = s;
        }
}

template <class C>
void attention_lif(hls::stream<typename C::q_t> &q_in, hls::stream<typename C::k_t> &k_in,
                   hls::stream<typename C::v_t> &v_in, hls::stream<typename C::out_t> &out,
                   const int *head_qk, const int *head_v) {
    static ap_uint<1> q[C::N][C::T][C::CQK], k[C::N][C::T][C::CQK], v[C::N][C::T][C::CV];
    static ap_uint<C::A_BITS> a[C::N][C::CV];
    static ap_int<C::CUR_BITS> mem[C::N][C::CV];
    static typename C::out_t words[C::N];
    attention_read<C>(q_in, k_in, v_in, q, k, v);
    const ap_int<C::CUR_BITS> theta = ap_int<C::CUR_BITS>(1) << (C::F + 1);
    for (int n = 0; n < C::N; n++) {
        words[n] = 0;
        for (int j = 0; j < C::CV; j++) mem[n][j] = 0;
    }
    for (int t = 0; t < C::T; t++) {
        attention_products<C>(q, k, v, head_qk, head_v, t, a);
        for (int n = 0; n < C::N; n++)
            for (int j = 0; j < C::CV; j++) {
                ap_int<C::CUR_BITS> cur = ap_int<C::CUR_BITS>(a[n][j]) << C::F;
                words[n][t * C::CV + j] = lif_step<C::CUR_BITS>(mem[n][j], cur, theta);
            }
    }
    for (int n = 0; n < C::N; n++) out.write(words[n]);
}

}  // namespace sdmf

#endif
