"""Hand grading: the course settings, the grading packet (a static site), the merge of the hand-graded scores
into the final grades, and the class report. `hw3.grading.run` calls it (`workflow.py`); it reads the
automatic part's records and rows (`hw3.grading.auto`), never the other way round."""
