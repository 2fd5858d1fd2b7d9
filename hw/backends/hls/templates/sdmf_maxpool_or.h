// maxpool: 3x3, stride 2, padding 1 on spike words = OR of the window (quant/ops.py:
// maxpool_or; padding contributes 0). In: H*W words; out: HO*WO words, raster order.
#ifndef SDMF_MAXPOOL_OR_H
#define SDMF_MAXPOOL_OR_H

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void maxpool_or(hls::stream<typename C::word_t> &in, hls::stream<typename C::word_t> &out) {
    static typename C::word_t frame[C::H * C::W];
    for (int p = 0; p < C::H * C::W; p++) frame[p] = in.read();
    for (int yo = 0; yo < C::HO; yo++)
        for (int xo = 0; xo < C::WO; xo++) {
            typename C::word_t acc = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int y = 2 * yo + dy, x = 2 * xo + dx;
                    if (y >= 0 && y < C::H && x >= 0 && x < C::W) acc |= frame[y * C::W + x];
                }
            out.write(acc);
        }
}

}  // namespace sdmf

#endif
