"""Is the grader right? The reference on several seeds and a catalogue of realistic wrong solutions
(`reference/mutants/`), graded exactly as TAs grade, with pass rates, threshold margins and kill rates.

API: `hw3.calibration.calibrate.calibrate(...) -> CalibrationReport`; `cli.calibrate_main` is `hw3 calibrate`.
"""
