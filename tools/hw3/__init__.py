"""DL HW3 tooling, the `hw3` command: release, pack and check, grade and hand-grade, screen, calibrate, benchmark.

One sub-package per role, each with a typed API and a thin `cli` module:

- `release`: otter assign on the masters, reproducible `student/` and `autograder/`, the student bundle;
- `submission`: the submission rules (`rules`, standard library only), `hw3 pack`, `hw3 check`, the
  students' `submit.py`;
- `grading`: `hw3 grade`, the automatic part (`grading.auto`: intake, sandbox, integrity flags,
  results, state, gradebook, feedback) and the hand-graded part (`grading.hand`: the course settings,
  the grading packet, the merge into final grades, the class report);
- `similarity`: the honor-code screen: fingerprints, pairs, known sources, clusters, report, synthetic
  classes;
- `calibration`: the mutant catalogue (`reference/mutants/`), the correct variants, `hw3 calibrate`
  and its mutation analysis;
- `bench`: the benchmarks and their baselines (Kneser-Ney n-grams);
- `theory`: the LaTeX template, the LSTM diagram, the solutions PDF;
- `datasets`: the Hafez corpus and the AAPL prices;
- `common`: the notebook and zip readers, atomic and reproducible writes, notebook runs, image
  sanitising, hand-graded regions.

`errors` holds the one error root and exit-code policy; `project` finds the course repository;
`registry` reads its assignments (`reference/<name>/assignment.toml`), from which every list of
notebooks is derived.
"""
