"""Test helper: bundled specs with some fields changed (``"table.key": value``), validated anew."""

from __future__ import annotations

from qheat.protocols.registry import load_spec, spec_from_dict


def changed_spec(name: str, **changes):
    data = load_spec(name).to_dict()
    for path, value in changes.items():
        table, key = path.split(".")
        data.setdefault(table, {})[key] = value
    return spec_from_dict(data)
