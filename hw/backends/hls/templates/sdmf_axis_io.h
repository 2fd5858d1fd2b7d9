// input: 64-bit AXI4-Stream beats -> position words; output: head words -> beats
// (sdmf.device.stream: pack_input / decode_output, docs/hardware.md "Input stream layout",
// "Output stream"). WORD <= 64: P = 64 / WORD positions per beat, position p at bits
// [(p mod P)*WORD +: WORD] of beat p / P; WORD > 64: ceil(WORD / 64) beats per position, least
// significant first. TLAST must be on the sample's last beat only (else tlast_error is set).
// Output: K logits sign-extended to 64 bits, then the class (zero-extended) with TLAST.
#ifndef SDMF_AXIS_IO_H
#define SDMF_AXIS_IO_H

#include <stdint.h>

#include "sdmf_common.h"

namespace sdmf {

template <class C>
void axis_unpack(hls::stream<beat_t> &in, hls::stream<typename C::word_t> &out,
                 ap_uint<1> &tlast_error) {
    const int PER = C::WORD <= 64 ? 64 / C::WORD : 1;
    const int NB = (C::WORD + 63) / 64;
    const int P = C::POSITIONS;
    const int BEATS = C::WORD <= 64 ? (P + PER - 1) / PER : P * NB;
    ap_uint<1> err = 0;
    ap_uint<64 * NB> acc = 0;
    for (int b = 0; b < BEATS; b++) {
        beat_t beat = in.read();
        if (beat.last != (b == BEATS - 1 ? 1 : 0)) err = 1;
        if (C::WORD <= 64) {
            for (int i = 0; i < PER && b * PER + i < P; i++)
                out.write(typename C::word_t(beat.data.range(i * C::WORD + C::WORD - 1,
                                                             i * C::WORD)));
        } else {
            acc.range((b % NB) * 64 + 63, (b % NB) * 64) = beat.data;
            if (b % NB == NB - 1) out.write(typename C::word_t(acc.range(C::WORD - 1, 0)));
        }
    }
    tlast_error = err;
}

template <class C>
void axis_logits(hls::stream<typename C::word_t> &in, hls::stream<beat_t> &out) {
    for (int k = 0; k <= C::K; k++) {
        typename C::word_t w = in.read();
        beat_t beat;
        if (k < C::K) beat.data = ap_uint<64>(ap_int<64>(w));   // sign extension
        else beat.data = ap_uint<64>(ap_uint<C::LOGIT_BITS>(w));  // the class, zero-extended
        beat.keep = 0xFF;
        beat.strb = 0xFF;
        beat.last = k == C::K;
        out.write(beat);
    }
}

}  // namespace sdmf

#endif
