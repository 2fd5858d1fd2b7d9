// C testbench of a generated design (C simulation with g++, and Vitis HLS csim/cosim).
//
//   sdmf_tb RUN_DIR SAMPLES BEATS_PER_SAMPLE OUTPUT_BEATS
//
// Reads RUN_DIR/input.hex (SAMPLES * BEATS_PER_SAMPLE 64-bit beats, one hex word a line,
// sdmf.device.stream.pack_input), runs sdmf_top once per sample with TLAST on each sample's
// last beat, and writes RUN_DIR/output.txt ("sample data last" per output beat, data in hex).
// The core has no registers (the RTL shell around it holds them, docs/hls.md). With
// -DSDMF_TRACE the taps append to RUN_DIR/trace/<tap>.hex. If RUN_DIR/expected.txt exists
// (golden output beats in the output.txt format) the outputs are compared with it and the
// exit status is 1 on any difference (the cosimulation check). Exit 2: bad arguments/files.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sdmf_top.h"
#include "sdmf_trace.h"

#ifdef SDMF_TRACE
const char *sdmf::trace_dir = ".";
#endif

static std::vector<uint64_t> read_hex(const std::string &path) {
    std::vector<uint64_t> out;
    FILE *f = std::fopen(path.c_str(), "r");
    if (!f) {
        std::fprintf(stderr, "sdmf_tb: cannot read %s\n", path.c_str());
        std::exit(2);
    }
    char line[64];
    while (std::fscanf(f, "%63s", line) == 1) out.push_back(std::strtoull(line, nullptr, 16));
    std::fclose(f);
    return out;
}

static int compare(const std::string &got, const std::string &want) {
    FILE *a = std::fopen(got.c_str(), "r");
    FILE *b = std::fopen(want.c_str(), "r");
    if (!b) { if (a) std::fclose(a); return 0; }    // no golden vectors: nothing to compare
    int bad = 0;
    char la[128], lb[128];
    for (int n = 0;; n++) {
        char *ra = a ? std::fgets(la, sizeof la, a) : nullptr;
        char *rb = std::fgets(lb, sizeof lb, b);
        if (!ra && !rb) break;
        if (!ra || !rb || std::strcmp(la, lb) != 0) {
            std::fprintf(stderr, "sdmf_tb: output line %d differs from expected.txt\n", n);
            bad = 1;
            break;
        }
    }
    if (a) std::fclose(a);
    std::fclose(b);
    return bad;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s RUN_DIR SAMPLES BEATS_PER_SAMPLE OUTPUT_BEATS\n", argv[0]);
        return 2;
    }
    std::string run = argv[1];
    long samples = std::atol(argv[2]), per = std::atol(argv[3]), outs = std::atol(argv[4]);
#ifdef SDMF_TRACE
    sdmf::trace_dir = argv[1];
#endif
    std::vector<uint64_t> beats = read_hex(run + "/input.hex");
    if (samples < 1 || per < 1 || (long)beats.size() != samples * per) {
        std::fprintf(stderr, "sdmf_tb: input.hex holds %zu beats, expected %ld x %ld\n",
                     beats.size(), samples, per);
        return 2;
    }
    FILE *fo = std::fopen((run + "/output.txt").c_str(), "w");
    if (!fo) {
        std::fprintf(stderr, "sdmf_tb: cannot write into %s\n", run.c_str());
        return 2;
    }
    for (long s = 0; s < samples; s++) {
        hls::stream<sdmf::beat_t> in("s_axis"), out("m_axis");
        for (long b = 0; b < per; b++) {
            sdmf::beat_t beat;
            beat.data = beats[s * per + b];
            beat.keep = 0xFF;
            beat.strb = 0xFF;
            beat.last = b == per - 1;
            in.write(beat);
        }
        sdmf_top(in, out);
        for (long b = 0; !out.empty(); b++) {
            sdmf::beat_t beat = out.read();
            std::fprintf(fo, "%ld %016" PRIx64 " %d\n", s, (uint64_t)beat.data.to_uint64(),
                         (int)beat.last);
            if (b >= outs) std::fprintf(stderr, "sdmf_tb: sample %ld: extra output beat\n", s);
        }
        if (!in.empty()) std::fprintf(stderr, "sdmf_tb: sample %ld left input beats\n", s);
    }
    std::fclose(fo);
    return compare(run + "/output.txt", run + "/expected.txt");
}
