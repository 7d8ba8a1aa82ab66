"""`hall bench`: the benchmark suite. Figures are measured here, never asserted in tests."""
