"""The automatic part of grading, one step per module.

`intake` (find zips, read only the notebooks, safely) -> `notebook` (per notebook: `integrity` flags,
then `otter_child` in the `sandbox`) -> `results` (validate what the child reports) -> `state`
(records per zip content, resumable) -> `gradebook` and `feedback`. `assignments` and
`autograder_info` read the release.
"""
