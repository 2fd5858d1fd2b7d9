// sdmf_fork — broadcasts one stream to M consumers.
//
// A word is held in a register until every consumer has taken it (each output lane
// drops its valid after its own transfer); a new word is accepted in the cycle the
// last outstanding consumer takes the current one, so with all consumers ready the
// fork passes one word per cycle. m_valid[i] never depends on m_ready.
// busy_cycles: cycles with an input transfer.
module sdmf_fork #(
  parameter int WORD = 8,
  parameter int M = 2
) (
  input  logic clk,
  input  logic rst_n,
  input  logic s_valid,
  output logic s_ready,
  input  logic [WORD-1:0] s_data,
  output logic [M-1:0] m_valid,
  input  logic [M-1:0] m_ready,
  output logic [WORD-1:0] m_data,
  output logic [63:0] busy_cycles
);
  logic full;
  logic [M-1:0] done, taken;
  logic fire;

  assign m_valid = {M{full}} & ~done;
  assign taken = done | (m_valid & m_ready);
  assign s_ready = !full || (&taken);
  assign fire = s_valid && s_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      full <= 1'b0;
      done <= '0;
    end else if (fire) begin
      full <= 1'b1;
      done <= '0;
    end else if (full && (&taken)) begin
      full <= 1'b0;
      done <= '0;
    end else if (full) begin
      done <= taken;
    end
  end
  always_ff @(posedge clk) begin
    if (fire) m_data <= s_data;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (fire) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
