"""Test helpers: bundled specs with some fields changed (``"table.key": value``), validated anew; the tiny
cascade spec that the device tests run."""

from __future__ import annotations

from qheat.protocols.registry import load_spec, spec_from_dict


def changed_spec(name: str, **changes):
    data = load_spec(name).to_dict()
    for path, value in changes.items():
        table, key = path.split(".")
        data.setdefault(table, {})[key] = value
    return spec_from_dict(data)


# Two spins at T = 1 with a coherence of 0.5 between them, a bath at 0.9, two collisions: small enough
# for Runtime local mode in seconds. Tests copy it (json round trip) before changing it.
TINY_CASCADE = {
    "name": "tiny",
    "protocol": "cascade",
    "system": {
        "temperatures": [1.0, 1.0],
        "coherence": [{"pair": [1, 2], "strength": 0.5, "phase": 3.141592653589793}],
    },
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 2},
    "measurement": {"shots": 300, "bootstrap": 0},
    "mitigation": {"readout": True},
}
