// sdmf_param_loader — the load path of runtime-loaded parameters (docs/params.md).
//
// While `load` is 1 the input stream's beats arrive here (s_ready = 1 from the second
// cycle of `load`). The stream is a sequence of chunks: a header beat (memory id [15:0],
// word offset [39:16], word count [63:40] ≥ 1) then count·B data beats, B = BEATS of
// the memory, word offset + i in beats i·B … i·B + B − 1, least significant first. The
// last beat of a word writes it: prm_we pulses one cycle later with prm_id, prm_addr and
// prm_data, the word register itself (the write happens at the edge that may already
// take the next word's first beat, so the unit stores the complete word). The word
// register is a shift register: each beat enters at the top and the others move down one
// beat, so a word of B beats ends in the top B beats, least significant beat lowest
// (prm_data[64·(MAXB − B) +: width]; sdmf.device.params.bus_word): no per-beat
// multiplexers, each unit takes its words from fixed bits. A malformed header (id ≥ NMEM,
// count 0, offset + count > depth) sets
// `error`; later beats are dropped. Every beat updates a CRC-32 (reflected polynomial
// 0xEDB88320, init all ones, bits least significant first; `crc` is its complement, the
// value zlib.crc32 gives for the little-endian bytes). When `load` falls, `valid` ←
// no error, not inside a chunk, TOTAL_WORDS words written and crc = expect_crc; a load
// that ends inside a chunk sets `error`. Rising `load` clears everything.
module sdmf_param_loader #(
  parameter int NMEM = 1,
  parameter int MAXB = 1,                       // largest beats per word
  parameter logic [32*NMEM-1:0] DEPTHS = '1,    // depth of memory i at [32·i +: 32]
  parameter logic [32*NMEM-1:0] BEATS = '1,     // beats per word of memory i
  parameter int TOTAL_WORDS = 1
) (
  input  logic clk,
  input  logic rst_n,
  input  logic load,
  input  logic [31:0] expect_crc,
  input  logic s_valid,
  output logic s_ready,
  input  logic [63:0] s_data,
  output logic prm_we,
  output logic [15:0] prm_id,
  output logic [23:0] prm_addr,
  output logic [64*MAXB-1:0] prm_data,
  output logic [31:0] crc,
  output logic valid,
  output logic error
);
  localparam int SB = (MAXB > 1) ? $clog2(MAXB) : 1;

  function automatic [31:0] crc_beat(input [31:0] c, input [63:0] d);
    reg [31:0] x;
    integer i;
    begin
      x = c;
      for (i = 0; i < 64; i = i + 1) x = (x >> 1) ^ ((x[0] ^ d[i]) ? 32'hEDB88320 : 32'h0);
      crc_beat = x;
    end
  endfunction

  logic load_q, in_chunk;
  logic [31:0] state;
  logic [31:0] words;
  logic [15:0] id;
  logic [23:0] addr;
  logic [24:0] left;                 // words left in the chunk
  logic [SB-1:0] sub, last_sub;      // beat within the word, the word's last beat
  logic [64*MAXB-1:0] wbuf;

  assign s_ready = load && load_q;
  assign prm_data = wbuf;
  assign crc = ~state;
  wire take = s_valid && s_ready;

  // header fields and their checks
  wire [15:0] h_id = s_data[15:0];
  wire [23:0] h_off = s_data[39:16];
  wire [23:0] h_cnt = s_data[63:40];
  wire h_id_ok = 32'(h_id) < NMEM;
  wire [31:0] h_depth = h_id_ok ? DEPTHS[32 * 32'(h_id) +: 32] : 32'h0;
  wire [31:0] h_beats = h_id_ok ? BEATS[32 * 32'(h_id) +: 32] : 32'h1;
  wire h_ok = h_id_ok && h_cnt != 24'h0 && 32'(h_off) + 32'(h_cnt) <= h_depth;

  // the word register with this beat shifted in at the top
  logic [64*MAXB-1:0] word_next;
  if (MAXB > 1) begin : g_shift
    assign word_next = {s_data, wbuf[64*MAXB-1:64]};
  end else begin : g_one
    assign word_next = s_data;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      load_q <= 1'b0;
      in_chunk <= 1'b0;
      state <= 32'hFFFFFFFF;
      words <= '0;
      valid <= 1'b0;
      error <= 1'b0;
      prm_we <= 1'b0;
      id <= '0;
      addr <= '0;
      left <= '0;
      sub <= '0;
      last_sub <= '0;
    end else begin
      load_q <= load;
      prm_we <= 1'b0;
      if (load && !load_q) begin               // a new load: forget the last one
        in_chunk <= 1'b0;
        state <= 32'hFFFFFFFF;
        words <= '0;
        valid <= 1'b0;
        error <= 1'b0;
      end else if (!load && load_q) begin      // the load ends: latch the verdict
        valid <= !error && !in_chunk && words == 32'(TOTAL_WORDS) && ~state == expect_crc;
        if (in_chunk) error <= 1'b1;
      end
      if (take) begin
        state <= crc_beat(state, s_data);
        if (error) begin
          // dropped
        end else if (!in_chunk) begin
          if (h_ok) begin
            in_chunk <= 1'b1;
            id <= h_id;
            addr <= h_off;
            left <= 25'(h_cnt);
            sub <= '0;
            last_sub <= SB'(h_beats - 32'h1);
          end else begin
            error <= 1'b1;
          end
        end else if (sub == last_sub) begin
          prm_we <= 1'b1;
          prm_id <= id;
          prm_addr <= addr;
          addr <= addr + 24'h1;
          words <= words + 32'h1;
          sub <= '0;
          left <= left - 25'h1;
          if (left == 25'h1) in_chunk <= 1'b0;
        end else begin
          sub <= sub + 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk) begin
    if (take && in_chunk) wbuf <= word_next;
  end
endmodule
