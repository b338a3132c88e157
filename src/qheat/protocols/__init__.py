"""The experiments: one package per protocol, each exposing ``PROTOCOL``; ``registry`` names them."""
