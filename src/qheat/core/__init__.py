"""The ground floor: errors, spec helpers, records files, results."""
