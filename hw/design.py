"""Design files: a generated design pinned as data, so that it can be regenerated exactly.

A design file is JSON::

    {"note": "what it is and where it is measured",
     "model": "models/activity/sdmformer-2-256-128-t16-int8.sdmfir",
     "generate": {"board": "kv260", "word_beats": 16, "overrides": {"sps.1": {"PO": 16}},
                  "placement": {"sps.3": {"weight": "bram"}}, ...},
     "families": ["xcup"]}

``generate`` holds keyword arguments of :func:`sdmf.hw.flow.generate` (the knobs per
layer, the memory placements, the stream and FIFO options); ``model`` is the IR, a path
relative to the working directory or to a folder above the file (a repository root);
``families`` names the Yosys families the design is calibrated on
(benchmarks/calibrate_resources.py). ``sdmf hwgen --design FILE`` generates it; the
measured designs of docs/hardware-results.md are in benchmarks/calibration/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .boards import BOARDS
from .resources.memory import STYLES

TOP_FIELDS = ("note", "model", "generate", "families")
# generate()'s keyword arguments a design file may set, and the JSON types each takes
GENERATE_FIELDS: dict[str, tuple[type, ...]] = {
    "backend": (str,), "trace": (bool,), "counters": (bool,), "target_cycles": (int,),
    "budget": (int,), "overrides": (dict,), "row_parallel": (bool,),
    "event_driven": (bool, int), "clock_mhz": (int, float), "board": (str,),
    "params": (str,), "widths": (str,), "fit_board": (bool,), "placement": (dict,),
    "word_beats": (int,), "lut_limit": (int, float), "decouple_rows": (int,),
    "fork_tokens": (int,), "pack_fifos": (bool,),
}

# the fields with a fixed set of values, and the numeric fields' lowest allowed value
CHOICES: dict[str, tuple[Any, ...]] = {
    "board": tuple(BOARDS), "params": ("rom", "loaded"), "widths": ("weights", "architecture"),
    "event_driven": (False, True, 0, 1, 2),
}
AT_LEAST: dict[str, int] = {"target_cycles": 1, "budget": 1, "word_beats": 1,
                            "decouple_rows": 0, "fork_tokens": 0}


class DesignError(ValueError):
    """A design file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Design:
    """A loaded design file: the IR's path and generate()'s keyword arguments."""

    path: Path
    model: Path
    generate: dict[str, Any]
    note: str = ""
    families: tuple[str, ...] = ()


def load_design(path: str | Path) -> Design:
    """Read and check the design file ``path`` (:class:`DesignError` on any defect)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise DesignError(f"{path}: cannot read the design file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DesignError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DesignError(f"{path}: a design file is a JSON object")
    unknown = sorted(set(data) - set(TOP_FIELDS))
    if unknown:
        raise DesignError(f"{path}: unknown field(s) {', '.join(unknown)} "
                          f"(known: {', '.join(TOP_FIELDS)})")
    for field in ("model", "generate"):
        if field not in data:
            raise DesignError(f"{path}: field '{field}' is missing")
    if not isinstance(data["model"], str) or not data["model"]:
        raise DesignError(f"{path}: field 'model' must be the IR's path (a string)")
    families = data.get("families", [])
    if not isinstance(families, list) or not all(isinstance(f, str) for f in families):
        raise DesignError(f"{path}: field 'families' must be a list of strings")
    return Design(path=path, model=resolve_model(path, data["model"]),
                  generate=check_generate(path, data["generate"]),
                  note=str(data.get("note", "")), families=tuple(families))


def resolve_model(path: Path, model: str) -> Path:
    """``model`` as given if it exists (absolute or from the working directory), else
    relative to the first folder above ``path`` that holds it."""
    given = Path(model)
    if given.is_absolute() or given.exists():
        if not given.exists():
            raise DesignError(f"{path}: field 'model': {model} does not exist")
        return given
    for folder in path.resolve().parents:
        if (folder / given).exists():
            return folder / given
    raise DesignError(f"{path}: field 'model': {model} is neither in the working directory "
                      "nor under a folder above the design file")


def check_generate(path: Path, gen: Any) -> dict[str, Any]:
    """The ``generate`` object checked field by field against :data:`GENERATE_FIELDS`."""
    if not isinstance(gen, dict):
        raise DesignError(f"{path}: field 'generate' must be an object of generate() "
                          "keyword arguments")
    for key, value in gen.items():
        where = f"{path}: field 'generate.{key}'"
        types = GENERATE_FIELDS.get(key)
        if types is None:
            raise DesignError(f"{where} is not a generate() option "
                              f"(known: {', '.join(GENERATE_FIELDS)})")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise DesignError(f"{where} must be {names}, got {value!r}")
    _check_values(path, gen)
    _check_knobs(path, gen.get("overrides", {}))
    _check_placement(path, gen.get("placement", {}))
    return dict(gen)


def _check_values(path: Path, gen: dict[str, Any]) -> None:
    """The fields' values: one of :data:`CHOICES`, at least :data:`AT_LEAST`, a clock
    above 0 MHz and a LUT limit in (0, 1]."""
    def bad(key: str, want: str) -> DesignError:
        return DesignError(f"{path}: field 'generate.{key}' must be {want}, got {gen[key]!r}")

    for key, allowed in CHOICES.items():
        if key in gen and gen[key] not in allowed:
            raise bad(key, "one of " + ", ".join(map(str, allowed)))
    for key, low in AT_LEAST.items():
        if key in gen and gen[key] < low:
            raise bad(key, f">= {low}")
    if "clock_mhz" in gen and not 0 < gen["clock_mhz"] < float("inf"):
        raise bad("clock_mhz", "a clock above 0 MHz")
    if "lut_limit" in gen and not 0 < gen["lut_limit"] <= 1:
        raise bad("lut_limit", "a fraction in (0, 1]")


def _check_knobs(path: Path, overrides: dict[str, Any]) -> None:
    """``overrides``: layer → {knob: positive integer}."""
    for layer, knobs in overrides.items():
        where = f"{path}: field 'generate.overrides.{layer}'"
        if not isinstance(knobs, dict):
            raise DesignError(f"{where} must be an object of knobs, e.g. {{\"PO\": 4}}")
        for knob, value in knobs.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DesignError(f"{where}.{knob} must be a positive integer, got {value!r}")


def _check_placement(path: Path, placement: dict[str, Any]) -> None:
    """``placement``: layer → {memory role: style}."""
    for layer, roles in placement.items():
        where = f"{path}: field 'generate.placement.{layer}'"
        if not isinstance(roles, dict):
            raise DesignError(f"{where} must be an object of memory: style, "
                              "e.g. {\"weight\": \"bram\"}")
        for role, style in roles.items():
            if style not in STYLES:
                raise DesignError(f"{where}.{role} must be one of {', '.join(STYLES)}, "
                                  f"got {style!r}")
