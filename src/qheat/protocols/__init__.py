"""One module per experiment family, with the same verbs: run(spec, backend) and analyze(records, spec)."""
