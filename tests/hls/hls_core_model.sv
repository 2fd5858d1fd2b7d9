// A stand-in for the Vitis HLS core (module sdmf_core: the shell's name for the IP instance
// of sdmf_top; no Vitis here): the ports csynth gives the generated top (ap_ctrl_none;
// hls::stream<ap_axiu<64, 0, 0, 0>> as axis), a data-driven behaviour like the DATAFLOW
// core's (takes input beats while it has room for results, answers each sample after
// DELAY cycles, in order, K1 beats with TLAST on the last) and a checksum instead of the
// network: "logit" beat k < K1 - 1 = sum of the sample's beats + k·STEP (mod 2^64), the
// class beat = the sum mod (K1 - 1). Only for testing the control shell
// (tests/hls/test_shell.py).
module sdmf_core #(
    parameter int BEATS = 4,
    parameter int K1 = 5,
    parameter int DELAY = 20,
    parameter logic [63:0] STEP = 64'h9E37_79B9_7F4A_7C15
) (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    input  logic [63:0] s_axis_TDATA,
    input  logic        s_axis_TVALID,
    output logic        s_axis_TREADY,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [7:0]  s_axis_TKEEP,
    input  logic [7:0]  s_axis_TSTRB,
    input  logic        s_axis_TLAST,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic [63:0] m_axis_TDATA,
    output logic        m_axis_TVALID,
    input  logic        m_axis_TREADY,
    output logic [7:0]  m_axis_TKEEP,
    output logic [7:0]  m_axis_TSTRB,
    output logic        m_axis_TLAST
);
  localparam int DEPTH = 16;                  // results it can hold (more than 8 in flight)
  logic [63:0] sums [0:DEPTH-1];
  logic [63:0] acc;
  logic [$clog2(BEATS + 1)-1:0] beat;
  logic [$clog2(DEPTH)-1:0] wr, rd;
  logic [$clog2(DEPTH + 1)-1:0] count;
  logic [$clog2(K1 + 1)-1:0] k;
  logic [31:0] wait_cycles;
  logic sending;
  wire take = s_axis_TVALID && s_axis_TREADY;
  wire last_in = take && 32'(beat) == BEATS - 1;
  wire give = m_axis_TVALID && m_axis_TREADY;
  wire pop = give && m_axis_TLAST;
  assign s_axis_TREADY = 32'(count) < DEPTH;
  assign m_axis_TVALID = sending && wait_cycles == 0;
  assign m_axis_TDATA = m_axis_TLAST ? sums[rd] % 64'(K1 - 1) : sums[rd] + 64'(k) * STEP;
  assign m_axis_TLAST = 32'(k) == K1 - 1;
  assign m_axis_TKEEP = 8'hFF;
  assign m_axis_TSTRB = 8'hFF;
  always_ff @(posedge ap_clk) begin
    if (last_in) sums[wr] <= acc + s_axis_TDATA;
  end
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      acc <= '0; beat <= '0; wr <= '0; rd <= '0; count <= '0; k <= '0;
      wait_cycles <= '0; sending <= 1'b0;
    end else begin
      if (take) begin
        acc <= last_in ? '0 : acc + s_axis_TDATA;
        beat <= last_in ? '0 : beat + 1'b1;
        if (last_in) wr <= wr + 1'b1;
      end
      if (!sending && count != 0) begin
        sending <= 1'b1;
        wait_cycles <= DELAY;
      end else if (sending && wait_cycles != 0) begin
        wait_cycles <= wait_cycles - 1;
      end
      if (give) k <= pop ? '0 : k + 1'b1;
      if (pop) begin
        rd <= rd + 1'b1;
        sending <= 1'b0;
      end
      count <= count + (last_in ? 1 : 0) - (pop ? 1 : 0);
    end
  end
endmodule
