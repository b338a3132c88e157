"""Pure functions from states (or records) to thermodynamic quantities, and figures."""
