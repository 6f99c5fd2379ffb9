"""Hand grading: the course settings, the grading packet (a static site), the merge of the hand-graded scores
into the final grades, and the class report. `hw3 grade` runs it (`workflow.py`)."""
