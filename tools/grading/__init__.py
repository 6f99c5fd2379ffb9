"""Grading: a folder of Quera zips to a gradebook, per-student feedback and a TA log, with untrusted code confined.

The steps, one module each: `intake` (find zips, read only the notebooks, safely) -> `notebook`
(per notebook: `integrity` flags, then `otter_child` in the `sandbox`) -> `results` (validate what
the child reports) -> `state` (records per zip content, resumable) -> `gradebook` and `feedback`.
API: `hw3.grading.run.grade(...) -> GradeRun` and `extract(...)`; `cli.grade_main` is `hw3 grade`.
"""
