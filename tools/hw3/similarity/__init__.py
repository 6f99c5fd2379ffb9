"""The honor-code screen: which submissions share answer code or run-specific outputs, and with what.

`stubs` (what the release gives everyone) -> `submissions` (each zip's own code and outputs, as
`fingerprints`) -> `compare` (pairs, and each submission against the known `sources`: the
reference solution, earlier work) -> `clusters` (code too common for the pairs, grouped by who
holds it) -> `report` (CSVs and HTML). `synth` writes synthetic classes for the benchmark and the
tests, from the independently written answers in `pool`. API: `hw3.similarity.run.similarity(...)`.
"""
