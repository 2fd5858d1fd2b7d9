// residual_add: R'[t][d] = R[t][d] + s[t][j] where d = channels[j], else R[t][d]
// (quant/ops.py: residual_add). Ports r (residual words, T*D elements of R_IN_BITS) and s
// (branch spikes, T*CB; with CB = 0 only counted), in lockstep; out: T*D of R_OUT_BITS.
// branch[d] is the branch channel added into stream channel d, or -1.
#ifndef SDMF_RESIDUAL_ADD_H
#define SDMF_RESIDUAL_ADD_H

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void residual_add(hls::stream<typename C::r_t> &r_in, hls::stream<typename C::s_t> &s_in,
                  hls::stream<typename C::out_t> &out, const int *branch) {
    for (int p = 0; p < C::POSITIONS; p++) {
        typename C::r_t r = r_in.read();
        typename C::s_t s = s_in.read();
        typename C::out_t o = 0;
        for (int t = 0; t < C::T; t++)
            for (int d = 0; d < C::D; d++) {
                ap_uint<C::R_OUT_BITS> sum = get<C::R_IN_BITS>(r, t * C::D + d);
                if (C::CB > 0 && branch[d] >= 0) sum += s[t * (C::CB ? C::CB : 1) + branch[d]];
                set<C::R_OUT_BITS>(o, t * C::D + d, sum);
            }
        out.write(o);
    }
}

}  // namespace sdmf

#endif
