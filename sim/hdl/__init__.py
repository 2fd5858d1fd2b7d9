"""HDL of the simulation testbenches (sdmf_tb_network.sv)."""
