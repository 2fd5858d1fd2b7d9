// Output adapter of the generated top: the head's K logit words and its class word
// (s_last) as 64-bit AXI4-Stream beats — logits sign-extended, the class
// zero-extended, TLAST on the class beat. Pure wiring (the head's output is registered).
module sdmf_axis_logits #(
    parameter int LOGIT_BITS = 32
) (
    input  logic                  s_valid,
    output logic                  s_ready,
    input  logic [LOGIT_BITS-1:0] s_data,
    input  logic                  s_last,
    output logic                  m_valid,
    input  logic                  m_ready,
    output logic [63:0]           m_data,
    output logic                  m_last
);
  localparam int PAD = 64 - LOGIT_BITS;
  assign m_valid = s_valid;
  assign s_ready = m_ready;
  assign m_last = s_last;
  assign m_data = s_last ? {{PAD{1'b0}}, s_data} : {{PAD{s_data[LOGIT_BITS-1]}}, s_data};
endmodule
