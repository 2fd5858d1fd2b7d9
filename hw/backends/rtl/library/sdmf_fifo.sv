// sdmf_fifo — synchronous first-word-fall-through FIFO.
//
// DEPTH words in a simple dual-port memory (synchronous read, BRAM-friendly) plus the
// output register, which is the memory's read register: capacity DEPTH + 1 words.
// s_ready = (memory not full), registered. Latency: a word written in cycle c is
// valid at the output in cycle c + 2 at the earliest; full throughput of one word/cycle.
// SUB > 1 (packed words, for UltraRAM's 4K × 72 shape): a word is SUB sub-words of
// SW = ⌈WORD/SUB⌉ bits at entries slot·SUB + i of a DEPTH·SUB × SW memory. A push writes
// sub-word 0 and the next SUB − 1 cycles the others (s_ready low meanwhile); a complete
// word is read sub-word by sub-word, the last one into the output register once it is
// free (it is loaded the cycle after). One word per SUB cycles on each side; SUB = 1 is
// the plain FIFO.
//   word k: pushed at x_in(k) ≥ x_in(k−1) + SUB, slot free from f(k−DEPTH) + 1;
//   reading starts at s(k) = max(x_in(k) + SUB, f(k−1) + 1), its last sub-word is read at
//   f(k) = max(s(k) + SUB − 1, x_out(k−1)); valid from f(k) + 1 (SUB = 1) or f(k) + 2
//   (sdmf.hw.timing.FifoUnit).
// busy_cycles: words written (one per push).
// BUFFER_STYLE: the memory's ram_style attribute ("auto": the tool's choice; "block",
// "distributed", "ultra": URAM — the buffer needs no initial contents).
module sdmf_fifo #(
  parameter int WORD = 8,
  parameter int DEPTH = 4,
  parameter int SUB = 1,
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
  if (SUB < 1 || SUB > WORD) begin : g_bad_sub
    $error("sdmf_fifo: SUB = %0d must lie in 1 .. WORD = %0d", SUB, WORD);
  end
  localparam int SW = (WORD + SUB - 1) / SUB;         // bits of a sub-word
  localparam int PW = SW * SUB;                       // a word padded to whole sub-words
  localparam int ENTRIES = DEPTH * SUB;
  localparam int AB = (ENTRIES > 1) ? $clog2(ENTRIES) : 1;
  localparam int SB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int CB = $clog2(DEPTH + 1);
  localparam int IB = (SUB > 1) ? $clog2(SUB) : 1;

  (* ram_style = BUFFER_STYLE *) logic [SW-1:0] mem [0:ENTRIES-1];
  logic [SB-1:0] wslot, rslot;
  logic [IB-1:0] wsub, rsub;             // sub-word being written / read (0: idle)
  logic [CB-1:0] used;                   // slots pushed and not yet read out
  logic [CB-1:0] avail;                  // complete words not yet started reading
  logic push, pop, wdone, rstart, rlast, rd;
  logic load;                            // the output register takes a word (valid next cycle)

  assign s_ready = (wsub == '0) && (used != CB'(DEPTH));
  assign push = s_valid && s_ready;
  assign pop = m_valid && m_ready;
  // the reader starts a word (sub-word 0) when one is complete and it is idle; the last
  // sub-word goes to the output register once that is free
  assign rstart = (rsub == '0) && (avail != '0) && (SUB > 1 || !m_valid || pop);
  assign rlast = (SUB == 1) ? rstart : (rsub == IB'(SUB - 1)) && (!m_valid || pop);
  assign rd = rstart || (rsub != '0 && (rsub != IB'(SUB - 1) || rlast));

  logic [AB-1:0] waddr, raddr;
  logic [SW-1:0] wdata;
  assign waddr = AB'(wslot) * AB'(SUB) + AB'(wsub);
  assign raddr = AB'(rslot) * AB'(SUB) + AB'(rsub);

  if (SUB > 1) begin : g_packed
    logic [PW-SW-1:0] wrest;             // sub-words 1 .. SUB−1 of the word being written
    logic [PW-SW-1:0] abuf;              // sub-words 0 .. SUB−2 of the word being read
    logic [PW-1:0] word_in;
    assign word_in = PW'(s_data);
    assign wdata = push ? word_in[SW-1:0] : wrest[SW-1:0];
    assign wdone = (wsub == IB'(SUB - 1));
    always_ff @(posedge clk) begin
      if (push) wrest <= word_in[PW-1:SW];
      else if (wsub != '0) wrest <= wrest >> SW;
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        wsub <= '0;
        rsub <= '0;
      end else begin
        if (push) wsub <= IB'(1);
        else if (wsub != '0) wsub <= wdone ? '0 : wsub + 1'b1;
        if (rstart) rsub <= IB'(1);
        else if (rsub != '0 && rsub != IB'(SUB - 1)) rsub <= rsub + 1'b1;
        else if (rlast) rsub <= '0;
      end
    end
    // the memory's read register q; sub-words 0..SUB−2 shift into abuf from the top, the
    // cycle after the last one is read the output register takes {q, abuf}
    logic [SW-1:0] q;
    always_ff @(posedge clk) begin
      if (rd) q <= mem[raddr];
    end
    logic rd_q;                          // q holds a sub-word other than the last
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        rd_q <= 1'b0;
        load <= 1'b0;
      end else begin
        rd_q <= rd && !rlast;
        load <= rlast;
      end
    end
    if (SUB > 2) begin : g_shift
      always_ff @(posedge clk) begin
        if (rd_q) abuf <= {q, abuf[PW-SW-1:SW]};
      end
    end else begin : g_one
      always_ff @(posedge clk) begin
        if (rd_q) abuf <= q;
      end
    end
    always_ff @(posedge clk) begin
      if (load) m_data <= WORD'({q, abuf});
    end
  end else begin : g_plain
    assign wdata = s_data;
    assign wdone = push;
    assign wsub = '0;
    assign rsub = '0;
    assign load = rlast;
    always_ff @(posedge clk) begin
      if (rd) m_data <= mem[raddr];
    end
  end

  always_ff @(posedge clk) begin
    if (push || wsub != '0) mem[waddr] <= wdata;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wslot <= '0;
      rslot <= '0;
      used <= '0;
      avail <= '0;
      m_valid <= 1'b0;
    end else begin
      if (wdone) wslot <= (wslot == SB'(DEPTH - 1)) ? '0 : wslot + 1'b1;
      if (rlast) rslot <= (rslot == SB'(DEPTH - 1)) ? '0 : rslot + 1'b1;
      if (push && !rlast) used <= used + 1'b1;
      else if (!push && rlast) used <= used - 1'b1;
      if (wdone && !rstart) avail <= avail + 1'b1;
      else if (!wdone && rstart) avail <= avail - 1'b1;
      if (load) m_valid <= 1'b1;
      else if (pop) m_valid <= 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) busy_cycles <= '0;
    else if (push) busy_cycles <= busy_cycles + 64'd1;
  end
endmodule
