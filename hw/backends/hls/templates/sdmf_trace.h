// C-simulation-only stream taps (compiled with -DSDMF_TRACE): after a producer's call, the
// top logs every word of its output stream to <trace_dir>/<file> as one hex line (the
// RTL trace format: ceil(bits/4) digits) and puts the words back. C simulation runs the
// dataflow processes in program order, so the stream then holds the producer's whole
// output. Without SDMF_TRACE (synthesis) nothing is defined.
#ifndef SDMF_TRACE_H
#define SDMF_TRACE_H

#ifdef SDMF_TRACE
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sdmf_common.h"

namespace sdmf {

extern const char *trace_dir;   // defined by the testbench

template <int W>
void trace_hex(FILE *f, const ap_uint<W> &word) {
    const int digits = (W + 3) / 4;
    ap_uint<4 * ((W + 3) / 4)> wide = word;
    for (int d = digits - 1; d >= 0; d--)
        std::fputc("0123456789abcdef"[wide.range(4 * d + 3, 4 * d).to_uint()], f);
    std::fputc('\n', f);
}

template <int W>
void trace(hls::stream<ap_uint<W> > &s, int positions, const char *file) {
    std::string path = std::string(trace_dir) + "/" + file;
    FILE *f = std::fopen(path.c_str(), "a");
    if (!f) {
        std::fprintf(stderr, "sdmf trace: cannot open %s\n", path.c_str());
        std::exit(3);
    }
    for (int p = 0; p < positions; p++) {
        ap_uint<W> w = s.read();
        trace_hex(f, w);
        s.write(w);
    }
    std::fclose(f);
}

}  // namespace sdmf
#endif

#endif
