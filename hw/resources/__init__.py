"""The resource model of the RTL units: memory packing (:mod:`.memory`), per-kind logic
features (:mod:`.units`), the calibrated prediction (:mod:`.model`, :mod:`.calibration`,
``calibration.json``), estimates for the board planner (:mod:`.estimate`) and the
model-vs-Yosys report (:mod:`.compare`). docs/generator.md, "Board planning and the
resource model"."""
