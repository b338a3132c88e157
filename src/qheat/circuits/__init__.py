"""Shared circuit builders: state preparation, Pauli evolution, routing.

``IDEAL_BASIS``: the gates every ideal compilation (Aer without a noise model) targets.
"""

IDEAL_BASIS = ["rz", "sx", "x", "cx"]
