"""Tests of the ticket printer driver, the printed ticket and the simulated printer."""
