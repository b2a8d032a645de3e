"""What the tests and the benchmarks need beside the shipped code (not deployed, not installed)."""
