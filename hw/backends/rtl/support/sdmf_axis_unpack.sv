// Input adapter of the generated top: 64-bit AXI4-Stream beats -> position words.
// Layout (sdmf/device/stream.py): WORD <= 64: 64/WORD whole positions per beat, lowest first;
// WORD > 64: ceil(WORD/64) beats per position, least significant beat first.
// The last beat of a sample may be partially filled (POSITIONS is known).
module sdmf_axis_unpack #(
    parameter int WORD = 32,
    parameter int POSITIONS = 1024
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic            s_valid,
    output logic            s_ready,
    input  logic [63:0]     s_data,
    output logic            m_valid,
    input  logic            m_ready,
    output logic [WORD-1:0] m_data
);
  generate
    if (WORD <= 64) begin : g_narrow
      localparam int PER = 64 / WORD;
      localparam int PW = $clog2(POSITIONS + 1);
      localparam int LW = $clog2(PER + 1);
      logic [63:0] beat;
      logic [LW-1:0] left;
      logic [PW-1:0] pos;  // positions of the current sample already loaded
      logic [PW-1:0] remaining;
      assign remaining = PW'(POSITIONS) - pos;
      assign s_ready = (left == '0);
      assign m_valid = (left != '0);
      assign m_data = beat[WORD-1:0];
      always_ff @(posedge clk) begin
        if (!rst_n) begin
          beat <= '0;
          left <= '0;
          pos <= '0;
        end else if (s_valid && s_ready) begin
          beat <= s_data;
          // compared as int: PER may exceed what PW bits hold (a sample smaller than a beat)
          if (int'(remaining) > PER) begin
            left <= LW'(PER);
            pos <= pos + PW'(PER);
          end else begin
            left <= LW'(remaining);
            pos <= '0;
          end
        end else if (m_valid && m_ready) begin
          beat <= beat >> WORD;
          left <= left - 1'b1;
        end
      end
    end else begin : g_wide
      localparam int NB = (WORD + 63) / 64;
      localparam int KW = (NB > 1) ? $clog2(NB) : 1;
      logic [NB*64-1:0] buffer;
      logic [KW-1:0] k;
      logic full;
      assign s_ready = !full;
      assign m_valid = full;
      assign m_data = buffer[WORD-1:0];
      always_ff @(posedge clk) begin
        if (!rst_n) begin
          buffer <= '0;
          k <= '0;
          full <= 1'b0;
        end else if (s_valid && s_ready) begin
          buffer[k*64+:64] <= s_data;
          if (k == KW'(NB - 1)) begin
            k <= '0;
            full <= 1'b1;
          end else begin
            k <= k + 1'b1;
          end
        end else if (m_valid && m_ready) begin
          full <= 1'b0;
        end
      end
    end
  endgenerate
endmodule
