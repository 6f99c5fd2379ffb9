"""The `hw3` command line tool: release, benchmark, pack, check and grade DL HW3."""
