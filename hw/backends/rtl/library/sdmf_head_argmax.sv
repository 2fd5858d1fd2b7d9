// sdmf_head_argmax — classifier head: pooled sums, integer linear layer, arg-max.
//
// Input : N tokens per frame of NB beats (NB divides T, TS = T/NB), a beat TS·D elements
//         of R_BITS (unsigned), element (t − b·TS)·D + d of beat b (NB = 1: one word).
// pooled[d] = Σ_{t, n} R[t][d][n]                                   (POOL_BITS, unsigned)
// logit[k]  = (Σ_d W[k][d] · pooled[d]) · 2^SHIFT + B[k]           (LOGIT_BITS, signed)
// Output: K + 1 words of LOGIT_BITS per frame: logit[0] … logit[K−1], then the class
//         arg-max (ties to the lowest index, zero-extended); m_last marks the class word.
// Schedule: the first beat of a frame is loaded in 1 cycle; each beat then takes A
// accumulation cycles, the next beat being loaded in the last of them. NB = 1 (a beat is
// a token): A = D, one channel per cycle, pooled is a rotating register chain and the token
// a shift register. NB > 1: A = D/PP, PP channels per cycle; pooled is a memory of D/PP
// words of PP sums (read-modify-write of one word per cycle) and the beat a shift register.
// Then K·D multiply-accumulate cycles (weight ROM and pooled sum read one cycle ahead) + 1
// drain cycle; then the K + 1 output transfers.
// busy_cycles per frame = 1 + N·NB·A + K·D + 1 + (K + 1).
// WEIGHT_FILE: one W_BITS two's-complement weight per line, address k·D + d.
// BIAS_FILE  : one LOGIT_BITS two's-complement bias per line, address k.
// LOADED = 1 (runtime-loaded parameters, docs/params.md): prm_we[0/1] writes a word to
// address prm_addr of the weight / bias memory; both are one beat wide, which the loader
// leaves in the top 64 bits of its bus (prm_data[PRM_BITS − 64 +: width]); LOADED = 0
// ignores the ports.
// WEIGHT_STYLE / BIAS_STYLE: the ram_style attribute of each parameter memory ("auto":
// the tool's choice; "block", "distributed", "ultra": URAM, LOADED = 1 only).
module sdmf_head_argmax #(
  parameter int N = 4,
  parameter int T = 1,
  parameter int NB = 1,
  parameter int D = 4,
  parameter int K = 2,
  parameter int R_BITS = 2,
  parameter int W_BITS = 8,
  parameter int POOL_BITS = 8,
  parameter int LOGIT_BITS = 24,
  parameter int SHIFT = 0,
  parameter int PP = 1,                      // NB > 1: channels pooled per cycle (divides D)
  parameter WEIGHT_FILE = "",
  parameter BIAS_FILE = "",
  parameter int LOADED = 0,
  parameter int PRM_BITS = 64,
  /* verilator lint_off UNUSEDPARAM */  // synthesis attributes only
  parameter WEIGHT_STYLE = "auto",
  parameter BIAS_STYLE = "auto"
  /* verilator lint_on UNUSEDPARAM */
) (
  input  logic clk,
  input  logic rst_n,
  input  logic s_valid,
  output logic s_ready,
  input  logic [T / NB * D * R_BITS - 1:0] s_data,
  output logic m_valid,
  input  logic m_ready,
  output logic [LOGIT_BITS-1:0] m_data,
  output logic m_last,
  output logic [63:0] busy_cycles,
  /* verilator lint_off UNUSEDSIGNAL */  // used with LOADED = 1, low bits only
  input  logic [1:0] prm_we,
  input  logic [23:0] prm_addr,
  input  logic [PRM_BITS-1:0] prm_data
  /* verilator lint_on UNUSEDSIGNAL */
);
  localparam int TS = T / NB;                // time steps per beat
  localparam int NW = N * NB;                // input beats per frame
  localparam int NWB = (NW > 1) ? $clog2(NW) : 1;
  localparam int DB = (D > 1) ? $clog2(D) : 1;
  localparam int KB = (K > 1) ? $clog2(K) : 1;
  localparam int EB = $clog2(K + 1);
  localparam int WA = (K * D > 1) ? $clog2(K * D) : 1;
  localparam int BW = TS * D * R_BITS;       // bits of one input beat

  localparam int NACC = (NB == 1) ? D : D / PP;   // accumulation cycles per beat

  if (NB < 1 || T % NB != 0) begin : g_bad_nb
    $error("sdmf_head_argmax: NB = %0d must be a divisor of T = %0d", NB, T);
  end
  if (PP < 1 || D % PP != 0 || (NB == 1 && PP != 1)) begin : g_bad_pp
    $error("sdmf_head_argmax: PP = %0d must divide D = %0d (NB = 1: PP = 1)", PP, D);
  end

  (* ram_style = WEIGHT_STYLE *) logic [W_BITS-1:0] w_rom [0:K*D-1];
  (* ram_style = BIAS_STYLE *) logic [LOGIT_BITS-1:0] b_rom [0:K-1];
  initial begin
    if (WEIGHT_FILE != "") $readmemh(WEIGHT_FILE, w_rom);
    if (BIAS_FILE != "") $readmemh(BIAS_FILE, b_rom);
  end
  always_ff @(posedge clk) begin
    if (LOADED != 0 && prm_we[0]) w_rom[WA'(prm_addr)] <= prm_data[PRM_BITS - 64 +: W_BITS];
    if (LOADED != 0 && prm_we[1]) b_rom[KB'(prm_addr)] <= prm_data[PRM_BITS - 64 +: LOGIT_BITS];
  end

  localparam logic [2:0] S_IN = 3'd0, S_ACC = 3'd1, S_LIN = 3'd2, S_DRAIN = 3'd3, S_OUT = 3'd4;
  logic [2:0] st;
  logic [NWB-1:0] n;                     // input beat of the frame (NB = 1: token)
  logic [DB-1:0] d;                      // channel step (ACC) / issue channel (LIN)
  logic [KB-1:0] k;                      // issue class (LIN)
  logic [WA-1:0] waddr;
  logic [EB-1:0] e;                      // output word index

  logic last_d, last_n, last_k, last_acc;
  assign last_d = (d == DB'(D - 1));
  assign last_n = (n == NWB'(NW - 1));
  assign last_k = (k == KB'(K - 1));
  assign last_acc = (d == DB'(NACC - 1));
  // the next beat is loaded in the last accumulation cycle of the one before
  assign s_ready = (st == S_IN) || (st == S_ACC && last_acc && !last_n);

  logic fire;
  assign fire = s_valid && s_ready;

  // ------------------------------------------------------------ pooling
  logic [POOL_BITS-1:0] lin_pool;        // stage M: the pooled sum of the channel issued
  logic m_act;                           // stage M active (LIN one cycle behind)

  if (NB == 1) begin : g_serial
    // one channel per cycle: the token is a shift register, pooled a rotating chain
    // (element 0 = the channel under the head)
    logic [D*POOL_BITS-1:0] pooled;
    logic [BW-1:0] tok;
    logic [BW-1:0] tok_shift;
    logic [POOL_BITS-1:0] tsum, head_old, head_new;
    assign head_old = pooled[POOL_BITS-1:0];
    always_comb begin
      tsum = '0;
      for (int t = 0; t < T; t++) tsum = tsum + POOL_BITS'(tok[t * D * R_BITS +: R_BITS]);
    end
    assign head_new = ((n == '0) ? '0 : head_old) + tsum;
    // shift every time block of the token down by one channel
    always_comb begin
      for (int t = 0; t < T; t++)
        tok_shift[t * D * R_BITS +: D * R_BITS] =
          (D * R_BITS)'(tok[t * D * R_BITS +: D * R_BITS] >> R_BITS);
    end
    always_ff @(posedge clk) begin
      if (fire) tok <= s_data;
      else if (st == S_ACC) tok <= tok_shift;
    end
    // accumulate: the new head sum enters at the tail; LIN: rotate by one channel
    if (D > 1) begin : g_rot
      always_ff @(posedge clk) begin
        if (st == S_ACC) pooled <= {head_new, pooled[D*POOL_BITS-1:POOL_BITS]};
        else if (m_act) pooled <= {head_old, pooled[D*POOL_BITS-1:POOL_BITS]};
      end
    end else begin : g_rot1
      always_ff @(posedge clk) begin
        if (st == S_ACC) pooled <= head_new;
      end
    end
    assign lin_pool = head_old;
  end else begin : g_mem
    // PP channels per cycle: word a of pool_mem holds channels [a·PP, (a+1)·PP); the beat
    // is a shift register whose low PP channels of every step are pooled next
    localparam int PW = PP * POOL_BITS;
    localparam int PA = (NACC > 1) ? $clog2(NACC) : 1;
    localparam int LB = (PP > 1) ? $clog2(PP) : 1;
    (* ram_style = "distributed" *) logic [PW-1:0] pool_mem [0:NACC-1];
    logic [BW-1:0] tok;
    logic [PW-1:0] grp_old, grp_new;
    logic [PA-1:0] lg;                   // LIN: word and lane of channel d
    logic [LB-1:0] ll;
    logic [PA-1:0] raddr;
    assign raddr = (st == S_ACC) ? PA'(d) : lg;
    assign grp_old = pool_mem[raddr];
    always_comb begin
      for (int i = 0; i < PP; i++) begin
        grp_new[i * POOL_BITS +: POOL_BITS] = (n == '0) ? '0 : grp_old[i * POOL_BITS +: POOL_BITS];
        for (int t = 0; t < TS; t++)
          grp_new[i * POOL_BITS +: POOL_BITS] = grp_new[i * POOL_BITS +: POOL_BITS]
            + POOL_BITS'(tok[(t * D + i) * R_BITS +: R_BITS]);
      end
    end
    always_ff @(posedge clk) begin
      if (st == S_ACC) pool_mem[PA'(d)] <= grp_new;
    end
    always_ff @(posedge clk) begin
      if (fire) begin
        tok <= s_data;
      end else if (st == S_ACC) begin
        for (int t = 0; t < TS; t++)
          tok[t * D * R_BITS +: D * R_BITS] <=
            (D * R_BITS)'(tok[t * D * R_BITS +: D * R_BITS] >> (PP * R_BITS));
      end
    end
    // LIN: channel d = lg·PP + ll, read one cycle ahead of stage M
    always_ff @(posedge clk) begin
      if (st != S_LIN) begin
        lg <= '0;
        ll <= '0;
      end else if (ll == LB'(PP - 1)) begin
        ll <= '0;
        lg <= (lg == PA'(NACC - 1)) ? '0 : lg + 1'b1;
      end else begin
        ll <= ll + 1'b1;
      end
    end
    always_ff @(posedge clk) begin
      if (st == S_LIN) lin_pool <= grp_old[32'(ll) * POOL_BITS +: POOL_BITS];
    end
  end

  // ------------------------------------------------------------ linear (stage M one cycle behind)
  logic m_lastd, m_first;                // stage M: last channel of a class, first channel
  logic [KB-1:0] m_k;
  logic [W_BITS-1:0] w_q;
  logic [LOGIT_BITS-1:0] b_q;
  logic [LOGIT_BITS-1:0] lacc, prod, lsum, logit;
  assign prod = LOGIT_BITS'($signed(w_q)) * LOGIT_BITS'(lin_pool);
  assign lsum = (m_first ? '0 : lacc) + prod;
  assign logit = (lsum << SHIFT) + b_q;

  logic [K*LOGIT_BITS-1:0] logits;
  logic [LOGIT_BITS-1:0] best;
  logic [KB-1:0] cls;

  always_ff @(posedge clk) begin
    w_q <= w_rom[waddr];
    b_q <= b_rom[k];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      st <= S_IN;
      n <= '0;
      d <= '0;
      k <= '0;
      waddr <= '0;
      e <= '0;
      m_act <= 1'b0;
    end else begin
      m_act <= 1'b0;
      case (st)
        S_IN: if (fire) begin
          d <= '0;
          st <= S_ACC;
        end
        S_ACC: begin
          d <= last_acc ? '0 : d + 1'b1;
          if (last_acc) begin
            n <= last_n ? '0 : n + 1'b1;
            if (last_n) begin
              st <= S_LIN;
              k <= '0;
              waddr <= '0;
            end else if (!fire) begin
              st <= S_IN;
            end
          end
        end
        S_LIN: begin
          m_act <= 1'b1;
          m_first <= (d == '0);
          m_lastd <= last_d;
          m_k <= k;
          waddr <= waddr + 1'b1;
          d <= last_d ? '0 : d + 1'b1;
          if (last_d) begin
            k <= last_k ? '0 : k + 1'b1;
            if (last_k) st <= S_DRAIN;
          end
        end
        S_DRAIN: begin
          st <= S_OUT;
          e <= '0;
        end
        default: begin  // S_OUT
          if (m_ready) begin
            e <= e + 1'b1;
            if (e == EB'(K)) st <= S_IN;
          end
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (m_act) begin
      lacc <= lsum;
      if (m_lastd) begin
        logits[m_k * LOGIT_BITS +: LOGIT_BITS] <= logit;
        if (m_k == '0 || $signed(logit) > $signed(best)) begin
          best <= logit;
          cls <= m_k;
        end
      end
    end
  end

  // ------------------------------------------------------------ output
  assign m_valid = (st == S_OUT);
  assign m_last = (e == EB'(K));
  assign m_data = m_last ? LOGIT_BITS'(cls) : logits[32'(e) * LOGIT_BITS +: LOGIT_BITS];

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    // the first beat's load; later beats load in the last ACC cycle of the previous one
    // unless the input starved (S_IN again: waiting, not counted)
    else if ((st == S_IN && fire && n == '0) || st == S_ACC || st == S_LIN || st == S_DRAIN
             || (st == S_OUT && m_ready))
      busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
