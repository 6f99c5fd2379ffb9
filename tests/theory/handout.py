"""The handout's theory items, which the template, the answers and both PDFs must number alike."""

# group -> number of items in it; twenty items in all.
HANDOUT_ITEMS = {
    "1.1.1": 3,
    "1.1.2": 3,
    "1.1.3": 2,
    "1.1.4": 2,
    "1.2.1": 3,
    "1.2.2": 3,
    "1.2.3": 2,
    "1.2.4": 2,
}
HANDOUT_ITEM_COUNT = 20
ITEMS = [
    (group, n) for group, count in HANDOUT_ITEMS.items() for n in range(1, count + 1)
]  # ("1.1.1", 1), ...
