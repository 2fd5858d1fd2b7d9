"""The board host: open the overlay, check the device, stream batches through the DMA.

:class:`Accelerator` is the code that runs on a PYNQ board and, unchanged, on the
simulated board (``sdmf.sim.board``): only the :class:`~sdmf.host.platform.Platform`
differs. Register offsets and bits come from :mod:`sdmf.device.regmap`, the stream
layouts from :mod:`sdmf.device.stream`, the expected device from the project's
``interface.json``. docs/host.md describes the run loop, the timing split and how
each fault ends.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.device import INTERFACE_FILE, DeviceInterface, InterfaceError, regmap
from sdmf.device.blockdesign import DEFAULT_CLOCK_MHZ, DMA_INSTANCE, IP_INSTANCE, check_clock_mhz
from sdmf.device.params import ParamsError as ImageError
from sdmf.device.params import checksum
from sdmf.device.stream import FramingError, decode_batch, pack_batch

from .errors import DeviceMismatchError, DmaTimeoutError, HostError, ParamsError
from .inputs import as_batch, count_saturated
from .platform import Buffer, Channel, Platform
from .result import RunResult

BUFFER_BYTES = 16 << 20            # input DMA buffer of one chunk of a batch (at most)
IP_TYPE = "sdmf_ip"                # VLNV name of the accelerator (module reference)
DMA_TYPE = "axi_dma"
IDENT = {"id": regmap.ID, "hash": regmap.IR_HASH, "config0": regmap.CONFIG0,
         "config1": regmap.CONFIG1}
AP_START = regmap.CONTROL.bit("ap_start")
AP_IDLE = regmap.CONTROL.bit("ap_idle")
TLAST_ERROR = regmap.STATUS.bit("tlast_error")
PARAM_LOAD, PARAM_VALID = regmap.PARAM.bit("load"), regmap.PARAM.bit("valid")
PARAM_LOADABLE = regmap.PARAM.bit("loadable")

Progress = Callable[[int], None]


def find_instance(ip_dict: Mapping[str, Mapping[str, Any]], name: str, vlnv_name: str,
                  what: str, bitfile: Path) -> str:
    """The IP dictionary key of ``what``: the instance called ``name`` (also inside a
    hierarchy), else the one instance whose VLNV name is ``vlnv_name``."""
    named = [k for k in ip_dict if k == name or k.endswith("/" + name)]
    typed = [k for k, d in ip_dict.items()
             if str(d.get("type", "")).split(":")[2:3] == [vlnv_name]]
    for found in (named, typed):
        if len(found) == 1:
            return found[0]
    held = ", ".join(f"{k} ({d.get('type', '?')})" for k, d in ip_dict.items()) or "nothing"
    many = f"several candidates ({', '.join(named or typed)})" if named or typed else "none"
    raise HostError(f"{bitfile}: the overlay has no unique {what} (an instance named "
                    f"{name!r} or of type *:{vlnv_name}:*): {many}; its IP dictionary "
                    f"holds {held}")


def clock_of(interface: DeviceInterface, clock_mhz: float | None = None) -> float:
    """The PL clock (MHz) for counter figures: ``clock_mhz`` if given, else the
    interface's ``clock_mhz`` if it records one, else :data:`DEFAULT_CLOCK_MHZ`."""
    clock = clock_mhz or getattr(interface, "clock_mhz", None) or DEFAULT_CLOCK_MHZ
    try:
        return check_clock_mhz(clock)
    except ValueError as e:
        raise HostError(str(e)) from None


def _interface(interface: DeviceInterface | str | Path | None, bitfile: Path
               ) -> tuple[DeviceInterface, str, Path]:
    """The interface, where it came from, and the folder its parameter image is in."""
    if isinstance(interface, DeviceInterface):
        return interface, "the given interface", bitfile.parent
    path = Path(interface) if interface is not None else bitfile.with_name(INTERFACE_FILE)
    try:
        return DeviceInterface.read(path), str(path), path.parent
    except InterfaceError as e:
        raise HostError(f"device interface: {e}") from None


class Accelerator:
    """One SDMFormer accelerator on a board (docs/host.md).

    ``bitfile``: the bitstream (PYNQ reads the ``.hwh`` beside it); ``interface``: a
    :class:`DeviceInterface` or the path of its ``interface.json`` (default: beside
    the bitstream); ``platform``: the board (default :class:`PynqPlatform`, which needs
    ``pynq``); ``clock_mhz``: the PL clock for the counter figures (default: the
    interface's ``clock_mhz`` if it records one, else :data:`DEFAULT_CLOCK_MHZ`);
    ``timeout_s``: how long a DMA transfer may take, by ``platform.now()``.
    Opening checks the device (:meth:`check`) and, for a design with runtime-loaded
    parameters, loads them (:meth:`load_params`) unless the device already holds them
    or ``autoload`` is False.
    """

    def __init__(self, bitfile: str | Path, interface: DeviceInterface | str | Path | None = None,
                 *, platform: Platform | None = None, clock_mhz: float | None = None,
                 timeout_s: float = 10.0, autoload: bool = True) -> None:
        self.bitfile = Path(bitfile)
        if platform is None:                 # first: without pynq nothing else matters
            from .platform import PynqPlatform

            platform = PynqPlatform()
        self.platform = platform
        self.interface, self.interface_source, self._params_dir = _interface(interface,
                                                                             self.bitfile)
        if not float(timeout_s) > 0:
            raise HostError(f"timeout_s must be > 0, got {timeout_s}")
        self.clock_mhz, self.timeout_s = clock_of(self.interface, clock_mhz), float(timeout_s)
        self._buffers: tuple[Buffer, Buffer] | None = None
        self._broken: str | None = None
        overlay = platform.overlay(self.bitfile)
        self.ip_name = find_instance(overlay.ip_dict, IP_INSTANCE, IP_TYPE,
                                     "SDMFormer accelerator", self.bitfile)
        self.dma_name = find_instance(overlay.ip_dict, DMA_INSTANCE, DMA_TYPE, "AXI DMA",
                                      self.bitfile)
        self.mmio = overlay.mmio(self.ip_name)
        dma = overlay.dma(self.dma_name)
        self.send: Channel = dma.sendchannel
        self.recv: Channel = dma.recvchannel
        self.check()
        if autoload and self.interface.params is not None and not self.params_loaded():
            self.load_params()

    # ------------------------------------------------------------------ checks
    def check(self) -> None:
        """The ID and interface version, ROM or loaded parameters, the hash (the IR hash;
        the design hash for runtime-loaded parameters), configuration and counter count
        registers against the interface, in this order (:class:`DeviceMismatchError` says
        what differs)."""
        iface, where = self.interface, f"{self.bitfile} (instance {self.ip_name})"
        regs = {"id": self.mmio.read(regmap.ID.offset)}
        bad = iface.register_mismatches(regs)
        if bad:
            raise DeviceMismatchError(f"{where} is not the design of "
                                      f"{self.interface_source}: {'; '.join(bad)}")
        self._check_loadable(where)      # before the hash: its meaning depends on it
        regs.update({n: self.mmio.read(r.offset) for n, r in IDENT.items() if n != "id"})
        bad = iface.register_mismatches(regs)
        if bad and regs["hash"] != iface.registers["hash"]:
            raise DeviceMismatchError(self._hash_mismatch(where, regs["hash"]))
        if bad:
            raise DeviceMismatchError(f"{where} is not the design of "
                                      f"{self.interface_source}: {'; '.join(bad)}")
        counters = self.mmio.read(regmap.NUM_COUNTERS.offset)
        if counters != len(iface.counter_layers):
            raise DeviceMismatchError(
                f"{where} has {counters} busy counters, {self.interface_source} lists "
                f"{len(iface.counter_layers)}")

    def _check_loadable(self, where: str) -> None:
        """ROM or runtime-loaded parameters, as the interface says (the PARAM register's
        ``loadable`` bit)."""
        loadable = bool(self.mmio.read(regmap.PARAM.offset) & PARAM_LOADABLE)
        if loadable != (self.interface.params is not None):
            have = "runtime-loaded" if loadable else "ROM"
            want = "runtime-loaded" if self.interface.params is not None else "ROM"
            raise DeviceMismatchError(f"{where} has {have} parameters, "
                                      f"{self.interface_source} describes {want} parameters")

    def _hash_mismatch(self, where: str, read: int) -> str:
        """The refusal of a hash register that is not the interface's: an IR hash for ROM
        designs, the design hash for runtime-loaded ones (sdmf.device.regmap.hash_register)."""
        iface = self.interface
        if iface.params is None:
            return (f"{where} was generated from IR {read:08x}…, but "
                    f"{self.interface_source} describes IR {iface.ir_hash[:8]}… "
                    f"({iface.ir_hash}): a mismatched bitstream/model pair")
        return (f"{where} is design {read:08x}…, but {self.interface_source} describes "
                f"design {iface.design_hash[:8]}… ({iface.design_hash}; IR "
                f"{iface.ir_hash[:12]}…): its params.bin does not fit this bitstream "
                "(`sdmf hwgen --params-for PROJECT` writes one for the bitstream's design, "
                "or refuses naming what differs)")

    # ------------------------------------------------------------------ parameters
    def params_loaded(self) -> bool:
        """The device's parameters are valid and their checksum is the interface's (ROM
        designs: always)."""
        self._usable()
        if self.interface.params is None:
            return True
        valid = self.mmio.read(regmap.PARAM.offset) & PARAM_VALID
        return bool(valid) and self.mmio.read(regmap.PARAM_CRC.offset) == \
            self.interface.params.crc32

    def load_params(self, image: Any = None) -> None:
        """Load the parameters through the input stream (docs/params.md): ``image`` (the
        ``uint64`` beats of a load image of this design's layout) or, by default, the
        interface's ``params.bin`` (checked against its CRC-32). :class:`ParamsError`
        unless the device accepts them."""
        self._usable()
        ps = self.interface.params
        if ps is None:
            raise ParamsError(f"{self.interface_source} describes ROM parameters: there is "
                              "nothing to load")
        try:
            beats = ps.read_image(self._params_dir) if image is None else \
                np.asarray(image, dtype=np.uint64).reshape(-1)
        except ImageError as e:
            raise ParamsError(str(e)) from None
        if len(beats) != ps.beats:
            raise ParamsError(f"parameter image of {len(beats)} beats; the design's layout "
                              f"takes {ps.beats}")
        expect = ps.crc32 if image is None else checksum(beats)
        self._expect_idle("before loading parameters")
        buf = self.platform.allocate((len(beats),), np.uint64)
        try:
            buf[:] = beats
            buf.flush()
            self.mmio.write(regmap.PARAM_CRC.offset, expect)
            self.mmio.write(regmap.PARAM.offset, PARAM_LOAD)
            self.send.transfer(buf)
            since = self.platform.now()
            while not self.send.idle:
                self._watch(self.send, since, "the parameter load")
            self._complete(self.send, "the parameter load")
            self.mmio.write(regmap.PARAM.offset, 0)
        finally:
            free = getattr(buf, "freebuffer", None)
            if free is not None:
                free()
        self._check_params(expect)

    def _check_params(self, expect: int) -> None:
        word = self.mmio.read(regmap.PARAM.offset)
        if word & PARAM_VALID:
            return
        got = self.mmio.read(regmap.PARAM_CRC.offset)
        state = ", ".join(f"{k} {v}" for k, v in regmap.PARAM.unpack(word).items())
        raise ParamsError(f"the device did not accept the parameters: it received CRC-32 "
                          f"{got:#010x}, expected {expect:#010x} (parameter register: "
                          f"{state}); load them again")

    def _usable(self) -> None:
        if self._broken is not None:
            raise HostError(f"the device is in an unknown state after: {self._broken}; "
                            "load the overlay again (a new Accelerator)")
        if self.mmio is None:
            raise HostError("this Accelerator is closed")

    def _fail(self, error: HostError) -> HostError:
        self._broken = str(error)
        return error

    # ------------------------------------------------------------------ run
    def run(self, frames: Any, *, progress: Progress | None = None) -> RunResult:
        """Infer ``frames`` (``[N, T, C, H, W]`` or ``[T, C, H, W]`` event counts;
        counts above ``2^in_bits − 1`` saturate); ``progress(done)`` is called after
        each result. Returns a :class:`RunResult`."""
        self._usable()
        t_start = time.perf_counter()
        iface = self.interface
        x = as_batch(frames, iface)
        N, K = len(x), iface.classes
        timing = {"pack_s": 0.0, "transfer_s": 0.0, "unpack_s": 0.0}
        logits = np.empty((N, K), dtype=np.int64)
        classes = np.empty(N, dtype=np.int64)
        saturated = count_saturated(x, iface.in_bits)
        timing["pack_s"] += time.perf_counter() - t_start
        self._expect_idle("before the batch")
        if iface.params is not None and not self.mmio.read(regmap.PARAM.offset) & PARAM_VALID:
            raise ParamsError("the device's parameters are not valid (a failed or partial "
                              "load): call load_params() first; nothing was started")
        chunks = _chunks(N, max(1, BUFFER_BYTES // (8 * iface.beats_per_sample)))
        for lo, hi in chunks:
            inbuf, outbuf = self._buffers_for(hi - lo)
            t = time.perf_counter()
            inbuf[:hi - lo] = pack_batch(x[lo:hi], iface.in_bits, nb=iface.word_beats)
            inbuf.flush()
            timing["pack_s"] += time.perf_counter() - t
            t = time.perf_counter()
            self._stream(inbuf, outbuf, hi - lo, lo, progress)
            timing["transfer_s"] += time.perf_counter() - t
            t = time.perf_counter()
            try:
                logits[lo:hi], classes[lo:hi] = decode_batch(np.asarray(outbuf[:hi - lo]), K)
            except FramingError as e:
                raise self._fail(HostError(f"samples {lo}..{hi - 1}: {e}")) from None
            timing["unpack_s"] += time.perf_counter() - t
        latency, interval = self._finish(N, chunks[-1])
        timing["wall_s"] = time.perf_counter() - t_start
        return RunResult(logits=logits, classes=classes, latency_cycles=latency,
                         interval_cycles=interval, clock_mhz=self.clock_mhz, timing=timing,
                         saturated=saturated)

    def _expect_idle(self, when: str) -> None:
        ctrl = self.mmio.read(regmap.CONTROL.offset)
        if not ctrl & AP_IDLE:
            raise self._fail(HostError(f"the accelerator is not idle {when} (control "
                                       f"{ctrl:#x}): an inference is still in flight"))

    def _finish(self, N: int, last_chunk: tuple[int, int]) -> tuple[int, int | None]:
        """Status, idle and the cycle counters after a batch."""
        status = self.mmio.read(regmap.STATUS.offset)
        if status & TLAST_ERROR:
            raise self._fail(HostError(
                f"the accelerator reports a TLAST error (status {status:#x}): a sample's "
                f"input did not end after exactly {self.interface.beats_per_sample} beats; "
                "its results are unreliable (the error stays until the overlay is loaded "
                "again)"))
        self._expect_idle("after the batch")
        latency = self._read64(regmap.LATENCY_LO, regmap.LATENCY_HI)
        lo, hi = last_chunk
        interval = self._read64(regmap.INTERVAL_LO, regmap.INTERVAL_HI) if hi - lo >= 2 \
            else None
        return latency, interval

    def _read64(self, lo: regmap.Register, hi: regmap.Register) -> int:
        return self.mmio.read(lo.offset) | self.mmio.read(hi.offset) << 32

    def _buffers_for(self, n: int) -> tuple[Buffer, Buffer]:
        """Input ``uint64 [n', beats]`` and output ``uint64 [n', K + 1]`` buffers, n' ≥ n
        (kept for later runs)."""
        if self._buffers is None or len(self._buffers[0]) < n:
            self._free()
            iface = self.interface
            self._buffers = (self.platform.allocate((n, iface.beats_per_sample), np.uint64),
                             self.platform.allocate((n, iface.output_beats), np.uint64))
        return self._buffers

    def _stream(self, inbuf: Buffer, outbuf: Buffer, n: int, base: int,
                progress: Progress | None) -> None:
        """Samples ``0..n-1`` of the buffers through the device: per sample ``ap_start``
        and one MM2S transfer (``TLAST`` on its last beat) as soon as the previous one has
        gone, and one S2MM transfer of ``K + 1`` beats per result, re-armed at once.
        An input must go within ``timeout_s`` of its transfer, a result arrive within
        ``timeout_s`` of its input having gone (and of its receive being armed)."""
        want = int(outbuf[0].nbytes)
        received = 0
        gone: list[float] = []               # when each sample's input transfer finished
        send_at: float | None = None
        self.recv.transfer(outbuf[0])
        recv_at = self.platform.now()
        while received < n:
            if send_at is not None and self.send.idle:
                self._complete(self.send, f"the input of sample {base + len(gone)}")
                gone.append(self.platform.now())
                send_at = None
            if send_at is None and len(gone) < n:
                self.mmio.write(regmap.CONTROL.offset, AP_START)
                self.send.transfer(inbuf[len(gone)])
                send_at = self.platform.now()
            if self.recv.idle:
                got = self._complete(self.recv, f"the result of sample {base + received}")
                if got != want:
                    raise self._fail(HostError(
                        f"DMA {self.recv.name}: the result of sample {base + received} "
                        f"had {got} bytes, expected {want} ({want // 8} beats: TLAST early)"))
                received += 1
                if progress is not None:
                    progress(base + received)
                if received < n:
                    self.recv.transfer(outbuf[received])
                    recv_at = self.platform.now()
                continue
            if send_at is not None:
                self._watch(self.send, send_at, f"the input of sample {base + len(gone)}")
            if received < len(gone):
                self._watch(self.recv, max(recv_at, gone[received]),
                            f"the result of sample {base + received}")
        while send_at is not None and not self.send.idle:       # (gone before its result)
            self._watch(self.send, send_at, f"the input of sample {base + len(gone)}")
        if send_at is not None:
            self._complete(self.send, f"the input of sample {base + len(gone)}")

    def _complete(self, channel: Channel, what: str) -> int:
        """End a finished transfer (an error state raises); returns the bytes moved."""
        err = channel.error()
        if err:
            raise self._fail(HostError(f"DMA {channel.name}: {err} (during {what})"))
        try:
            return channel.complete()
        except HostError as e:
            raise self._fail(e) from None

    def _watch(self, channel: Channel, since: float, what: str) -> None:
        err = channel.error()
        if err:
            raise self._fail(HostError(f"DMA {channel.name}: {err} (during {what})"))
        waited = self.platform.now() - since
        if waited > self.timeout_s:
            raise self._fail(DmaTimeoutError(
                f"DMA {channel.name}: {what} did not complete within {self.timeout_s:g} s "
                f"(waited {waited:.3g} s); the accelerator or the DMA is stuck"))

    # ------------------------------------------------------------------ life cycle
    def _free(self) -> None:
        for buf in self._buffers or ():
            free = getattr(buf, "freebuffer", None)
            if free is not None:
                free()
        self._buffers = None

    def close(self) -> None:
        """Free the DMA buffers; the accelerator cannot run afterwards."""
        self._free()
        self.mmio = None  # type: ignore[assignment]

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        T, C, H, W = self.interface.input_shape
        return (f"Accelerator({self.bitfile}, model {self.interface.model}, IR "
                f"{self.interface.ir_hash[:8]}…, input [{T}, {C}, {H}, {W}], "
                f"{self.clock_mhz:g} MHz)")


def _chunks(n: int, per: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges of ``n`` samples, at most ``per`` each, as equal as possible."""
    count = -(-n // per)
    bounds = [round(i * n / count) for i in range(count + 1)]
    return list(itertools.pairwise(bounds))


__all__ = ["BUFFER_BYTES", "DEFAULT_CLOCK_MHZ", "Accelerator", "clock_of", "find_instance"]
