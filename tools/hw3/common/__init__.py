"""Parts every verb shares: the notebook and zip readers, atomic and reproducible writes, notebook runs.

`nbjson`, `safezip`, `atomic` and `zipwrite` use the standard library only: the students' `submit.py` is
built from them.
"""
