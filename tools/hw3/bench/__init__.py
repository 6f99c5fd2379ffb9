"""Benchmarks of the reference notebooks: seconds, memory, metrics over seeds, and the baselines they
are judged against (Kneser-Ney character n-grams for Hafez, persistence for the stock forecaster)."""
