"""The data the notebooks read: the Divan of Hafez (from the `hafez` package) and the AAPL prices (`data/`)."""
