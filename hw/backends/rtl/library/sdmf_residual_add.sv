// sdmf_residual_add — adds a branch's spikes into its kept channels of the residual stream.
//
// r stream: T·D elements of R_IN_BITS (unsigned), element t·D + d.
// s stream: T·CB spike bits, bit t·CB + j (CB = 0: a 1-bit word per position, ignored).
// m stream: T·D elements of R_OUT_BITS: R'[t][d] = R[t][d] + Σ_{j: CHANNELS[j] = d} s[t][j].
// CHANNELS: packed, channel index of spike j at bits [16·j +: 16].
// One r word and one s word are joined per cycle into the output register.
// busy_cycles: one per output word.
module sdmf_residual_add #(
  parameter int T = 1,
  parameter int D = 4,
  parameter int CB = 2,
  parameter int R_IN_BITS = 1,
  parameter int R_OUT_BITS = 2,
  parameter logic [((CB > 0) ? 16 * CB : 16) - 1:0] CHANNELS = '0
) (
  input  logic clk,
  input  logic rst_n,
  input  logic r_valid,
  output logic r_ready,
  input  logic [T * D * R_IN_BITS - 1:0] r_data,
  input  logic s_valid,
  output logic s_ready,
  input  logic [((T * CB > 0) ? T * CB : 1) - 1:0] s_data,
  output logic m_valid,
  input  logic m_ready,
  output logic [T * D * R_OUT_BITS - 1:0] m_data,
  output logic [63:0] busy_cycles
);
  logic space, fire;
  logic [T*D*R_OUT_BITS-1:0] sum;

  assign space = !m_valid || m_ready;
  assign r_ready = s_valid && space;
  assign s_ready = r_valid && space;
  assign fire = r_valid && s_valid && space;

  always_comb begin
    for (int t = 0; t < T; t++)
      for (int d = 0; d < D; d++)
        sum[(t * D + d) * R_OUT_BITS +: R_OUT_BITS] = R_OUT_BITS'(r_data[(t * D + d) * R_IN_BITS +: R_IN_BITS]);
    for (int t = 0; t < T; t++)
      for (int j = 0; j < CB; j++)
        sum[(t * D + int'(CHANNELS[16 * j +: 16])) * R_OUT_BITS +: R_OUT_BITS] =
          sum[(t * D + int'(CHANNELS[16 * j +: 16])) * R_OUT_BITS +: R_OUT_BITS]
          + R_OUT_BITS'(s_data[t * CB + j]);
  end

  always_ff @(posedge clk) begin
    if (!rst_n) m_valid <= 1'b0;
    else if (fire) m_valid <= 1'b1;
    else if (m_ready) m_valid <= 1'b0;
  end
  always_ff @(posedge clk) begin
    if (fire) m_data <= sum;
  end

  if (CB == 0) begin : g_nospikes
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused;                         // CB = 0: the 1-bit placeholder word carries no data
    assign unused = ^{s_data, CHANNELS};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (fire) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
