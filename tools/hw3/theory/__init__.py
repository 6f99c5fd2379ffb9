"""The theory part: the students' LaTeX template, the LSTM diagram, the reference answers as a PDF,
and the parameter counts the answers quote."""
