"""What physical pruning buys in hardware: the same model generated pruned and unpruned.

    sdmf quantize --checkpoint models/digits-dvs/sdmformer-1-128.pt --bits 8 --qat-epochs 1 \\
        --lr 1e-4 --seed 0 --ignore-masks --out build/pruning/unpruned.sdmfir
    python benchmarks/pruning_gain.py --pruned models/digits-dvs/sdmformer-1-128-int8.sdmfir \\
        --unpruned build/pruning/unpruned.sdmfir --out build/pruning

Two comparisons, both measured:

* **cycles at equal parallelism** — both designs generated with the same cycle target
  (``--target-cycles``, default: one that every block layer of the unpruned design
  meets serially, so each block layer gets PO = PI = 1 in both) and simulated in
  Verilator (bit-exact against the golden model): a layer's busy cycles follow its
  kept multiply-accumulates (kept outputs × kept fan-in);
* **resources at equal throughput** — both generated with the default balanced
  parallelism (the same bottleneck, ``sps.0``, which no mask touches) and synthesized
  per unit with Yosys: each layer needs lanes, ROM and FIFO bits for its kept channels only.

Writes ``pruning_gain.json``, ``pruning_gain.md`` and ``pruning_gain.png`` under --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from sdmf.hw.flow import build_graph, generate
from sdmf.hw.synth import synthesize
from sdmf.io import write_json, write_text
from sdmf.quant.ir import IntegerIR
from sdmf.sim.network import simulate

COMPUTE = ("conv_lif", "attention_lif", "head")


def _say(msg: str) -> None:
    print(f"pruning_gain: {msg}", file=sys.stderr, flush=True)


def _serial_target(ir: IntegerIR) -> int:
    """The largest busy-cycle count of a block layer at PO = PI = 1 (plus 1 %)."""
    graph = build_graph(ir, target_cycles=1 << 62)
    worst = max(lay.cycles or 0 for lay in graph.layers.values() if lay.name.startswith("blocks"))
    return int(worst * 1.01)


def _macs(layer: dict[str, Any]) -> int | None:
    """Multiply-accumulates of a conv per time step: positions × kept outputs × kept fan-in."""
    a = layer["attrs"]
    if layer["kind"] != "conv_lif":
        return None
    return a["positions"] * a["COUT"] * a["K"] ** 2 * a["CIN"]


def _channels(layer: dict[str, Any] | None) -> tuple[int, int]:
    """(kept outputs, kept inputs): conv COUT/CIN, attention v/q·k channels, head K/D."""
    if layer is None:
        return 0, 0
    a = layer["attrs"]
    if layer["kind"] == "attention_lif":
        return a["CV"], a["CQK"]
    if layer["kind"] == "head":
        return a["K"], a["D"]
    return a["COUT"], a["CIN"]


def _measure(ir: IntegerIR, x: torch.Tensor, target: int, work: Path,
             family: str) -> dict[str, Any]:
    _say(f"{work.name}: simulating {len(x)} samples at --target-cycles {target:,}")
    sim = simulate(ir, x, target_cycles=target, overlap=False, work_dir=work / "sim",
                   status=lambda m: _say(f"{work.name}: {m}"))
    if not sim.bit_exact:
        raise SystemExit(f"{work.name}: RTL differs from the golden model")
    serial = json.loads((Path(sim.project) / "report.json").read_text())
    _say(f"{work.name}: generating the balanced design and synthesizing it per unit")
    balanced = generate(ir, work / "balanced")
    res = synthesize(work / "balanced", family, mode="units", status=lambda m: _say(m))
    return {"sim": sim, "serial": serial, "balanced": balanced, "synth": res}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if not a or b is None else b / a


def compare(unpruned: dict[str, Any], pruned: dict[str, Any]) -> dict[str, Any]:
    """Per compute layer: kept channels, MACs, measured cycles and resources, both designs."""
    def by_name(rep: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {lay["name"]: lay for lay in rep["layers"]}

    s_u, s_p = by_name(unpruned["serial"]), by_name(pruned["serial"])
    b_u, b_p = by_name(unpruned["balanced"]), by_name(pruned["balanced"])
    cyc_u = {lay.name: max(lay.measured) for lay in unpruned["sim"].layers}
    cyc_p = {lay.name: max(lay.measured) for lay in pruned["sim"].layers}
    res_u = {u["layer"]: u for u in unpruned["synth"]["units"]}
    res_p = {u["layer"]: u for u in pruned["synth"]["units"]}
    rows = []
    for name, lay in s_u.items():
        if lay["kind"] not in COMPUTE:
            continue
        p = s_p.get(name)
        (po, pi), (uo, ui) = _channels(p), _channels(lay)
        row = {"layer": name, "kind": lay["kind"], "out": [po, uo], "in": [pi, ui],
               "macs": [_macs(p) if p else 0, _macs(lay)],
               "cycles": [cyc_p.get(name, 0), cyc_u.get(name)],
               "parallel_serial": [(p or {}).get("parallel"), lay["parallel"]],
               "parallel_balanced": [b_p.get(name, {}).get("parallel"),
                                     b_u[name]["parallel"]],
               "memory_bits": [b_p.get(name, {}).get("memory_bits", 0),
                               b_u[name]["memory_bits"]]}
        for k in ("LUT", "FF", "BRAM18", "DSP"):
            row[k] = [res_p.get(name, {}).get(k, 0), res_u.get(name, {}).get(k)]
        rows.append(row)
    totals = {}
    for scope, keep in (("blocks", lambda r: r["layer"].startswith("blocks")),
                        ("design", lambda r: True)):
        t: dict[str, list[float]] = {}
        for k in ("macs", "cycles", "memory_bits", "LUT", "FF", "BRAM18", "DSP"):
            t[k] = [sum(r[k][i] or 0 for r in rows if keep(r)) for i in (0, 1)]
        totals[scope] = t
    for k in ("LUT", "FF", "BRAM18", "DSP"):         # glue and streams count for the design
        totals["design"][k] = [pruned["synth"][k], unpruned["synth"][k]]
    return {"layers": rows, "totals": totals,
            "interval": [pruned["balanced"]["info"]["cycles"]["interval"],
                         unpruned["balanced"]["info"]["cycles"]["interval"]],
            "serial_interval": [pruned["serial"]["info"]["cycles"]["interval"],
                                unpruned["serial"]["info"]["cycles"]["interval"]]}


def _pct(pair: list[Any]) -> str:
    r = _ratio(pair[1], pair[0])
    return "–" if r is None else f"{100 * r:.0f} %"


def markdown(result: dict[str, Any]) -> str:
    lines = ["| layer | kept out | kept in | MACs | measured cycles (equal PO·PI) | "
             "LUT (balanced) | FF | BRAM18 | DSP |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["layers"]:
        lines.append(
            f"| `{r['layer']}` | {r['out'][0]}/{r['out'][1]} | {r['in'][0]}/{r['in'][1]} | "
            f"{_pct(r['macs']) if r['macs'][1] else ''} | "
            f"{r['cycles'][0]:,} / {r['cycles'][1]:,} ({_pct(r['cycles'])}) | "
            f"{r['LUT'][0]:,} / {r['LUT'][1]:,} ({_pct(r['LUT'])}) | "
            f"{_pct(r['FF'])} | {r['BRAM18'][0]}/{r['BRAM18'][1]} | {r['DSP'][0]}/{r['DSP'][1]} |")
    for scope, t in result["totals"].items():
        lines.append(f"| **{scope}** | | | {_pct(t['macs'])} | "
                     f"{int(t['cycles'][0]):,} / {int(t['cycles'][1]):,} ({_pct(t['cycles'])}) | "
                     f"{int(t['LUT'][0]):,} / {int(t['LUT'][1]):,} ({_pct(t['LUT'])}) | "
                     f"{_pct(t['FF'])} | {int(t['BRAM18'][0])}/{int(t['BRAM18'][1])} | "
                     f"{int(t['DSP'][0])}/{int(t['DSP'][1])} |")
    lines.append("")
    lines.append("Pairs are pruned / unpruned; percentages are pruned as a share of unpruned. "
                 "MACs per time step (positions × kept outputs × kept fan-in). Block totals "
                 "sum the block layers; design totals of LUT/FF/BRAM/DSP include the SPS, "
                 "head and glue.")
    bal, ser = result["interval"], result["serial_interval"]
    lines.append(f"\nInterval (cycles per inference, samples overlapped): balanced designs "
                 f"{bal[0]:,} / {bal[1]:,}; equal-parallelism designs {ser[0]:,} / {ser[1]:,} "
                 f"(target {result['target_cycles']:,}).")
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["layers"] if r["layer"].startswith("blocks")]
    names = [r["layer"].removeprefix("blocks.") for r in rows]
    series = {"kept MACs": "macs", "measured cycles": "cycles", "LUT": "LUT", "FF": "FF"}
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 3.6))
    width = 0.8 / len(series)
    for i, (label, key) in enumerate(series.items()):
        vals = [100 * (_ratio(r[key][1], r[key][0]) or 0) for r in rows]
        ax.bar([j + i * width for j in range(len(rows))], vals, width, label=label)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(rows))], names, rotation=30,
                  ha="right", fontsize=8)
    ax.set_ylabel("pruned / unpruned (%)")
    ax.axhline(100, color="grey", lw=0.5)
    ax.legend(fontsize=8, ncol=len(series), loc="upper left")
    ax.set_title("Physical pruning: kept work vs measured cycles and resources")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pruned", required=True, type=Path, help="IR with the masks applied")
    p.add_argument("--unpruned", required=True, type=Path,
                   help="the same model quantized with --ignore-masks")
    p.add_argument("--out", required=True, type=Path, help="work and report folder")
    p.add_argument("--samples", type=int, default=2, help="random samples to simulate")
    p.add_argument("--target-cycles", type=int, default=None,
                   help="cycle target of the equal-parallelism designs (default: serial blocks)")
    p.add_argument("--family", default="xc7", choices=["xc7", "xcup"])
    args = p.parse_args()
    pruned, unpruned = IntegerIR.load(args.pruned), IntegerIR.load(args.unpruned)
    if pruned.input_shape != unpruned.input_shape:
        raise SystemExit(f"input shapes differ: {pruned.input_shape} vs {unpruned.input_shape}")
    target = args.target_cycles or _serial_target(unpruned)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 6, (args.samples, *pruned.input_shape), generator=g)
    args.out.mkdir(parents=True, exist_ok=True)
    result = compare(_measure(unpruned, x, target, args.out / "unpruned", args.family),
                     _measure(pruned, x, target, args.out / "pruned", args.family))
    result.update({"pruned_ir": str(args.pruned), "unpruned_ir": str(args.unpruned),
                   "target_cycles": target, "family": args.family, "samples": args.samples})
    write_json(args.out / "pruning_gain.json", result)
    text = markdown(result)
    write_text(args.out / "pruning_gain.md", text)
    plot(result, args.out / "pruning_gain.png")
    print(text)


if __name__ == "__main__":
    main()
