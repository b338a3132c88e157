"""Hypothesis profiles: "ci" (the default, fast), "slow" (more examples; select with --hypothesis-profile=slow).

The libraries are imported first: one of them raises the recursion limit on import, which hypothesis warns
about when it happens inside a test."""

from hypothesis import HealthCheck, settings

from qheat.protocols.registry import protocols

protocols()
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "slow", max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")
