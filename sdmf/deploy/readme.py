"""The bundle's README.txt: what is in it, the design's figures, the steps on the board."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sdmf

from .notebook import NOTEBOOK

if TYPE_CHECKING:
    from .bundle import Bundle

# the board image and its default login (docs/board.md)
IMAGES = {"pynq_z2": ("PYNQ 3.x image for the PYNQ-Z2", "xilinx"),
          "kv260": ("Ubuntu 22.04 with Kria-PYNQ", "ubuntu")}


def _design(b: Bundle) -> list[str]:
    i = b.interface
    clock = (f"{b.clock_actual_mhz:g} MHz (the PS's, read beside the bitstream; "
             f"{b.clock_requested_mhz:g} MHz requested)" if b.clock_actual_mhz else
             f"{b.clock_requested_mhz:g} MHz (requested; the bitstream records the actual one)")
    rate = (f" -> {b.img_per_s:,.1f} img/s at {b.clock_mhz:g} MHz" if b.img_per_s else "")
    return [
        "Design",
        f"  model           {i.model or '-'}, IR {i.ir_hash[:12]}",
        f"  PL clock        {clock}",
        f"  interval        {i.interval_cycles or 0:,} cycles per result with samples "
        f"overlapped{rate}",
        f"  input           [T, C, H, W] = {list(i.input_shape)}, {i.in_bits}-bit counts, "
        f"{i.beats_per_sample:,} beats of {i.beat_bits} bits per sample (TLAST on the last)",
        f"  output          {i.classes} logits and the class, {i.output_beats} beats",
    ]


def _bitstream(b: Bundle) -> list[str]:
    if b.bitstream:
        return ["Bitstream", f"  sdmf.bit + sdmf.hwh: {b.bitstream_note}"]
    return ["Bitstream", "  MISSING - " + b.bitstream_note,
            "  run.py and the notebook stop with 'no bitstream' until sdmf.bit and sdmf.hwh",
            "  (same name, same folder) are in this folder."]


def _steps(b: Bundle) -> list[str]:
    image, user = IMAGES.get(b.board, ("PYNQ image", "xilinx"))
    name = f"sdmf-{b.board}"
    return [
        f"Steps on the board ({image}; none of this has run on a board yet)",
        f"  1. copy      scp {name}.tar.gz {user}@<board>:  then on the board:",
        f"               tar xzf {name}.tar.gz",
        "  2. root      sudo -i      (root, in the image's PYNQ environment: pynq-venv)",
        f"  3. install   python3 -m pip install --no-deps /home/{user}/{name}/{b.wheel}",
        "               (numpy and pynq come with the image; without --no-deps pip also",
        "               wants numpy>=1.21 from an index)",
        f"  4. run       cd /home/{user}/{name} && python3 run.py [--samples N] [--json]",
        f"               or open {NOTEBOOK} in the board's Jupyter (copy the folder to",
        "               the folder it serves)",
        "  run.py exits 0 when every sample's class and logits equal the golden model's,",
        "  1 on a disagreement, 2 on an error (one line: docs/board.md says what each means).",
    ]


def readme_text(b: Bundle) -> str:
    """README.txt of the bundle ``b`` (its files listed as written so far)."""
    vec = b.vectors
    head = [f"SDMFormer accelerator bundle for {b.board}",
            f"written by sdmf deploy (sdmformer-flow {sdmf.__version__})", ""]
    files = ["Files",
             "  sdmf.bit, sdmf.hwh   bitstream and block design" +
             ("" if b.bitstream else " (missing, see above)"),
             "  interface.json       the design's interface (sdmf.device.DeviceInterface)",
             f"  {b.wheel}  the host: numpy + the image's pynq",
             "  run.py               board script; run.py --help",
             f"  {NOTEBOOK}      the same steps as a notebook",
             f"  vectors/             {vec.get('samples', 0)} test samples of "
             f"{(vec.get('dataset') or {}).get('name', '-')} with labels and the golden "
             f"model's logits and classes (golden accuracy "
             f"{100 * vec.get('golden_accuracy', 0):.2f} %)",
             "  bundle.json          board, design id, clock, bitstream or not, files"]
    parts = [head, _design(b), [""], _bitstream(b), [""], files, [""], _steps(b)]
    return "\n".join(line for part in parts for line in part) + "\n"
