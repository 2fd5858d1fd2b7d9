// AXI4-Lite control slave with the register map of a Vitis HLS s_axi_control block
// (docs/hardware.md, "Top level"), plus read-only ID, IR hash, cycle counters,
// configuration, status and optional per-layer busy counters. Every offset, flag bit,
// the ID and the counter addresses come from the generated package sdmf_regmap_pkg
// (sdmf.device.regmap); compile it first.
// Handshake with the core: `start` pulses when ap_start is set and the core can take
// a new sample (`can_start`); `ready_evt` pulses when a sample's input is complete
// (ap_ready), `done` when its output is complete (ap_done). Both are clear-on-read.
// Runtime-loaded parameters (LOADABLE = 1, docs/params.md): the parameter register's
// `load` bit is `param_load`, a write of the checksum register sets `param_expect`;
// `start` needs `params_valid` and `load` = 0, an ap_start without them is cleared and
// sets `refused` (sticky until the next load). LOADABLE = 0: `valid` reads 1, `load` and
// the expected checksum are ignored.
module sdmf_axilite_ctrl #(
    parameter int          ADDR_BITS = 7,
    parameter logic [31:0] IR_HASH = 32'h0,
    parameter logic [31:0] CONFIG0 = 32'h0,
    parameter logic [31:0] CONFIG1 = 32'h0,
    parameter int          NUM_COUNTERS = 0,
    parameter int          LOADABLE = 0
) (
    input  logic                 clk,
    input  logic                 rst_n,
    // AXI4-Lite
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
    output logic                 irq,
    // core handshake
    output logic                 start,      // one-cycle pulse: begin an inference
    input  logic                 can_start,  // the input is free for a new sample
    input  logic                 idle,       // no inference in flight
    input  logic                 ready_evt,  // one-cycle pulse: a sample's input is complete
    input  logic                 done,       // one-cycle pulse: an inference finished
    input  logic [63:0]          cycles,     // latency of the last finished inference
    input  logic [63:0]          interval,   // cycles between the last two finished inferences
    input  logic [31:0]          status,
    input  logic [64*(NUM_COUNTERS > 0 ? NUM_COUNTERS : 1)-1:0] counters,
    // runtime-loaded parameters
    output logic                 param_load,  // level: the input stream feeds the loader
    output logic [31:0]          param_expect,
    input  logic                 params_valid,
    input  logic                 param_error,
    input  logic [31:0]          param_crc
);
  localparam int DB = sdmf_regmap_pkg::DECODE_BITS;
  localparam int IRQ = sdmf_regmap_pkg::IRQ_BITS;
  logic ap_start, ap_done, ap_ready, auto_restart, gie;
  logic [IRQ-1:0] ier, isr;
  logic [ADDR_BITS-1:0] aw_q;
  logic aw_full, w_full;
  /* verilator lint_off UNUSEDSIGNAL */  // registers use only some write-data bits
  logic [31:0] w_q;
  logic [3:0] ws_q;
  /* verilator lint_on UNUSEDSIGNAL */

  // ---------------------------------------------------------------- writes
  assign awready = !aw_full;
  assign wready = !w_full;
  assign bresp = 2'b00;
  wire do_write = aw_full && w_full && !bvalid;
  wire [DB-1:0] waddr = DB'(aw_q);

  // ---------------------------------------------------------------- reads
  logic [31:0] rmux;
  wire [DB-1:0] raddr = DB'(araddr);
  wire do_read = arvalid && arready;
  assign arready = !rvalid;
  assign rresp = 2'b00;

  // ---------------------------------------------------------------- core handshake
  logic refused;
  wire usable = (LOADABLE == 0) || (params_valid && !param_load);
  assign start = ap_start && can_start && usable;
  wire ap_idle = idle && !ap_start;
  assign irq = gie && |(isr & ier);
  // ISR: a write toggles the bits it names, an enabled event sets its bit; both in one
  // cycle, so an event is never lost to a simultaneous write
  logic [IRQ-1:0] isr_evt;
  always_comb begin
    isr_evt = '0;
    isr_evt[sdmf_regmap_pkg::IER_DONE] = done;
    isr_evt[sdmf_regmap_pkg::IER_READY] = ready_evt;
  end
  wire [IRQ-1:0] isr_toggle = (do_write && ws_q[0] && waddr == sdmf_regmap_pkg::REG_ISR)
                              ? w_q[IRQ-1:0] : '0;
  wire [IRQ-1:0] isr_set = ier & isr_evt;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      aw_full <= 1'b0;
      w_full <= 1'b0;
      aw_q <= '0;
      w_q <= '0;
      ws_q <= '0;
      bvalid <= 1'b0;
      rvalid <= 1'b0;
      rdata <= '0;
      ap_start <= 1'b0;
      ap_done <= 1'b0;
      ap_ready <= 1'b0;
      auto_restart <= 1'b0;
      gie <= 1'b0;
      ier <= '0;
      isr <= '0;
      param_load <= 1'b0;
      param_expect <= '0;
      refused <= 1'b0;
    end else begin
      if (awvalid && awready) begin
        aw_full <= 1'b1;
        aw_q <= awaddr;
      end
      if (wvalid && wready) begin
        w_full <= 1'b1;
        w_q <= wdata;
        ws_q <= wstrb;
      end
      if (bvalid && bready) bvalid <= 1'b0;
      if (rvalid && rready) rvalid <= 1'b0;
      // core events (a write of ap_start in the same cycle takes precedence below)
      if (start && !auto_restart) ap_start <= 1'b0;
      if (ap_start && !usable) begin           // refused: nothing starts on bad parameters
        ap_start <= 1'b0;
        refused <= 1'b1;
      end
      if (done) ap_done <= 1'b1;
      if (ready_evt) ap_ready <= 1'b1;
      isr <= (isr ^ isr_toggle) | isr_set;
      if (do_write) begin
        aw_full <= 1'b0;
        w_full <= 1'b0;
        bvalid <= 1'b1;
        if (ws_q[0]) begin
          case (waddr)
            sdmf_regmap_pkg::REG_CONTROL: begin
              if (w_q[sdmf_regmap_pkg::CONTROL_AP_START]) ap_start <= 1'b1;
              auto_restart <= w_q[sdmf_regmap_pkg::CONTROL_AUTO_RESTART];
              if (!w_q[sdmf_regmap_pkg::CONTROL_AUTO_RESTART]
                  && !w_q[sdmf_regmap_pkg::CONTROL_AP_START] && auto_restart)
                ap_start <= 1'b0;
            end
            sdmf_regmap_pkg::REG_GIE: gie <= w_q[sdmf_regmap_pkg::GIE_ENABLE];
            sdmf_regmap_pkg::REG_IER: ier <= w_q[IRQ-1:0];
            sdmf_regmap_pkg::REG_PARAM: if (LOADABLE != 0) begin
              param_load <= w_q[sdmf_regmap_pkg::PARAM_LOAD];
              if (w_q[sdmf_regmap_pkg::PARAM_LOAD] && !param_load) refused <= 1'b0;
            end
            sdmf_regmap_pkg::REG_PARAM_CRC: if (LOADABLE != 0) param_expect <= w_q;
            default: ;
          endcase
        end
      end
      if (do_read) begin
        rvalid <= 1'b1;
        rdata <= rmux;
        if (raddr == sdmf_regmap_pkg::REG_CONTROL) begin  // clear on read (a simultaneous
          ap_done <= done;                                 // event survives)
          ap_ready <= ready_evt;
        end
      end
    end
  end

  always_comb begin
    rmux = 32'h0;
    case (raddr)
      sdmf_regmap_pkg::REG_CONTROL: begin
        rmux[sdmf_regmap_pkg::CONTROL_AP_START] = ap_start;
        rmux[sdmf_regmap_pkg::CONTROL_AP_DONE] = ap_done;
        rmux[sdmf_regmap_pkg::CONTROL_AP_IDLE] = ap_idle;
        rmux[sdmf_regmap_pkg::CONTROL_AP_READY] = ap_ready;
        rmux[sdmf_regmap_pkg::CONTROL_AUTO_RESTART] = auto_restart;
      end
      sdmf_regmap_pkg::REG_GIE: rmux[sdmf_regmap_pkg::GIE_ENABLE] = gie;
      sdmf_regmap_pkg::REG_IER: rmux = 32'(ier);
      sdmf_regmap_pkg::REG_ISR: rmux = 32'(isr);
      sdmf_regmap_pkg::REG_ID: rmux = sdmf_regmap_pkg::ID_VALUE;
      sdmf_regmap_pkg::REG_IR_HASH: rmux = IR_HASH;
      sdmf_regmap_pkg::REG_LATENCY_LO: rmux = cycles[31:0];
      sdmf_regmap_pkg::REG_LATENCY_HI: rmux = cycles[63:32];
      sdmf_regmap_pkg::REG_CONFIG0: rmux = CONFIG0;
      sdmf_regmap_pkg::REG_CONFIG1: rmux = CONFIG1;
      sdmf_regmap_pkg::REG_STATUS: rmux = status;
      sdmf_regmap_pkg::REG_COUNTERS: rmux = 32'(NUM_COUNTERS);
      sdmf_regmap_pkg::REG_INTERVAL_LO: rmux = interval[31:0];
      sdmf_regmap_pkg::REG_INTERVAL_HI: rmux = interval[63:32];
      sdmf_regmap_pkg::REG_PARAM: begin
        rmux[sdmf_regmap_pkg::PARAM_LOAD] = param_load;
        rmux[sdmf_regmap_pkg::PARAM_VALID] = (LOADABLE == 0) || params_valid;
        rmux[sdmf_regmap_pkg::PARAM_ERROR] = (LOADABLE != 0) && param_error;
        rmux[sdmf_regmap_pkg::PARAM_REFUSED] = refused;
        rmux[sdmf_regmap_pkg::PARAM_LOADABLE] = LOADABLE != 0;
      end
      sdmf_regmap_pkg::REG_PARAM_CRC: rmux = (LOADABLE != 0) ? param_crc : 32'h0;
      default: begin
        for (int i = 0; i < NUM_COUNTERS; i++) begin
          if (raddr == DB'(sdmf_regmap_pkg::COUNTER_BASE + sdmf_regmap_pkg::COUNTER_STRIDE * i))
            rmux = counters[64*i+:32];
          if (raddr == DB'(sdmf_regmap_pkg::COUNTER_BASE + sdmf_regmap_pkg::COUNTER_HI
                           + sdmf_regmap_pkg::COUNTER_STRIDE * i))
            rmux = counters[64*i+32+:32];
        end
      end
    endcase
  end
endmodule
