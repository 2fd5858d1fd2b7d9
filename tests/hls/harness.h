// Test harness of the HLS kernels: files of hex words (one per line) and of decimal integers.
#ifndef SDMF_TEST_HARNESS_H
#define SDMF_TEST_HARNESS_H

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sdmf_common.h"

static std::string arg_dir;

static FILE *open_file(const char *name, const char *mode) {
    std::string path = arg_dir + "/" + name;
    FILE *f = std::fopen(path.c_str(), mode);
    if (!f) {
        std::fprintf(stderr, "harness: cannot open %s\n", path.c_str());
        std::exit(2);
    }
    return f;
}

// Decimal integers of <dir>/<name> (at least one element, so an empty tensor gets a 0).
static std::vector<long long> read_ints(const char *name) {
    FILE *f = open_file(name, "r");
    std::vector<long long> out;
    long long v;
    while (std::fscanf(f, "%lld", &v) == 1) out.push_back(v);
    std::fclose(f);
    if (out.empty()) out.push_back(0);
    return out;
}

template <int W>
static ap_uint<W> parse_hex(const char *text) {
    ap_uint<W + 4> v = 0;
    for (const char *c = text; *c; c++) {
        int d = *c <= '9' ? *c - '0' : (*c | 0x20) - 'a' + 10;
        v = (v << 4) | ap_uint<W + 4>(d);
    }
    return ap_uint<W>(v);
}

// Hex words of <dir>/<name> into a stream of ap_uint<W> (or a type built from one).
template <typename T, int W>
static int read_words(const char *name, hls::stream<T> &s) {
    FILE *f = open_file(name, "r");
    static char line[1 << 16];
    int n = 0;
    while (std::fscanf(f, "%65535s", line) == 1) {
        s.write(T(parse_hex<W>(line)));
        n++;
    }
    std::fclose(f);
    return n;
}

// Every word of a stream into <dir>/<name>, hex, ceil(W/4) digits.
template <int W, typename T>
static void write_words(const char *name, hls::stream<T> &s) {
    FILE *f = open_file(name, "w");
    while (!s.empty()) {
        ap_uint<4 * ((W + 3) / 4)> v = ap_uint<W>(s.read());
        for (int d = (W + 3) / 4 - 1; d >= 0; d--)
            std::fputc("0123456789abcdef"[v.range(4 * d + 3, 4 * d).to_uint()], f);
        std::fputc('\n', f);
    }
    std::fclose(f);
}

#endif
