"""Post-fit analysis: diagnostics, results, prior-data conflict, prior predictive, compare."""
