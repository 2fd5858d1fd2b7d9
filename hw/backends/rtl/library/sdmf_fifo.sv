// sdmf_fifo — synchronous first-word-fall-through FIFO.
//
// DEPTH words in a simple dual-port memory (synchronous read, BRAM-friendly) plus the
// output register, which is the memory's read register: capacity DEPTH + 1 words.
// s_ready = (memory not full), registered. Latency: a word written in cycle c is
// valid at the output in cycle c + 2 at the earliest; full throughput of one word/cycle.
// busy_cycles: words written (one per push).
// BUFFER_STYLE: the memory's ram_style attribute ("auto": the tool's choice; "block",
// "distributed", "ultra": URAM — the buffer needs no initial contents).
module sdmf_fifo #(
  parameter int WORD = 8,
  parameter int DEPTH = 4,
  /* verilator lint_off UNUSEDPARAM */  // a synthesis attribute only
  parameter BUFFER_STYLE = "auto"
  /* verilator lint_on UNUSEDPARAM */
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
  localparam int AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int CB = $clog2(DEPTH + 1);

  (* ram_style = BUFFER_STYLE *) logic [WORD-1:0] mem [0:DEPTH-1];
  logic [AB-1:0] wptr, rptr;
  logic [CB-1:0] count;                  // words in the memory (not in the output register)
  logic push, pop, rd;

  assign s_ready = (count != CB'(DEPTH));
  assign push = s_valid && s_ready;
  assign pop = m_valid && m_ready;
  assign rd = (count != '0) && (!m_valid || pop);

  always_ff @(posedge clk) begin
    if (push) mem[wptr] <= s_data;
  end
  always_ff @(posedge clk) begin
    if (rd) m_data <= mem[rptr];
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wptr <= '0;
      rptr <= '0;
      count <= '0;
      m_valid <= 1'b0;
    end else begin
      if (push) wptr <= (wptr == AB'(DEPTH - 1)) ? '0 : wptr + 1'b1;
      if (rd) rptr <= (rptr == AB'(DEPTH - 1)) ? '0 : rptr + 1'b1;
      if (push && !rd) count <= count + 1'b1;
      else if (!push && rd) count <= count - 1'b1;
      if (rd) m_valid <= 1'b1;
      else if (pop) m_valid <= 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (push) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
