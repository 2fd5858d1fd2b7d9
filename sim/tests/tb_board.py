"""cocotb test: the board host (``sdmf.host``, unchanged) on the simulated board.

Driven by :mod:`sdmf.sim.board_run`, which writes the scenario (``SDMF_BOARD_CONFIG``,
JSON): ``period_ns``, ``poll_cycles``, ``bitfile``, ``clock_mhz``, ``timeout_s``,
``results`` (where this test writes what happened), ``progress`` (a file that gets one
line per result, or null) and ``sessions``: each opens an :class:`Accelerator` (on its
``interface`` file, with the board ``faults`` and the IP dictionary less ``omit``)
and runs the frames of each file of ``runs`` (``.npy``) back to back on it; a step
``{"load_params": file or null}`` calls ``load_params`` (with the image in the file, or
the interface's). A :class:`HostError` is recorded as that step's outcome; anything else
fails the test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.task import bridge

from sdmf.host import Accelerator, HostError
from sdmf.sim.board import SimBoard, SimPlatform


def _error(e: HostError) -> dict[str, str]:
    return {"type": type(e).__name__, "message": str(e)}


def _session(board: SimBoard, cfg: dict[str, Any], s: dict[str, Any], tick: Any) -> dict:
    board.faults = set(s.get("faults", ()))
    platform = SimPlatform(board, omit=s.get("omit", ()))
    out: dict[str, Any] = {"open_error": None, "runs": []}
    try:
        acc = Accelerator(cfg["bitfile"], s["interface"], platform=platform,
                          clock_mhz=cfg["clock_mhz"], timeout_s=cfg["timeout_s"],
                          autoload=s.get("autoload", True))
    except HostError as e:
        out["open_error"] = _error(e)
        return out
    with acc:
        for frames in s["runs"]:
            t0 = platform.now()
            try:
                if isinstance(frames, dict):
                    image = frames["load_params"]
                    acc.load_params(None if image is None else np.load(image))
                    step: dict[str, Any] = {"result": {"loaded": acc.params_loaded()}}
                else:
                    res = acc.run(np.load(frames), progress=tick)
                    step = {"result": res.to_dict()}
            except HostError as e:
                step = {"error": _error(e)}
            step["sim_s"] = platform.now() - t0
            out["runs"].append(step)
    return out


def _scenario(board: SimBoard, cfg: dict[str, Any]) -> dict[str, Any]:
    """The host's side (a bridge thread): every session in turn."""
    progress = cfg.get("progress")

    def tick(_done: int) -> None:
        if progress:
            with open(progress, "a") as f:
                f.write("1\n")

    return {"sessions": [_session(board, cfg, s, tick) for s in cfg["sessions"]]}


@cocotb.test()
async def board(dut: Any) -> None:
    cfg = json.loads(Path(os.environ["SDMF_BOARD_CONFIG"]).read_text())
    sim = await SimBoard(dut, cfg["period_ns"], cfg["poll_cycles"]).start()
    results = await bridge(_scenario)(sim, cfg)
    Path(cfg["results"]).write_text(json.dumps(results, indent=1))
