"""Submission rules and the student-side verbs: `hw3 pack` builds the Quera zip, `hw3 check` verifies one.

`rules` holds every rule (standard library only; the students' `submit.py` is built from it),
`pack` and `check` are the typed APIs, `cli` their thin command lines, `standalone` writes `submit.py`.
"""
