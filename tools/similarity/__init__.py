"""The honor-code screen: which submissions share answer code or run-specific outputs.

`stubs` (what the release gives everyone) -> `submissions` (each zip's own code and outputs, as
`fingerprints`) -> `compare` (pairs, scores, flags) -> `report` (CSV and HTML). `synth` writes
synthetic classes for the benchmark and the tests. API: `hw3.similarity.run.similarity(...)`.
"""
