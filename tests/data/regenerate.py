"""Regenerate the golden records of tests/data: small runs of every protocol on a circuit backend, each
as ``<name>.records.json`` (the raw counts) and ``<name>.json`` (the result ``qheat analyze`` must keep
reproducing). Run ``python tests/data/regenerate.py`` only when a change of the analysis is intended,
and say why in the commit."""

from __future__ import annotations

import json
from pathlib import Path

import qheat

HERE = Path(__file__).resolve().parent


def golden_specs() -> dict[str, dict]:
    cascade = qheat.load_spec("fig3-reversed").to_dict()
    cascade.update(name="golden-cascade", description="fig3-reversed, 2 collisions, 200 shots")
    cascade["interaction"]["collisions"] = 2
    cascade["measurement"] = {"shots": 200, "bootstrap": 4}
    reprepare = json.loads(json.dumps(cascade))
    reprepare.update(name="golden-cascade-reprepare", execution={"mode": "reprepare", "engine": "circuits"})
    return {"golden-cascade": cascade, "golden-cascade-reprepare": reprepare, **_others()}


def _others() -> dict[str, dict]:
    """Small specs of the other protocols (each file's bundled spec, shrunk)."""
    out = {}
    for name, shrink in SHRINK.items():
        data = qheat.load_spec(name).to_dict()
        data.pop("sweep", None)
        shrink(data)
        data["name"] = f"golden-{data['protocol']}"
        out[data["name"]] = data
    return out


def _circuits(points: int | None = None, shots: int = 300, **extra):
    def shrink(data: dict) -> None:
        data["circuits"] = {**data.get("circuits", {}), "shots": shots, **extra}
        if points is not None:
            data["circuits"]["points"] = points

    return shrink


def _pump(data: dict) -> None:
    data["cycles"] = 1
    data["circuits"] = {**data.get("circuits", {}), "shots": 300}


def _reservoirs(data: dict) -> None:
    data["methods"] = ["lindblad", "local"]
    data["lamb_shift"] = False  # circuits have no Lamb-shift collision model (refused on 'aer')
    data["collisions"] = {"dt": 1.0, "shots": 100, "window": 10.0}


SHRINK = {
    "ma-fig1b": _circuits(points=3),
    "holdsworth-fig1": _circuits(points=3, bootstrap=10),
    "holdsworth-pump": _pump,
    "zhang-fig2": _reservoirs,
}


def main() -> None:
    from qheat import engine

    for name, data in golden_specs().items():
        spec = qheat.spec_from_dict(data)
        document = engine.collect(spec, "aer")
        (HERE / f"{name}.records.json").write_text(json.dumps(document, separators=(",", ":")) + "\n")
        result = engine.analyze(document).to_dict()
        (HERE / f"{name}.json").write_text(json.dumps(result, indent=None, separators=(",", ":")) + "\n")
        print(f"{name}: {(HERE / f'{name}.records.json').stat().st_size / 1e3:.0f} kB of records")


if __name__ == "__main__":
    main()
