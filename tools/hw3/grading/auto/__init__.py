"""The automatic part of grading, one step per module.

`intake` (find zips, read only the notebooks, safely) -> `notebook` (per notebook: `integrity`
flags, `clean` metadata, then a `harness` process) -> the harness runs the notebook through
`session` in the `sandbox` (`runner`, with `kernel_probe` in the student's kernel), then the
`canaries` and every test of `testfiles` outside it, exchanging plain data (`codec`, `protocol`) ->
`results` -> `state` (records per zip content, resumable) -> `gradebook` and `feedback`.
`assignments` and `autograder_info` read the release; `limits` and `allowlist` say what a sandbox gets.
"""
