// fork: one stream to the M streams of an array, word by word (a word leaves when every
// consumer has room); fifo: a copy into a stream whose depth (set in the top) is the buffer.
#ifndef SDMF_STREAM_OPS_H
#define SDMF_STREAM_OPS_H

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void fork(hls::stream<typename C::word_t> &in, hls::stream<typename C::word_t> out[C::M]) {
    for (int p = 0; p < C::POSITIONS; p++) {
        typename C::word_t w = in.read();
        for (int m = 0; m < C::M; m++) {
#pragma HLS UNROLL
            out[m].write(w);
        }
    }
}

template <class C>
void fifo(hls::stream<typename C::word_t> &in, hls::stream<typename C::word_t> &out) {
    for (int p = 0; p < C::POSITIONS; p++) out.write(in.read());
}

}  // namespace sdmf

#endif
