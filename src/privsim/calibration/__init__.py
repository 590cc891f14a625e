"""Calibration and validation against the five reported cases (see ``scenarios/cases/benchmarks.yaml``)."""
