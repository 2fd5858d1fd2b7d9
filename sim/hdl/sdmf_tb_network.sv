// Whole-network testbench wrapper (simulation only): sdmf_top plus an AXI4-Stream
// source that streams one sample from a preloaded memory and a sink that logs every
// output beat, so no Python runs per clock. cocotb drives AXI4-Lite, `sample` and
// `load`. Files are relative to the simulation's working folder:
//   inputs/input_<sample>.hex   BEATS 64-bit words ($readmemh), written by sdmf.sim.network
//   inputs/params.hex           `plen` (≤ PBEATS) 64-bit words: the parameter load image,
//                               streamed when `pload` pulses (runtime-loaded parameters)
//   output.txt                  "<frame> <tdata hex> <tlast>" per output beat (frame =
//                               index of the inference, counted by the sink)
// IN_GAP / OUT_GAP (0..255): probability/256 of an idle cycle on the input valid and
// on the output ready (pseudo-random, LFSR), to exercise back-pressure.
module sdmf_tb_network #(
    parameter int BEATS = 1,
    parameter int ADDR_BITS = 7,
    parameter int PBEATS = 1
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic [ADDR_BITS-1:0] awaddr,
    input  logic                 awvalid,
    output logic                 awready,
    input  logic [31:0]          wdata,
    input  logic [3:0]           wstrb,
    input  logic                 wvalid,
    output logic                 wready,
    output logic [1:0]           bresp,
    output logic                 bvalid,
    input  logic                 bready,
    input  logic [ADDR_BITS-1:0] araddr,
    input  logic                 arvalid,
    output logic                 arready,
    output logic [31:0]          rdata,
    output logic [1:0]           rresp,
    output logic                 rvalid,
    input  logic                 rready,
    /* verilator lint_off SYMRSVDWORD */
    output logic                 interrupt,
    /* verilator lint_on SYMRSVDWORD */
    input  logic [31:0]          sample,
    input  logic                 load,
    input  logic                 pload,
    input  logic [31:0]          plen,
    input  logic [7:0]           in_gap,
    input  logic [7:0]           out_gap,
    output logic                 src_active,
    output logic [31:0]          frames_out
);
  logic [63:0] mem [0:BEATS-1];
  logic [63:0] pmem [0:PBEATS-1];
  logic params;                          // the source streams pmem (else mem)
  logic [31:0] idx;
  logic [31:0] lfsr_in, lfsr_out;
  logic s_tvalid, s_tready, s_tlast, m_tvalid, m_tready, m_tlast;
  logic [63:0] m_tdata;
  logic [7:0] m_tkeep;
  integer fd_out;

  initial fd_out = $fopen("output.txt", "w");
  final $fclose(fd_out);

  assign s_tlast = (idx == (params ? plen - 32'd1 : 32'(BEATS - 1)));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      src_active <= 1'b0;
      params <= 1'b0;
      idx <= '0;
      s_tvalid <= 1'b0;
      lfsr_in <= 32'hACE1_1234;
      lfsr_out <= 32'h1357_9BDF;
      m_tready <= 1'b0;
      frames_out <= '0;
    end else begin
      lfsr_in <= {lfsr_in[30:0], lfsr_in[31] ^ lfsr_in[21] ^ lfsr_in[1] ^ lfsr_in[0]};
      lfsr_out <= {lfsr_out[30:0], lfsr_out[31] ^ lfsr_out[21] ^ lfsr_out[1] ^ lfsr_out[0]};
      m_tready <= (lfsr_out[7:0] >= out_gap);
      if (load) begin
        $readmemh($sformatf("inputs/input_%0d.hex", sample), mem);
        src_active <= 1'b1;
        params <= 1'b0;
        idx <= '0;
        s_tvalid <= 1'b0;
      end else if (pload) begin
        $readmemh("inputs/params.hex", pmem);
        src_active <= 1'b1;
        params <= 1'b1;
        idx <= '0;
        s_tvalid <= 1'b0;
      end else if (src_active) begin
        if (s_tvalid && s_tready) begin
          idx <= idx + 1;
          if (s_tlast) begin
            src_active <= 1'b0;
            s_tvalid <= 1'b0;
          end else begin
            s_tvalid <= (lfsr_in[7:0] >= in_gap);
          end
        end else if (!s_tvalid) begin
          s_tvalid <= (lfsr_in[7:0] >= in_gap);
        end
      end
      if (m_tvalid && m_tready) $fwrite(fd_out, "%0d %h %0d\n", frames_out, m_tdata, m_tlast);
      if (m_tvalid && m_tready && m_tlast) begin
        $fflush(fd_out);
        frames_out <= frames_out + 1;
      end
    end
  end

  sdmf_top dut (
      .ap_clk(clk),
      .ap_rst_n(rst_n),
      .s_axis_tdata(params ? pmem[idx] : mem[idx]),
      .s_axis_tvalid(s_tvalid),
      .s_axis_tready(s_tready),
      .s_axis_tlast(s_tlast),
      .m_axis_tdata(m_tdata),
      .m_axis_tkeep(m_tkeep),
      .m_axis_tvalid(m_tvalid),
      .m_axis_tready(m_tready),
      .m_axis_tlast(m_tlast),
      .s_axi_control_awaddr(awaddr),
      .s_axi_control_awvalid(awvalid),
      .s_axi_control_awready(awready),
      .s_axi_control_wdata(wdata),
      .s_axi_control_wstrb(wstrb),
      .s_axi_control_wvalid(wvalid),
      .s_axi_control_wready(wready),
      .s_axi_control_bresp(bresp),
      .s_axi_control_bvalid(bvalid),
      .s_axi_control_bready(bready),
      .s_axi_control_araddr(araddr),
      .s_axi_control_arvalid(arvalid),
      .s_axi_control_arready(arready),
      .s_axi_control_rdata(rdata),
      .s_axi_control_rresp(rresp),
      .s_axi_control_rvalid(rvalid),
      .s_axi_control_rready(rready),
      .interrupt(interrupt)
  );
endmodule
