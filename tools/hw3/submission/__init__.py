"""Submission rules and the student-side verbs: `hw3 pack` builds the Quera zip, `hw3 check` verifies one.

`rules` holds every rule, `pack` and `check` are the typed APIs, `options` their command-line
options, `cli` the thin command lines of `hw3 pack` and `hw3 check`. The students' `submit.py` is
`submit_cli` (its command line) with every module it imports, pasted into one file by `standalone`;
so all of them but `cli` and `standalone` are standard library only, in Python 3.8 syntax.
"""
