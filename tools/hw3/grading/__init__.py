"""Grading: a folder of Quera zips to a gradebook, per-student feedback, the hand-grading packet and final grades.

Two rooms under one door:

- `auto`: the automatic part: intake, the sandboxed run, integrity flags, results, state, gradebook,
  feedback;
- `hand`: the hand-graded part: the course settings, the grading packet, the merge into final grades,
  the class report.

`run.grade(...) -> GradeRun` (and `extract(...)`) orchestrate both; `cli.grade_main` is `hw3 grade`.
`hand` reads what `auto` produced; `auto` never imports `hand`, and neither imports this package's modules.
"""
