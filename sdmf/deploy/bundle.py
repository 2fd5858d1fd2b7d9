"""The deployment bundle: one folder (and a tarball of it) to copy to a board.

```
OUT/<board>/sdmf.bit, sdmf.hwh    the bitstream and its block design, when `make bitstream`
                                  built them for this design (else README.txt says so)
OUT/<board>/interface.json        the design's interface, clock_mhz = the PL clock the PS
                                  makes (read beside the bitstream) or the requested one
OUT/<board>/params.bin            the parameter load image (designs with runtime-loaded
                                  parameters only; docs/params.md)
OUT/<board>/sdmformer_host-*.whl  the host (numpy + the image's pynq; sdmf.deploy.wheel)
OUT/<board>/run.py                board script: accuracy, agreement, img/s, latency
OUT/<board>/sdmf_demo.ipynb       the same steps as a notebook
OUT/<board>/vectors/              test samples, labels, golden logits and classes
OUT/<board>/bundle.json           board, design id, clock, bitstream or not, file list
OUT/<board>/README.txt
OUT/sdmf-<board>.tar.gz           the folder as sdmf-<board>/
```

The folder is assembled under a temporary sibling and renamed into place; the tarball is
written to a temporary file and renamed, after the old one was removed — nothing
half-written is left looking valid.
"""

from __future__ import annotations

import dataclasses
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from sdmf.device import INTERFACE_FILE, DeviceInterface, InterfaceError
from sdmf.device.blockdesign import clock_matches
from sdmf.device.params import write_image
from sdmf.hw.backends.rtl.scripts import BUILD_OUTPUTS, bitstream_status, build_dir
from sdmf.hw.project import Project, ProjectError
from sdmf.io import atomic_write, replace_dir, write_json, write_text
from sdmf.quant.ir import IntegerIR, IRError

from . import board as board_files
from .board.run import BUNDLE_FILE, VECTORS_DIR
from .notebook import NOTEBOOK, notebook
from .readme import readme_text
from .vectors import golden_vectors, write_vectors
from .wheel import build_wheel

BUNDLE_FORMAT = "sdmf-bundle/1"
RUN_SCRIPT = "run.py"


class DeployError(ValueError):
    """The project cannot be bundled (names the file and what is wrong)."""


@dataclass
class Bundle:
    """What :func:`build_bundle` wrote."""

    board: str
    folder: Path
    tarball: Path
    bitstream: bool
    bitstream_note: str                  # which bitstream, or why there is none
    clock_requested_mhz: float
    clock_actual_mhz: float | None       # from clock_mhz.txt beside the bitstream
    project_board: str | None            # the board the project was generated for, if named
    design_id: str | None
    interface: DeviceInterface
    vectors: dict[str, Any]
    wheel: str
    files: list[str]

    @property
    def clock_mhz(self) -> float:
        """The clock the figures use: the PS's actual one when known."""
        return self.clock_actual_mhz or self.clock_requested_mhz

    @property
    def img_per_s(self) -> float | None:
        """Throughput the cycle model implies at :attr:`clock_mhz`, samples overlapped."""
        iv = self.interface.interval_cycles
        return self.clock_mhz * 1e6 / iv if iv else None

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d.update(folder=str(self.folder), tarball=str(self.tarball),
                 interface=self.interface.to_dict(), clock_mhz=self.clock_mhz,
                 img_per_s=self.img_per_s)
        return d


def load_design(project_dir: Path) -> tuple[Project, DeviceInterface, IntegerIR]:
    """The project's manifest, interface and IR, checked against each other."""
    try:
        project = Project.load(project_dir)
        if project.backend != "rtl":
            raise DeployError(f"{project_dir}: a {project.backend} project; deploy bundles RTL "
                              "projects (Vivado bitstreams)")
        if project.interface is None or project.ir is None:
            raise DeployError(f"{project_dir}/project.json: no interface or IR file")
        iface = DeviceInterface.read(project_dir / project.interface)
        ir = IntegerIR.load(project_dir / project.ir)
    except (ProjectError, InterfaceError, IRError, FileNotFoundError) as e:
        raise DeployError(str(e)) from None
    if ir.content_hash() != iface.ir_hash:
        raise DeployError(f"{project_dir / project.ir}: IR {ir.content_hash()[:12]}, the "
                          f"interface describes IR {iface.ir_hash[:12]}")
    if project.options.clock_mhz is None or iface.clock_mhz is None:
        raise DeployError(f"{project_dir}: generated before the PL clock was recorded; "
                          "generate it again with sdmf hwgen")
    return project, iface, ir


def find_bitstream(project_dir: Path, board: str, requested: float
                   ) -> tuple[bool, str, float | None, str | None]:
    """(present, a sentence, the PS's actual clock, design id) of the board's bitstream."""
    present, note = bitstream_status(project_dir, board)
    again = (f"run make bitstream BOARD={board} on a machine with Vivado, then make deploy "
             "again")
    if not present:
        prefix = "no bitstream" if "no bitstream" in note else "stale bitstream"
        return False, f"{prefix}: {again} ({note})", None, None
    out = build_dir(project_dir, board)
    try:
        actual = float((out / BUILD_OUTPUTS[2]).read_text().strip())
    except ValueError:
        return False, f"{out / BUILD_OUTPUTS[2]} is not a frequency: {again}", None, None
    if not clock_matches(requested, actual):
        return False, (f"the bitstream's PL clock is {actual:g} MHz, the project asks for "
                       f"{requested:g} MHz: {again}"), None, None
    design = (out / BUILD_OUTPUTS[3]).read_text().strip()
    return True, f"{note}; PL clock {actual:g} MHz", actual, design


def _tarball(folder: Path, path: Path, arcname: str) -> None:
    """``folder`` as ``arcname/`` in a gzip tarball at ``path``, written atomically."""
    with atomic_write(path, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
        tar.add(folder, arcname=arcname)


def _assemble(tmp: Path, project_dir: Path, bundle: Bundle, ir: IntegerIR, dataset: Dataset,
              dataset_info: dict[str, Any], samples: int) -> None:
    """Write every file of the bundle into ``tmp``; fills ``bundle.vectors/files/wheel``."""
    if bundle.bitstream:
        out = build_dir(project_dir, bundle.board)
        for name in BUILD_OUTPUTS[:2]:
            shutil.copyfile(out / name, tmp / name)
    bundle.interface.write(tmp / INTERFACE_FILE)
    if (ps := bundle.interface.params) is not None:   # runtime-loaded parameters (the host
        write_image(tmp / ps.file, ps.read_image(project_dir))   # loads them at open)
    bundle.wheel = build_wheel(tmp).name
    run = tmp / RUN_SCRIPT
    shutil.copyfile(Path(board_files.__file__).parent / RUN_SCRIPT, run)
    run.chmod(run.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    write_json(tmp / NOTEBOOK, notebook())
    vec = golden_vectors(ir, dataset, samples)
    bundle.vectors = write_vectors(tmp / VECTORS_DIR, vec, ir, dataset_info)
    write_text(tmp / "README.txt", readme_text(bundle))
    bundle.files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    bundle.files = sorted([*bundle.files, BUNDLE_FILE])
    write_json(tmp / BUNDLE_FILE, {
        "format": BUNDLE_FORMAT, "board": bundle.board, "model": bundle.interface.model,
        "ir_hash": bundle.interface.ir_hash, "design_id": bundle.design_id,
        "bitstream": bundle.bitstream, "bitstream_note": bundle.bitstream_note,
        "clock_mhz": {"requested": bundle.clock_requested_mhz,
                      "actual": bundle.clock_actual_mhz},
        "wheel": bundle.wheel, "samples": bundle.vectors["samples"], "files": bundle.files})


def build_bundle(project_dir: str | Path, board: str, out_dir: str | Path, dataset: Dataset,
                 dataset_info: dict[str, Any], samples: int) -> Bundle:
    """Bundle the project ``project_dir`` for ``board`` into ``out_dir/<board>/`` and
    ``out_dir/sdmf-<board>.tar.gz``, with ``samples`` test samples of ``dataset``."""
    project_dir, out_dir = Path(project_dir).resolve(), Path(out_dir).resolve()
    project, iface, ir = load_design(project_dir)
    requested = float(project.options.clock_mhz)
    present, note, actual, design = find_bitstream(project_dir, board, requested)
    folder, tarball = out_dir / board, out_dir / f"sdmf-{board}.tar.gz"
    bundle = Bundle(board=board, folder=folder, tarball=tarball, bitstream=present,
                    bitstream_note=note, clock_requested_mhz=requested,
                    clock_actual_mhz=actual, project_board=project.options.board,
                    design_id=design,
                    interface=dataclasses.replace(iface, clock_mhz=actual or requested),
                    vectors={}, wheel="", files=[])
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{board}.", suffix=".tmp", dir=out_dir))
    try:
        _assemble(tmp, project_dir, bundle, ir, dataset, dataset_info, samples)
        tmp.chmod(0o755)
        tarball.unlink(missing_ok=True)
        replace_dir(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _tarball(folder, tarball, f"sdmf-{board}")
    return bundle
