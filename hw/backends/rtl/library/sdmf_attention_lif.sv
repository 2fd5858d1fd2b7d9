// sdmf_attention_lif — spiking self-attention A_h = q_h·(k_hᵀ·v_h) fused with the attention
// LIF (I = A·2^F, θ = 2^(F+1), bias 0), per head.
//
// Streams (N tokens per frame, NB beats per token, NB divides T, TS = T/NB; beat b holds
// time steps [b·TS, (b+1)·TS), spike (t, c) at bit (t − b·TS)·C + c; NB = 1: one word):
//   k, v: TS·CQK / TS·CV spike bits per beat, consumed together in phase 1;
//   q   : TS·CQK spike bits per beat, consumed in phase 2 after all N k/v tokens;
//   m   : TS·CV output spikes per beat, NB beats per q token.
// Heads: channels of a head are contiguous (the IR's kept-channel order). v channels are
// processed in NGRP groups of ≤ PO channels of one head (a head with V_h v channels has
// ceil(V_h/PO) groups); group g covers v channels [vlo, vlo + vn) and its head's q·k
// channels [qlo, qlo + qn). GROUPS packs the table, 64 bits per group (see
// docs/hardware.md; sdmf.hw.backends.rtl.library.attention_params builds it from the tags).
//   phase 1, per k/v token: NB load cycles (one beat each), then for g, t, c < qn(g):
//            KV[t][c][group lanes] += k[t][c]·v[t][lanes] (read-modify-write of one KV
//            word per cycle; a group with qn = 0 takes 1 cycle);
//   phase 2, per q token: NB load cycles, then for g, t: qn(g) cycles A += q[t][c]·KV,
//            1 LIF cycle; then 1 emit cycle (the token's NB output beats then leave on
//            consecutive ready cycles from the output buffer).
// busy_cycles per frame = N·(NB + Σ_g (qn(g) > 0 ? T·qn(g) : 1))
//                       + N·(NB + 1 + Σ_g T·(qn(g) + 1)).
// KV memory: T·Σ_g qn(g) words of PO counters of $clog2(N+1) bits (simple dual port).
// Token memories (asynchronous read, one beat written per cycle): NB words of TS·CQK bits
// (k in phase 1, q in phase 2) and NB words of TS·CV bits (v). NB > 1: the output is a
// ping-pong memory of two tokens (2·NB words of TS·NGRP·PO bits, the LIF ops write PO
// spikes at a time), NB = 1 a T·CV-bit token register.
module sdmf_attention_lif #(
  parameter int N = 4,
  parameter int T = 1,
  parameter int NB = 1,
  parameter int CQK = 2,
  parameter int CV = 2,
  parameter int NGRP = 1,
  parameter logic [64*NGRP-1:0] GROUPS = 64'h0002_0000_0002_0000,
  parameter int A_BITS = 4,
  parameter int CUR_BITS = 9,
  parameter int F = 4,
  parameter int PO = 2
) (
  input  logic clk,
  input  logic rst_n,
  input  logic q_valid,
  output logic q_ready,
  input  logic [T/NB*CQK-1:0] q_data,
  input  logic k_valid,
  output logic k_ready,
  input  logic [T/NB*CQK-1:0] k_data,
  input  logic v_valid,
  output logic v_ready,
  input  logic [T/NB*CV-1:0] v_data,
  output logic m_valid,
  input  logic m_ready,
  output logic [T/NB*CV-1:0] m_data,
  output logic [63:0] busy_cycles
);
  // ------------------------------------------------------------ group table
  // group g at GROUPS[64·g +: 64]: vlo [15:0], vn [31:16], qlo [47:32], qn [63:48]
  function automatic int kv_words(input int ng);
    int r;
    r = 0;
    for (int g = 0; g < ng; g++) r = r + T * int'(GROUPS[64 * g + 48 +: 16]);
    kv_words = r;
  endfunction

  localparam int KVD = kv_words(NGRP);
  localparam int KVB = $clog2(N + 1);                  // KV counter width
  localparam int QB = $clog2(CQK + 1);
  localparam int GB = (NGRP > 1) ? $clog2(NGRP) : 1;
  localparam int TB = (T > 1) ? $clog2(T) : 1;
  localparam int MB = (N > 1) ? $clog2(N) : 1;
  localparam int TS = T / NB;                          // time steps per beat
  localparam int NBB = (NB > 1) ? $clog2(NB) : 1;      // beat index
  localparam int KA = (KVD > 1) ? $clog2(KVD) : 1;
  localparam int UW = (CUR_BITS > F + 2) ? CUR_BITS : F + 2;   // V, I ≥ 0 and θ = 2^(F+1)

  if (NB < 1 || T % NB != 0) begin : g_bad_nb
    $error("sdmf_attention_lif: NB = %0d must be a divisor of T = %0d", NB, T);
  end

  // ------------------------------------------------------------ issue stage
  localparam logic [2:0] S_LD1 = 3'd0, S_UPD = 3'd1, S_LD2 = 3'd2, S_ATT = 3'd3, S_EMIT = 3'd4;
  localparam logic [2:0] OP_NOP = 3'd0, OP_UPD = 3'd1, OP_FETCH = 3'd2, OP_LIF = 3'd3,
                         OP_EMIT = 3'd4, OP_OTHER = 3'd5;   // OTHER: load / skip
  logic [2:0] st;
  logic [GB-1:0] g;
  logic [TB-1:0] t;
  logic [QB-1:0] c;
  logic [MB-1:0] m;
  logic [KA-1:0] kva;
  logic [NBB-1:0] lb;                    // beat being loaded (LD1, LD2)
  logic stall;

  logic [QB-1:0] cur_qlo, cur_qn;
  assign cur_qlo = QB'(GROUPS[64 * 32'(g) + 32 +: 16]);
  assign cur_qn = QB'(GROUPS[64 * 32'(g) + 48 +: 16]);

  logic last_g, last_t, last_m, last_c;
  assign last_g = (g == GB'(NGRP - 1));
  assign last_t = (t == TB'(T - 1));
  assign last_m = (m == MB'(N - 1));
  assign last_c = (c == cur_qn - 1'b1);

  logic ld1, ld2;
  assign ld1 = (st == S_LD1) && k_valid && v_valid && !stall;
  assign ld2 = (st == S_LD2) && q_valid && !stall;
  assign k_ready = (st == S_LD1) && v_valid && !stall;
  assign v_ready = (st == S_LD1) && k_valid && !stall;
  assign q_ready = (st == S_LD2) && !stall;

  logic [2:0] op;
  always_comb begin
    op = OP_NOP;
    case (st)
      S_LD1: if (ld1) op = OP_OTHER;
      S_LD2: if (ld2) op = OP_OTHER;
      S_UPD: op = (cur_qn == '0) ? OP_OTHER : OP_UPD;
      S_ATT: op = (c == cur_qn) ? OP_LIF : OP_FETCH;
      default: op = OP_EMIT;
    endcase
  end
  logic issue;
  assign issue = (op != OP_NOP) && !stall;

  // token memories: beat lb of the token being loaded; k (phase 1) and q (phase 2) share one
  logic [TS*CQK-1:0] qk_mem [0:NB-1];
  logic [TS*CV-1:0] v_mem [0:NB-1];
  always_ff @(posedge clk) begin
    if (ld1 || ld2) qk_mem[lb] <= ld1 ? k_data : q_data;
    if (ld1) v_mem[lb] <= v_data;
  end
  logic last_lb;
  assign last_lb = (lb == NBB'(NB - 1));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      st <= S_LD1;
      g <= '0;
      t <= '0;
      c <= '0;
      m <= '0;
      kva <= '0;
      lb <= '0;
    end else if (issue) begin
      case (st)
        S_LD1, S_LD2: begin
          lb <= last_lb ? '0 : lb + 1'b1;
          if (last_lb) st <= (st == S_LD1) ? S_UPD : S_ATT;
        end
        S_UPD: begin
          if (cur_qn != '0) kva <= kva + 1'b1;
          if (cur_qn == '0 || last_c) begin
            c <= '0;
            if (cur_qn == '0 || last_t) begin
              t <= '0;
              if (last_g) begin       // token done
                g <= '0;
                kva <= '0;
                m <= last_m ? '0 : m + 1'b1;
                st <= last_m ? S_LD2 : S_LD1;
              end else begin
                g <= g + 1'b1;
              end
            end else begin
              t <= t + 1'b1;
            end
          end else begin
            c <= c + 1'b1;
          end
        end
        S_ATT: begin
          if (c == cur_qn) begin      // LIF slot
            c <= '0;
            if (last_t) begin
              t <= '0;
              if (last_g) begin
                g <= '0;
                kva <= '0;
                st <= S_EMIT;
              end else begin
                g <= g + 1'b1;
              end
            end else begin
              t <= t + 1'b1;
            end
          end else begin
            c <= c + 1'b1;
            kva <= kva + 1'b1;
          end
        end
        default: begin                // S_EMIT
          m <= last_m ? '0 : m + 1'b1;
          st <= last_m ? S_LD1 : S_LD2;
        end
      endcase
    end
  end

  // ------------------------------------------------------------ stage A
  logic [2:0] a_op;
  logic [KA-1:0] a_kva;
  logic a_first, a_qbit;
  logic [PO-1:0] a_inc;
  logic [TB-1:0] a_t;
  logic [GB-1:0] a_g;
  logic [PO-1:0] vsh;                    // v bits of the group's lanes at time t
  logic kbit, qbit;
  // time step t is step ts of beat tb of the token memories
  logic [NBB-1:0] tb;
  logic [31:0] ts;
  logic [TS*CQK-1:0] qk_w;
  logic [TS*CV-1:0] v_w;
  assign tb = NBB'(32'(t) / TS);
  assign ts = 32'(t) % TS;
  assign qk_w = qk_mem[tb];
  assign v_w = v_mem[tb];
  // v bits of time t, then the group's lanes: a mux over the groups' constant offsets
  logic [CV-1:0] v_t;
  logic [NGRP*PO-1:0] v_cand;
  assign v_t = v_w[ts * CV +: CV];
  assign vsh = v_cand[32'(g) * PO +: PO];
  assign kbit = qk_w[ts * CQK + 32'(cur_qlo) + 32'(c)];
  assign qbit = kbit;                    // the same memory holds q in phase 2

  always_ff @(posedge clk) begin
    if (!rst_n) a_op <= OP_NOP;
    else if (!stall) a_op <= issue ? op : OP_NOP;
  end
  always_ff @(posedge clk) begin
    if (!stall) begin
      a_kva <= kva;
      a_first <= (m == '0);
      a_inc <= kbit ? vsh : '0;
      a_qbit <= qbit;
      a_t <= t;
      a_g <= g;
    end
  end
  // EMIT waits until the output's last beat leaves
  logic last_ob;
  assign stall = (a_op == OP_EMIT) && m_valid && !(m_ready && last_ob);

  logic [PO-1:0][KVB-1:0] kv_q;
  if (KVD > 0) begin : g_kv
    logic [PO*KVB-1:0] kv_mem [0:KVD-1];
    logic [PO*KVB-1:0] kv_new;
    always_comb begin
      for (int o = 0; o < PO; o++)
        kv_new[o * KVB +: KVB] = (a_first ? '0 : kv_q[o]) + KVB'(a_inc[o]);
    end
    always_ff @(posedge clk) begin
      if (a_op == OP_UPD) kv_mem[a_kva] <= kv_new;
    end
    always_ff @(posedge clk) begin
      if (!stall) kv_q <= kv_mem[kva];
    end
  end else begin : g_nokv
    // no head has both q·k and v channels: A = 0 everywhere
    assign kv_q = '0;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused;                         // KV address/increment state has nothing to address
    assign unused = ^{a_kva, a_first, a_inc, kva};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  // ------------------------------------------------------------ A accumulation + attention LIF
  logic [PO-1:0][A_BITS-1:0] acc;
  logic [PO-1:0][UW-1:0] vmem, vnext;
  logic [PO-1:0] spikes;
  for (genvar o = 0; o < PO; o++) begin : g_lif
    logic [UW-1:0] cur, vold;
    logic [UW:0] tot;
    assign cur = UW'(acc[o]) << F;
    assign vold = (a_t == '0) ? '0 : vmem[o];
    assign tot = (UW + 1)'(vold) + (UW + 1)'(cur);
    assign vnext[o] = UW'(tot >> 1);
    assign spikes[o] = (vnext[o] >= UW'(1) << (F + 1));
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc <= '0;
    end else if (!stall) begin
      if (a_op == OP_FETCH) begin
        for (int o = 0; o < PO; o++) acc[o] <= acc[o] + (a_qbit ? A_BITS'(kv_q[o]) : '0);
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

  // output: the token's spikes, its beats leaving low first on consecutive ready cycles
  logic lif_we;
  logic [NBB-1:0] ob;                    // beat at the output
  assign lif_we = !stall && a_op == OP_LIF;
  assign last_ob = (ob == NBB'(NB - 1));
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      m_valid <= 1'b0;
      ob <= '0;
    end else if (a_op == OP_EMIT && !stall) begin
      m_valid <= 1'b1;
      ob <= '0;
    end else if (m_valid && m_ready) begin
      ob <= last_ob ? '0 : ob + 1'b1;
      if (last_ob) m_valid <= 1'b0;
    end
  end
  for (genvar gi = 0; gi < NGRP; gi++) begin : g_vcand
    assign v_cand[gi * PO +: PO] = PO'(v_t >> int'(GROUPS[64 * gi +: 16]));
  end

  if (NB > 1) begin : g_obuf
    // ping-pong of two tokens (entry slot·NB + beat, TS·NGRP·PO bits: step s, group g at
    // [(s·NGRP + g)·PO +: PO]); the LIF ops write their PO spikes into slot wslot, the
    // beats are read from slot rslot (the token of the last EMIT), which EMIT hands over
    // only after its last beat left — no T·CV registers
    localparam int GW = NGRP * PO;                       // bits of one step
    localparam int OA = $clog2(2 * NB);
    (* ram_style = "distributed" *) logic [TS*GW-1:0] obuf [0:2*NB-1];
    logic wslot, rslot;
    logic [NBB-1:0] a_tb;
    logic [31:0] a_ts;
    logic [OA-1:0] waddr_o, raddr_o;
    logic [TS*GW-1:0] q;
    assign a_tb = NBB'(32'(a_t) / TS);
    assign a_ts = 32'(a_t) % TS;
    assign waddr_o = OA'(wslot) * OA'(NB) + OA'(a_tb);
    assign raddr_o = OA'(rslot) * OA'(NB) + OA'(ob);
    always_ff @(posedge clk) begin
      // group gi = step·NGRP + g: the byte-enable idiom (one write port, TS·NGRP enables)
      for (int gi = 0; gi < TS * NGRP; gi++)
        if (lif_we && a_ts * NGRP + 32'(a_g) == gi) obuf[waddr_o][gi * PO +: PO] <= spikes;
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        wslot <= 1'b0;
        rslot <= 1'b0;
      end else if (a_op == OP_EMIT && !stall) begin
        rslot <= wslot;
        wslot <= !wslot;
      end
    end
    assign q = obuf[raddr_o];
    for (genvar gi = 0; gi < NGRP; gi++) begin : g_grp
      localparam int VLO = int'(GROUPS[64 * gi +: 16]);
      localparam int VN = int'(GROUPS[64 * gi + 16 +: 16]);
      for (genvar s = 0; s < TS; s++) begin : g_s
        for (genvar o = 0; o < VN; o++) begin : g_lane
          assign m_data[s * CV + VLO + o] = q[(s * NGRP + gi) * PO + o];
        end
      end
    end
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_pad;                     // (lanes of a group beyond its v channels)
    assign unused_pad = ^q;
    /* verilator lint_on UNUSEDSIGNAL */
  end else begin : g_oword
    // NB = 1: the spikes go straight to their output bit t·CV + vlo(g) + o (constant per
    // g, o) of the token word; EMIT copies it to the output register
    logic [T*CV-1:0] word;
    for (genvar gi = 0; gi < NGRP; gi++) begin : g_grp
      localparam int VLO = int'(GROUPS[64 * gi +: 16]);
      localparam int VN = int'(GROUPS[64 * gi + 16 +: 16]);
      for (genvar o = 0; o < VN; o++) begin : g_lane
        for (genvar tt = 0; tt < T; tt++) begin : g_t
          always_ff @(posedge clk) begin
            if (lif_we && a_g == GB'(gi) && a_t == TB'(tt)) word[tt * CV + VLO + o] <= spikes[o];
          end
        end
      end
    end
    always_ff @(posedge clk) begin
      if (a_op == OP_EMIT && !stall) m_data <= word;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (issue) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
