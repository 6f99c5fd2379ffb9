"""`python -m hw3`: the same as the `hw3` command."""

import sys

from hw3.cli import main

sys.exit(main())
