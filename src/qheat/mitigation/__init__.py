"""Error mitigation techniques: circuits to run and corrections to apply."""
