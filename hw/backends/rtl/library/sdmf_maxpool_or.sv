// sdmf_maxpool_or — 3×3 / stride 2 / zero-pad 1 max pooling of spike words (an OR).
//
// Input : H·W words per frame (raster order), WORD bits each (all T·C spikes of a position).
// Output: HO·WO words per frame, HO = (H−1)/2 + 1, WO = (W−1)/2 + 1, raster order;
//         output (i, j) = OR of inputs (y, x) with |y − 2i| ≤ 1, |x − 2j| ≤ 1.
// One input word per cycle; the output word of (i, j) is registered in the cycle its last
// input (min(2i+1, H−1), min(2j+1, W−1)) arrives. A column buffer of WO words holds the
// vertical partial ORs, a register the horizontal one.
// busy_cycles: one per accepted input word (H·W per frame).
module sdmf_maxpool_or #(
  parameter int H = 4,
  parameter int W = 4,
  parameter int WORD = 8
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
  localparam int OB = (WO > 1) ? $clog2(WO) : 1;

  logic [YB-1:0] y;
  logic [XB-1:0] x;
  logic [WORD-1:0] hreg;                 // OR of the current output column's inputs so far
  logic [WORD-1:0] colbuf [0:WO-1];      // OR of the rows so far, per output column
  logic fire, x_last, y_last, y_odd, x_odd, h_done;
  logic [OB-1:0] jo;
  logic [WORD-1:0] hcur, above, vsum;

  assign s_ready = !m_valid || m_ready;
  assign fire = s_valid && s_ready;
  assign x_last = (x == XB'(W - 1));
  assign y_last = (y == YB'(H - 1));
  assign x_odd = x[0];
  assign y_odd = y[0];
  assign h_done = x_odd || x_last;       // the column's last input (2j+1 or W−1)
  assign jo = OB'(x >> 1);
  assign hcur = (x == '0) ? s_data : (hreg | s_data);
  assign above = colbuf[jo];
  assign vsum = (y == '0) ? hcur : (above | hcur);

  always_ff @(posedge clk) begin
    if (fire && h_done && !y_last)
      colbuf[jo] <= y_odd ? hcur : vsum;  // odd row: starts output row (y+1)/2
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      x <= '0;
      y <= '0;
      m_valid <= 1'b0;
    end else begin
      if (fire) begin
        x <= x_last ? '0 : x + 1'b1;
        if (x_last) y <= y_last ? '0 : y + 1'b1;
      end
      if (fire && h_done && (y_odd || y_last)) m_valid <= 1'b1;
      else if (m_ready) m_valid <= 1'b0;
    end
  end
  always_ff @(posedge clk) begin
    if (fire) hreg <= x_odd ? s_data : hcur;
    if (fire && h_done && (y_odd || y_last)) m_data <= vsum;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (fire) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
