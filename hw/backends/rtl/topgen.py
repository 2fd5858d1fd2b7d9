"""The generated top level ``sdmf_top``: AXI4-Stream in/out, AXI4-Lite control, units.

Control (docs/hardware.md, "Top level"): ``ap_start`` opens the input for one
sample (``BEATS`` beats, a wrong ``TLAST`` sets status bit 0), a cycle counter runs
from start to the output beat with ``TLAST`` (``done``), which sets ``ap_done`` and
the interrupt. With ``trace`` the top contains simulation-only monitors
(```ifdef SDMF_TRACE``) that write every inter-unit transfer to
``trace/<tap>.hex`` and every layer's busy counter at each done to
``trace/busy.txt``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sdmf.device import DeviceInterface, regmap
from sdmf.device.params import OFFSET_FIELD, ParamSet

from ...backends.base import GenOptions
from ...graph import HwGraph, Stream
from .kinds import busy, fork_data, rtl_kind
from .regpkg import PACKAGE
from .sv import clog2, instance

INFLIGHT = 8          # inferences in flight at most (a power of two: the queue wraps)
TRACE_DIR = "trace"
EVENTS_FILE = "events.txt"     # start / first valid beat / done cycles (sdmf.hw.timing)


def trace_streams(graph: HwGraph) -> list[Stream]:
    """The streams the trace monitors record: every unit's own output (not forks/FIFOs)."""
    out, seen = [], set()
    for s in graph.streams:
        src = graph.spec(graph.layers[s.src])
        if (src.compute or src.boundary) and s.dst != "output" and s.taps \
                and s.taps[0] not in seen:
            out.append(s)
            seen.add(s.taps[0])
    return out


def trace_file(stream: Stream) -> str:
    return f"{TRACE_DIR}/{stream.taps[0]}.hex"


def config_words(graph: HwGraph) -> tuple[int, int]:
    """The configuration registers (T, classes, in_bits, weight bits; H, W, word beats)
    of ``graph``."""
    i = graph.info
    T, _, H, W = i["input_shape"]
    return regmap.config_words(T, i["classes"], i["in_bits"], i["weight_bits"], H, W,
                               i.get("word_beats", 1))


def busy_layers(graph: HwGraph) -> list[str]:
    """Layers with a busy counter: compute units first, then forks and FIFOs."""
    specs = [(lay, graph.spec(lay)) for lay in graph.layers.values()]
    return ([lay.name for lay, k in specs if k.compute]
            + [lay.name for lay, k in specs if k.busy and not k.compute])


def device_interface(graph: HwGraph, options: GenOptions,
                     params: ParamSet | None = None) -> DeviceInterface:
    """The host-visible interface of the design (``interface.json``); ``params``: the
    set of its runtime-loaded parameters (None: ROMs)."""
    i = graph.info
    return DeviceInterface(
        ir_hash=i["ir_hash"], input_shape=tuple(i["input_shape"]), in_bits=i["in_bits"],
        weight_bits=i["weight_bits"], classes=i["classes"],
        counter_layers=tuple(busy_layers(graph)) if options.counters else (),
        model=i.get("model"), logit_scale=i.get("logit_scale"),
        interval_cycles=(i.get("cycles") or {}).get("interval"), max_in_flight=INFLIGHT,
        clock_mhz=options.clock_mhz, params=params, design_hash=i.get("design_hash"),
        word_beats=i.get("word_beats", 1))


def top_ports(aw: int) -> list[tuple[str, int, str]]:
    """``(direction, width, name)`` of the top's ports (AXI-Lite address width ``aw``)."""
    lite = [("input", aw, "awaddr"), ("input", 1, "awvalid"), ("output", 1, "awready"),
            ("input", 32, "wdata"), ("input", 4, "wstrb"), ("input", 1, "wvalid"),
            ("output", 1, "wready"), ("output", 2, "bresp"), ("output", 1, "bvalid"),
            ("input", 1, "bready"), ("input", aw, "araddr"), ("input", 1, "arvalid"),
            ("output", 1, "arready"), ("output", 32, "rdata"), ("output", 2, "rresp"),
            ("output", 1, "rvalid"), ("input", 1, "rready")]
    return [("input", 1, "ap_clk"), ("input", 1, "ap_rst_n"),
            ("input", 64, "s_axis_tdata"), ("input", 1, "s_axis_tvalid"),
            ("output", 1, "s_axis_tready"), ("input", 1, "s_axis_tlast"),
            ("output", 64, "m_axis_tdata"), ("output", 8, "m_axis_tkeep"),
            ("output", 1, "m_axis_tvalid"), ("input", 1, "m_axis_tready"),
            ("output", 1, "m_axis_tlast"),
            *((d, w, f"s_axi_control_{n}") for d, w, n in lite),
            ("output", 1, "interrupt")]


def port_lines(aw: int, kind: str) -> list[str]:
    """Port declarations (``logic`` for SystemVerilog, ``wire`` for the Verilog wrapper)."""
    out = ["    (* X_INTERFACE_PARAMETER = \"ASSOCIATED_BUSIF s_axis:m_axis:s_axi_control, "
           "ASSOCIATED_RESET ap_rst_n\" *)"]
    ports = top_ports(aw)
    for i, (d, w, n) in enumerate(ports):
        rng = f"[{w - 1}:0] " if w > 1 else ""
        sep = "," if i < len(ports) - 1 else ""
        if n == "interrupt":
            out += ["    /* verilator lint_off SYMRSVDWORD */  // the Vitis HLS name",
                    "    (* X_INTERFACE_INFO = \"xilinx.com:signal:interrupt:1.0 interrupt "
                    "INTERRUPT\" *)",
                    "    (* X_INTERFACE_PARAMETER = \"SENSITIVITY LEVEL_HIGH\" *)"]
        out.append(f"    {d:<6} {kind} {rng}{n}{sep}")
        if n == "interrupt":
            out.append("    /* verilator lint_on SYMRSVDWORD */")
    return out


def generate_wrapper(graph: HwGraph, options: GenOptions, inner: str = "sdmf_top",
                     iface: DeviceInterface | None = None) -> str:
    """``sdmf_ip``: a Verilog-2001 wrapper of ``inner`` (a module with ``top_ports``) for
    Vivado module references."""
    aw = (iface or device_interface(graph, options)).axil_addr_bits
    conns = ",\n".join(f"      .{n}({n})" for _, _, n in top_ports(aw))
    return "\n".join([
        f"// sdmf_ip — Verilog wrapper of {inner} (block designs reference Verilog modules).",
        "module sdmf_ip (", *port_lines(aw, "wire"), ");",
        f"  {inner} u_top (", conns, "  );", "endmodule", ""])


def control_lines(iface: DeviceInterface, counters: str,
                  loader: Sequence[str] = (), canonical: bool = False) -> list[str]:
    """The control section of a top with ``port_lines``' ports: input gating (exactly
    ``BEATS`` beats per ``ap_start``, a wrong ``TLAST`` sets the status bit), the
    in-flight queue, latency and interval counters and the AXI4-Lite block
    ``sdmf_axilite_ctrl`` (registers of :mod:`sdmf.device.regmap`). The enclosing module
    drives ``in_ready`` (the datapath takes ``s_axis_tdata`` when ``in_valid``) and
    ``m_axis_tdata``/``tvalid``/``tlast``; ``counters`` is the busy-counter vector.
    ``loader``: the parameter loader's lines (:func:`_param_block`, docs/params.md),
    which take the input stream while ``param_load`` is set; empty: ROM parameters (the
    PARAM register reads valid, ``param_load``/``param_expect`` are unused).
    ``canonical``: the hash register's value left out (:func:`generate_top`)."""
    beats = iface.beats_per_sample
    bw = clog2(beats + 1)
    lines = [
        f"  localparam int BEATS = {beats};",
        "",
        "  // ------------------------------------------------------------ control",
        "  // Inferences overlap: a new sample may start once the previous one's input is",
        "  // complete; start times wait in a small queue until the matching output ends.",
        f"  localparam int INFLIGHT = {INFLIGHT};",
        "  logic start, done, in_open, input_done, tlast_error;",
        f"  logic [{bw - 1}:0] beat;",
        f"  logic [{clog2(INFLIGHT + 1) - 1}:0] in_flight;",
        f"  logic [{clog2(INFLIGHT) - 1}:0] ts_wr, ts_rd;",
        "  logic [63:0] now, cycles_last, interval_last, last_done;",
        "  logic [63:0] started [0:INFLIGHT-1];",
        "  logic in_valid, in_ready;",
        *(["  assign in_valid = in_open && !param_load && s_axis_tvalid;",
           "  assign s_axis_tready = param_load ? ldr_ready : in_open && in_ready;"]
          if loader else ["  assign in_valid = in_open && s_axis_tvalid;",
                          "  assign s_axis_tready = in_open && in_ready;"]),
        f"  assign input_done = in_valid && in_ready && beat == {bw}'(BEATS - 1);",
        "  assign done = m_axis_tvalid && m_axis_tready && m_axis_tlast;",
        "  assign m_axis_tkeep = 8'hFF;",
        "  always_ff @(posedge ap_clk) begin",
        "    if (start) started[ts_wr] <= now;",
        "  end",
        "  always_ff @(posedge ap_clk) begin",
        "    if (!ap_rst_n) begin",
        "      in_open <= 1'b0;",
        "      in_flight <= '0;",
        "      ts_wr <= '0;",
        "      ts_rd <= '0;",
        "      beat <= '0;",
        "      now <= '0;",
        "      cycles_last <= '0;",
        "      interval_last <= '0;",
        "      last_done <= '0;",
        "      tlast_error <= 1'b0;",
        "    end else begin",
        "      now <= now + 64'd1;",
        "      if (start) begin",
        "        in_open <= 1'b1;",
        "        beat <= '0;",
        "        ts_wr <= ts_wr + 1'b1;",
        "      end",
        "      if (in_valid && in_ready) begin",
        f"        if (s_axis_tlast != (beat == {bw}'(BEATS - 1))) tlast_error <= 1'b1;",
        "        beat <= beat + 1'b1;",
        "      end",
        "      if (input_done) in_open <= 1'b0;",
        "      if (done) begin",
        "        cycles_last <= now - started[ts_rd];",
        "        interval_last <= now - last_done;",
        "        last_done <= now;",
        "        ts_rd <= ts_rd + 1'b1;",
        "      end",
        "      if (start && !done) in_flight <= in_flight + 1'b1;",
        "      else if (!start && done) in_flight <= in_flight - 1'b1;",
        "    end",
        "  end",
        "",
    ]
    return [*lines, *(loader or ROM_PARAMS),
            _control_block(iface, counters, bool(loader), canonical)]


def _control_block(iface: DeviceInterface, counters: str, loaded: bool,
                   canonical: bool = False) -> str:
    """The ``sdmf_axilite_ctrl`` instance of :func:`control_lines`; ``loaded``: the
    parameter loader's signals exist (else ROM parameters: ``valid`` reads 1);
    ``canonical``: the hash register reads 0 (the text the design hash is taken over)."""
    regs = iface.registers
    return instance("sdmf_axilite_ctrl", "u_control", {
        "ADDR_BITS": iface.axil_addr_bits, "IR_HASH": (32, 0 if canonical else regs["hash"]),
        "CONFIG0": (32, regs["config0"]), "CONFIG1": (32, regs["config1"]),
        "NUM_COUNTERS": len(iface.counter_layers),
        **({"LOADABLE": 1} if loaded else {})}, {
        **{p: f"s_axi_control_{p}" for p in (
            "awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp",
            "bvalid", "bready", "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid",
            "rready")},
        "clk": "ap_clk", "rst_n": "ap_rst_n", "irq": "interrupt", "start": "start",
        "can_start": f"!in_open && in_flight != {clog2(INFLIGHT + 1)}'(INFLIGHT)",
        "idle": "in_flight == '0", "ready_evt": "input_done", "done": "done",
        "cycles": "cycles_last", "interval": "interval_last",
        "status": f"32'(tlast_error) << {PACKAGE}::STATUS_TLAST_ERROR",
        "counters": counters,
        "param_load": "param_load", "param_expect": "param_expect",
        **({"params_valid": "params_valid", "param_error": "param_error",
            "param_crc": "param_crc"} if loaded else
           {"params_valid": "1'b1", "param_error": "1'b0", "param_crc": "32'h0"})})


def generate_top(graph: HwGraph, options: GenOptions,
                 iface: DeviceInterface | None = None) -> str:
    """SystemVerilog text of ``sdmf_top`` for ``graph`` with the device interface
    ``iface`` (its hash register value). ``iface`` None: the *canonical* text, without
    the IR hash, the model name and the hash register's value, which the design hash is
    taken over (:mod:`.designhash`)."""
    canonical = iface is None
    if iface is None:
        iface = device_interface(graph, options)
    T, C, H, W = iface.input_shape
    counters = list(iface.counter_layers)
    aw = iface.axil_addr_bits
    busy_vec = ("{" + ", ".join(busy(graph.layers[n]) for n in reversed(counters)) + "}"
                if counters else "64'h0")
    origin = ("" if canonical else
              f" from IR {graph.info['ir_hash'][:16]}…, model {graph.info.get('model')}")
    lines = [
        f"// sdmf_top — generated by sdmf hwgen{origin}",
        f"// input [T, C, H, W] = {[T, C, H, W]}, "
        f"{iface.beats_per_sample} input beats per sample. Do not edit.",
        "module sdmf_top (",
        *port_lines(aw, "logic"),
        ");",
        *control_lines(iface, busy_vec, _param_block(graph), canonical),
    ]
    lines += ["", "  // ------------------------------------------------------------ streams"]
    for s in graph.streams:
        if s.dst == "output":
            lines.append(f"  logic {s.name}_valid, {s.name}_ready, {s.name}_last;")
            lines.append(f"  logic [{s.word_bits - 1}:0] {s.name}_data;")
            continue
        lines.append(f"  logic {s.name}_valid, {s.name}_ready;  // {', '.join(s.taps)}")
        if s.ignored:
            lines.append("  /* verilator lint_off UNUSEDSIGNAL */  // consumer's input pruned")
        lines.append(f"  logic [{max(1, s.word_bits) - 1}:0] {s.name}_data;")
        if s.ignored:
            lines.append("  /* verilator lint_on UNUSEDSIGNAL */")
    for lay in graph.layers.values():
        if graph.spec(lay).fans_out:
            lines.append(f"  logic [{lay.widths['WORD'] - 1}:0] {fork_data(lay)};")
            for s in graph.outputs_of(lay.name):
                lines.append(f"  assign {s.name}_data = {fork_data(lay)};")
    lines.append("  /* verilator lint_off UNUSEDSIGNAL */  // read only by counters/trace")
    for lay in graph.layers.values():
        if graph.spec(lay).busy:
            lines.append(f"  logic [63:0] {busy(lay)};")
    lines.append("  /* verilator lint_on UNUSEDSIGNAL */")
    lines += ["", "  // ------------------------------------------------------------ units",
              "  // ROM units do not connect their parameter write data (RtlKind.unit)",
              "  /* verilator lint_off PINMISSING */"]
    for lay in graph.layers.values():
        lines.append(f"  // {lay.name} ({lay.kind}{': ' + ', '.join(lay.ops) if lay.ops else ''})")
        lines.append(rtl_kind(lay).unit(graph, lay).text())
    lines.append("  /* verilator lint_on PINMISSING */")
    if options.trace:
        lines += _trace_block(graph)
    lines += ["endmodule", ""]
    return "\n".join(lines)


# ROM designs only declare the control block's two parameter outputs, which nothing reads
ROM_PARAMS = ("  /* verilator lint_off UNUSEDSIGNAL */  // ROM parameters: nothing to load",
              "  logic param_load;", "  logic [31:0] param_expect;",
              "  /* verilator lint_on UNUSEDSIGNAL */")


def _param_block(graph: HwGraph) -> list[str]:
    """The parameter loader and its signals (docs/params.md) of the graph's loaded
    memories; none (ROM parameters): no lines."""
    loaded = [m for lay in graph.layers.values() for m in lay.memories if m.loaded]
    if not loaded:
        return []
    pb = graph.info["param_bits"]
    table = {"DEPTHS": [m.depth for m in loaded], "BEATS": [-(-m.width // 64) for m in loaded]}
    params = {"NMEM": len(loaded), "MAXB": pb // 64,
              **{k: (32 * len(v), sum(x << (32 * i) for i, x in enumerate(v)))
                 for k, v in table.items()},
              "TOTAL_WORDS": sum(m.depth for m in loaded)}
    return [
        "  // ------------------------------------------------------------ loaded parameters",
        f"  // {len(loaded)} memories written through the input stream while param_load = 1",
        "  logic param_load, params_valid, param_error, ldr_ready, prm_we;",
        "  logic [31:0] param_expect, param_crc;",
        "  /* verilator lint_off UNUSEDSIGNAL */  // units take the bits they need",
        "  logic [15:0] prm_id;", f"  logic [{OFFSET_FIELD.width - 1}:0] prm_addr;",
        f"  logic [{pb - 1}:0] prm_data;",
        "  /* verilator lint_on UNUSEDSIGNAL */",
        instance("sdmf_param_loader", "u_params", params, {
            "clk": "ap_clk", "rst_n": "ap_rst_n", "load": "param_load",
            "expect_crc": "param_expect", "s_valid": "s_axis_tvalid", "s_ready": "ldr_ready",
            "s_data": "s_axis_tdata", "prm_we": "prm_we", "prm_id": "prm_id",
            "prm_addr": "prm_addr", "prm_data": "prm_data", "crc": "param_crc",
            "valid": "params_valid", "error": "param_error"}),
        ""]


def _trace_block(graph: HwGraph) -> list[str]:
    streams = trace_streams(graph)
    layers = busy_layers(graph)
    out = ["", "`ifdef SDMF_TRACE",
           "  // simulation only: every unit's output transfers, busy counters at each done",
           f"  integer trace_fd [0:{len(streams)}];", "  integer inference;",
           "  integer events_fd;  // the host's side of the interval: starts, valid beats, dones",
           "  logic tvalid_q;",
           "  logic trace_done;  // one cycle after done: the counters include the last beat",
           "  always @(posedge ap_clk) trace_done <= ap_rst_n && done;",
           "  initial begin", "    inference = 0;"]
    for i, s in enumerate(streams):
        out.append(f"    trace_fd[{i}] = $fopen(\"{trace_file(s)}\", \"w\");")
    out.append(f"    trace_fd[{len(streams)}] = $fopen(\"{TRACE_DIR}/busy.txt\", \"w\");")
    out.append(f"    events_fd = $fopen(\"{TRACE_DIR}/{EVENTS_FILE}\", \"w\");")
    out += ["  end",
            "  // a sample's beats, not the parameter load's (param_load: docs/params.md)",
            "  always @(posedge ap_clk) tvalid_q <= ap_rst_n && s_axis_tvalid && !param_load;",
            "  always @(posedge ap_clk) begin", "    if (ap_rst_n) begin",
            "      if (start) $fwrite(events_fd, \"start %0d\\n\", now);",
            "      if (s_axis_tvalid && !param_load && !tvalid_q)",
            "        $fwrite(events_fd, \"valid %0d\\n\", now);",
            "      if (done) begin", "        $fwrite(events_fd, \"done %0d\\n\", now);",
            "        $fflush(events_fd);", "      end", "    end", "  end",
            "  always @(posedge ap_clk) begin", "    if (ap_rst_n) begin"]
    for i, s in enumerate(streams):
        out.append(f"      if ({s.name}_valid && {s.name}_ready) "
                   f"$fwrite(trace_fd[{i}], \"%h\\n\", {s.name}_data);")
    out.append("      if (trace_done) begin")
    for name in layers:
        out.append(f"        $fwrite(trace_fd[{len(streams)}], \"%0d {name} %0d\\n\", inference, "
                   f"{busy(graph.layers[name])});")
    out.append(f"        for (int i = 0; i <= {len(streams)}; i++) $fflush(trace_fd[i]);")
    out += ["        inference <= inference + 1;", "      end", "    end", "  end",
            "  final begin",
            f"    for (int i = 0; i <= {len(streams)}; i++) $fclose(trace_fd[i]);",
            "    $fclose(events_fd);",
            "  end", "`endif"]
    return out
