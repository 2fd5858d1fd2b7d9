// head: global sum pooling over tokens and time, linear classifier, arg-max (quant/ops.py:
// head_logits, predict; ties go to the lowest class index). In: N residual words of T*D
// elements (R_BITS). Out: K logit words, then the class word (LOGIT_BITS each).
#ifndef SDMF_HEAD_ARGMAX_H
#define SDMF_HEAD_ARGMAX_H

#include "sdmf_common.h"

namespace sdmf {

// weight[k*D + d], bias[k].
template <class C, typename WT, typename BT>
void head_argmax(hls::stream<typename C::in_t> &in, hls::stream<typename C::out_t> &out,
                 const WT *weight, const BT *bias) {
    static ap_uint<C::POOL_BITS> pool[C::D];
    for (int d = 0; d < C::D; d++) pool[d] = 0;
    for (int n = 0; n < C::N; n++) {
        typename C::in_t word = in.read();
        for (int t = 0; t < C::T; t++)
            for (int d = 0; d < C::D; d++) pool[d] += get<C::R_BITS>(word, t * C::D + d);
    }
    ap_int<C::LOGIT_BITS> best = 0;
    int cls = 0;
    for (int k = 0; k < C::K; k++) {
        ap_int<C::LOGIT_BITS> dot = 0;
        for (int d = 0; d < C::D; d++) dot += ap_int<C::W_BITS>(weight[k * C::D + d]) * pool[d];
        ap_int<C::LOGIT_BITS> logit = (dot << C::SHIFT) + ap_int<C::LOGIT_BITS>(bias[k]);
        if (k == 0 || logit > best) {
            best = logit;
            cls = k;
        }
        out.write(typename C::out_t(logit));
    }
    out.write(typename C::out_t(cls));
}

}  // namespace sdmf

#endif
