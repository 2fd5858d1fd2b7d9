"""Support modules of the generated top (AXIS unpack, logit serializer, AXI4-Lite control)."""
