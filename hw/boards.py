"""The boards a generated design can target: part, Zynq PS configuration, the PS
properties of the programmable-logic clock, and the programmable-logic capacity of the
part (from the data sheets).

Backend-neutral facts: the Vivado scripts (both backends') and the synthesis reports'
utilisation read them. The block design's instance names, stream width, interrupt wiring
and each board's default PL clock are :mod:`sdmf.device.blockdesign`'s (the host reads
them too).
"""

from __future__ import annotations

from dataclasses import dataclass

from sdmf.device.blockdesign import PL_CLOCK_MHZ


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    board_part_glob: str       # board files, used when installed
    ps_vlnv: str
    ps_config: str             # Tcl dict of PS properties (without the PL clock)
    clock_property: str        # PS property: requested PL clock 0 (MHz)
    clock_actual_property: str  # PS property: the PL clock 0 the PS will make (MHz)
    gp_master: str             # PS pins (the PS cell's name is blockdesign.PS_INSTANCE)
    hp_slave: str
    clock: str                 # PL clock 0
    irq: str                   # PL-to-PS interrupt input
    ps_rule: str               # block-automation rule of the PS (board presets, DDR, MIO)
    ps_rule_config: str
    family: str                # Yosys synth_xilinx family of the part
    capacity: dict[str, int]   # programmable-logic resources (data sheets), report units

    @property
    def default_clock_mhz(self) -> float:
        """The PL clock a design generated for this board runs at by default."""
        return PL_CLOCK_MHZ[self.name]


BOARDS = {
    "pynq_z2": Board(
        name="pynq_z2", part="xc7z020clg400-1", board_part_glob="*pynq-z2*",
        ps_vlnv="xilinx.com:ip:processing_system7:*",
        ps_config="CONFIG.PCW_USE_S_AXI_HP0 {1} CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64} "
                  "CONFIG.PCW_EN_CLK0_PORT {1} CONFIG.PCW_USE_FABRIC_INTERRUPT {1} "
                  "CONFIG.PCW_IRQ_F2P_INTR {1} CONFIG.PCW_USE_M_AXI_GP0 {1}",
        clock_property="CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ",
        clock_actual_property="CONFIG.PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ",
        gp_master="M_AXI_GP0", hp_slave="S_AXI_HP0", clock="FCLK_CLK0",
        irq="IRQ_F2P", ps_rule="xilinx.com:bd_rule:processing_system7",
        ps_rule_config='make_external "FIXED_IO, DDR" apply_board_preset "1" '
                       'Master "Disable" Slave "Disable"',
        family="xc7",
        # DS190 (Zynq-7000): 53,200 LUT, 106,400 FF, 140 BRAM36, 220 DSP48E1
        capacity={"LUT": 53_200, "FF": 106_400, "BRAM18": 280, "DSP": 220}),
    "kv260": Board(
        name="kv260", part="xck26-sfvc784-2LV-c", board_part_glob="*kv260_som*",
        ps_vlnv="xilinx.com:ip:zynq_ultra_ps_e:*",
        ps_config="CONFIG.PSU__USE__M_AXI_GP0 {1} CONFIG.PSU__USE__M_AXI_GP1 {0} "
                  "CONFIG.PSU__USE__M_AXI_GP2 {0} CONFIG.PSU__USE__S_AXI_GP2 {1} "
                  "CONFIG.PSU__SAXIGP2__DATA_WIDTH {64} CONFIG.PSU__USE__IRQ0 {1} "
                  "CONFIG.PSU__FPGA_PL0_ENABLE {1}",
        clock_property="CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
        clock_actual_property="CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ",
        gp_master="M_AXI_HPM0_FPD", hp_slave="S_AXI_HP0_FPD", clock="pl_clk0",
        irq="pl_ps_irq0", ps_rule="xilinx.com:bd_rule:zynq_ultra_ps_e",
        ps_rule_config='apply_board_preset "1"',
        family="xcup",
        # DS987 (Kria K26 SOM): 117,120 LUT, 234,240 FF, 144 BRAM36, 64 URAM, 1,248 DSP
        capacity={"LUT": 117_120, "FF": 234_240, "BRAM18": 288, "URAM": 64, "DSP": 1_248}),
}


if set(BOARDS) != set(PL_CLOCK_MHZ):
    raise AssertionError("sdmf.device.blockdesign.PL_CLOCK_MHZ must name exactly the boards of "
                         f"hw/boards.py: {sorted(PL_CLOCK_MHZ)} vs {sorted(BOARDS)}")


def boards_of_family(family: str) -> list[Board]:
    """The supported boards whose part belongs to a Yosys ``synth_xilinx`` family."""
    return [b for b in BOARDS.values() if b.family == family]
