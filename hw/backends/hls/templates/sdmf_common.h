// SDMFormer HLS kernels: shared types and helpers (generated projects include this first).
//
// Stream words follow the generator's layout (docs/hardware.md, "Conventions shared by all
// units"): one word per position, element t*C + c at bits [(t*C + c)*BITS +: BITS].
// The arithmetic of every kernel is the contract's (quant/ops.py, docs/integer-semantics.md);
// datapath widths are the hardware graph's (AssignWidths). Two's-complement wrap-around
// inside a kernel is harmless: every final value fits its width by construction, and only
// the LIF's halving needs the one extra bit it gets here.
#ifndef SDMF_COMMON_H
#define SDMF_COMMON_H

#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif
#include <ap_int.h>
#include <hls_stream.h>

// One 64-bit AXI4-Stream beat. Vitis HLS gives an hls::stream port TKEEP/TSTRB/TLAST only
// for its ap_axiu/hls::axis types (UG1399, "AXI4-Stream Interfaces without Side-Channels";
// another struct is packed into TDATA), so Vitis builds use ap_axiu; C simulation with
// headers that lack ap_axi_sdata.h (hls4ml's) uses a struct with the same members.
#if defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#define SDMF_HAVE_AXI_SDATA 1
#endif
#endif
#ifdef SDMF_HAVE_AXI_SDATA
#include <ap_axi_sdata.h>
namespace sdmf {
typedef ap_axiu<64, 0, 0, 0> beat_t;
}  // namespace sdmf
#else
namespace sdmf {
struct beat_t {
    ap_uint<64> data;
    ap_uint<8> keep;
    ap_uint<8> strb;
    ap_uint<1> last;
};
}  // namespace sdmf
#endif
namespace sdmf {

// Element i (BITS wide, unsigned) of a packed word.
template <int BITS, int W>
inline ap_uint<BITS> get(const ap_uint<W> &word, int i) {
#pragma HLS INLINE
    return word.range(i * BITS + BITS - 1, i * BITS);
}

// Set element i (BITS wide) of a packed word.
template <int BITS, int W, typename V>
inline void set(ap_uint<W> &word, int i, V value) {
#pragma HLS INLINE
    word.range(i * BITS + BITS - 1, i * BITS) = ap_uint<BITS>(value);
}

// One LIF step: V <- floor((V + I) / 2); spike = V >= theta; V <- 0 on a spike.
// The sum takes one bit more than the membrane (CUR_BITS), the shift rounds toward -inf.
template <int CUR_BITS>
inline bool lif_step(ap_int<CUR_BITS> &v, ap_int<CUR_BITS> current, ap_int<CUR_BITS> theta) {
#pragma HLS INLINE
    ap_int<CUR_BITS + 1> total = ap_int<CUR_BITS + 1>(v) + ap_int<CUR_BITS + 1>(current);
    v = ap_int<CUR_BITS>(total >> 1);
    bool spike = v >= theta;
    if (spike) v = 0;
    return spike;
}

}  // namespace sdmf

#endif
