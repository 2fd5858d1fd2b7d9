"""Behavioural model of the unit library, as the passes need it.

For every layer kind: its parallelism knobs and their legal values, a resource
proxy (multipliers/adders), the analytic busy cycles per inference (the formulas
documented in docs/hardware.md for ``hw/backends/rtl/library``), and the stream
facts FIFO sizing needs: how many tokens a unit can absorb (``capacity``), and in
which order a multi-input unit consumes its ports (``port_order``/``lead``).

A backend with other units (e.g. Vitis HLS) supplies a subclass of
:class:`UnitModel`; graph construction and passes stay unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from .graph import HwLayer

Knobs = dict[str, int]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def divisors(n: int) -> list[int]:
    """Divisors of ``n`` (``[1]`` for 0: a unit without inputs has one lane)."""
    return [d for d in range(1, n + 1) if n % d == 0] or [1]


def attention_heads(layer: HwLayer) -> dict[int, tuple[int, int]]:
    """Per head present in the v channels: (q·k channels, v channels)."""
    hq = [int(h) for h in layer.params["head_qk"]]
    hv = [int(h) for h in layer.params["head_v"]]
    return {h: (hq.count(h), hv.count(h)) for h in sorted(set(hv))}


def conv_steps(attrs: dict, knobs: Knobs) -> int:
    """Fan-in ops of ``sdmf_conv_lif`` per (output group, time step): ``K·K·CIN/(PI·PK)``."""
    return attrs["K"] * attrs["K"] * attrs["CIN"] // (knobs["PI"] * knobs.get("PK", 1))


def conv_weight_lanes(knobs: Knobs) -> int:
    """Weights in one ROM word of ``sdmf_conv_lif``: ``PK·PO·PI``."""
    return knobs.get("PK", 1) * knobs["PO"] * knobs["PI"]


class UnitModel:
    """The RTL unit library's cycle and stream model (docs/hardware.md)."""

    po_max: int = 64
    pi_max: int = 64

    # ------------------------------------------------------------ parallelism
    def knobs(self, layer: HwLayer) -> tuple[str, ...]:
        """Names of the parallelism knobs of ``layer`` (empty: fixed datapath)."""
        if layer.kind == "conv_lif":
            return ("PO", "PI", "PK") if layer.attrs["K"] == 3 else ("PO", "PI")
        if layer.kind == "attention_lif":
            return ("PO",)
        return ()

    def candidates(self, layer: HwLayer) -> Iterator[Knobs]:
        """Every legal knob setting (Pareto-relevant values only)."""
        a = layer.attrs
        if layer.kind == "conv_lif":
            pos = sorted({ceil_div(a["COUT"], g) for g in range(1, a["COUT"] + 1)})
            pks = [1, 3] if a["K"] == 3 else [1]
            for pk in pks:
                for pi in divisors(a["CIN"]):
                    for po in pos:
                        if pi <= self.pi_max and po <= self.po_max:
                            knobs = {"PO": po, "PI": pi}
                            yield knobs | {"PK": pk} if a["K"] == 3 else knobs
        elif layer.kind == "attention_lif":
            vmax = max(attention_heads(layer).values(), key=lambda hv: hv[1])[1]
            for po in sorted({ceil_div(vmax, g) for g in range(1, vmax + 1)}):
                if po <= self.po_max:
                    yield {"PO": po}
        else:
            yield {}

    def validate(self, layer: HwLayer, knobs: Knobs) -> None:
        """Raise ``ValueError`` naming the layer and knob when a setting is illegal."""
        a = layer.attrs
        allowed = set(self.knobs(layer))
        for key, value in knobs.items():
            if key not in allowed:
                raise ValueError(f"layer {layer.name!r} ({layer.kind}) has no knob {key!r}; "
                                 f"knobs: {sorted(allowed) or 'none'}")
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"layer {layer.name!r}: {key} must be a positive integer")
        if layer.kind == "conv_lif":
            if "PI" in knobs and a["CIN"] % knobs["PI"]:
                raise ValueError(f"layer {layer.name!r}: PI={knobs['PI']} must divide "
                                 f"CIN={a['CIN']}")
            if knobs.get("PO", 1) > a["COUT"]:
                raise ValueError(f"layer {layer.name!r}: PO={knobs['PO']} exceeds "
                                 f"COUT={a['COUT']}")
            if knobs.get("PK", 1) not in (1, a["K"]):
                raise ValueError(f"layer {layer.name!r}: PK={knobs['PK']} must be 1 or "
                                 f"K={a['K']}")
        if layer.kind == "attention_lif" and knobs.get("PO", 1) > a["CV"]:
            raise ValueError(f"layer {layer.name!r}: PO={knobs['PO']} exceeds CV={a['CV']}")

    def cost(self, layer: HwLayer, knobs: Knobs) -> int:
        """Resource proxy: parallel multiply/AND-accumulate lanes."""
        if layer.kind == "conv_lif":
            return conv_weight_lanes(knobs)
        if layer.kind == "attention_lif":
            return knobs["PO"]
        return 0

    # ------------------------------------------------------------ cycles
    def cycles(self, layer: HwLayer, knobs: Knobs | None = None) -> int:
        """Analytic busy cycles of one inference (docs/hardware.md, unit library)."""
        k = dict(layer.parallel) if knobs is None else knobs
        a = layer.attrs
        kind = layer.kind
        if kind == "conv_lif":
            per_t = conv_steps(a, k) + 1
            return a["positions"] * (ceil_div(a["COUT"], k["PO"]) * a["T"] * per_t + 1)
        if kind == "maxpool":
            return a["H"] * a["W"]
        if kind == "attention_lif":
            n, t = a["N"], a["T"]
            phase1 = phase2 = 0
            for qn, vn in attention_heads(layer).values():
                groups = ceil_div(vn, k["PO"])
                phase1 += groups * (t * qn if qn else 1)
                phase2 += groups * t * (qn + 1)
            return n * (1 + phase1) + n * (2 + phase2)
        if kind == "residual_add":
            return a["positions"]
        if kind == "head":
            return 1 + a["N"] * a["D"] + a["K"] * a["D"] + 1 + a["K"] + 1
        return 0

    # ------------------------------------------------------------ stream facts
    def capacity(self, layer: HwLayer) -> int:
        """Upper bound of the tokens a unit absorbs while its output is stalled."""
        a = layer.attrs
        kind = layer.kind
        if kind == "fifo":
            return a["DEPTH"] + 1
        if kind == "conv_lif":                  # docs/hardware.md, sdmf_conv_lif
            return 4 if a["K"] == 1 else 2 * a["W"] + 1
        if kind == "maxpool":                   # the inputs of its first output word
            return a["W"] + 2
        if kind == "attention_lif":             # all N k/v tokens, 2 q tokens
            return a["N"] + 2
        if kind in ("residual_add", "fork"):
            return 1
        return 0

    def phased(self, layer: HwLayer) -> bool:
        """Whether a unit works frame by frame in phases (not token by token): it takes
        whole frames on some ports before others and emits its tokens in a burst."""
        return layer.kind == "attention_lif"

    def hold(self, layer: HwLayer, port: str) -> int:
        """Tokens of the next frame the path into ``port`` must buffer while a phased unit
        works on its other phase (attention: N, on q, k and v)."""
        return layer.attrs["N"] if self.phased(layer) else 0

    def burst(self, layer: HwLayer) -> int:
        """Tokens a phased unit emits faster than a steady consumer takes them: the depth
        of the FIFO on its output (attention: one frame, N)."""
        return layer.attrs["N"] if self.phased(layer) else 0

    def port_order(self, layer: HwLayer, port: str) -> int:
        """Phase in which a multi-input unit consumes ``port`` (equal: in lockstep)."""
        if layer.kind == "attention_lif":
            return 1 if port == "q" else 0
        return 0

    def lead(self, layer: HwLayer, port: str) -> int:
        """Tokens a unit takes on earlier-phase ports before its first token on ``port``."""
        if layer.kind == "attention_lif" and port == "q":
            return layer.attrs["N"]
        return 0


DEFAULT_MODEL = UnitModel()
