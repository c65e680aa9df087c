#!/usr/bin/env python3
"""bench/check_output.py: is a recommendation output plausible for the
clicks that made it? (Standard library only.)

    check_output.py CLICKS.tsv OUTPUT.txt
    check_output.py --closed-keys CLICKS.tsv...

CLICKS.tsv: the clicks of weir-datagen's ground truth (topic, timestamp,
key, user_id, product_id, tab-separated). OUTPUT.txt: the output topic
read read_committed, one "key<TAB>value" line per record, the value
`user-27,"140,13,137,95,39,138","2024-06-28 13:01:55"` (window end, UTC).

Checks: every record answers a (user, 5 s window) that has a click of
that user; no (user, window) is answered twice; every window that surely
closed is answered: those whose end + 1 s grace is at least 30 s of
event time before the last click (event time downstream of the
repartition is the slowest partition's, and with a click a second over 6
partitions a partition's next click can be many seconds away); a list
has at most 6 distinct products. Prints one line and exits 1 when a
check fails.

--closed-keys prints, one per line, the users of the (user, window)
pairs of the clicks of all the files given that surely closed, by the
same rule: a result for each of them (the key is the user) shows that
the task holding that user is running, its stores restored.
"""
import sys
from datetime import datetime, timezone

WINDOW_MS, GRACE_MS, SLACK_MS = 5000, 1000, 30000


def windows(paths):
    """The (user, window end) pairs of the clicks, the last click time."""
    expected, last = set(), 0
    for path in paths:
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                ts = int(fields[1])
                last = max(last, ts)
                expected.add((fields[3], (ts // WINDOW_MS + 1) * WINDOW_MS))
    must = {k for k in expected if k[1] + GRACE_MS <= last - SLACK_MS}
    return expected, must


def main():
    if sys.argv[1] == "--closed-keys":
        for user in sorted({k[0] for k in windows(sys.argv[2:])[1]}):
            print(user)
        return 0
    output = sys.argv[2]
    expected, must = windows([sys.argv[1]])
    seen, problems = set(), []
    with open(output) as f:
        for n, line in enumerate(f, 1):
            key, _, value = line.rstrip("\n").partition("\t")
            try:
                user, rest = value.split(",", 1)
                products, end = rest.rsplit(",", 1)
                end_ms = int(datetime.strptime(end.strip('"'),
                                               "%Y-%m-%d %H:%M:%S")
                             .replace(tzinfo=timezone.utc).timestamp() * 1000)
                ids = [p for p in products.strip('"').split(",") if p]
            except ValueError:
                problems.append(f"line {n}: cannot read '{value}'")
                continue
            k = (user, end_ms)
            if user != key:
                problems.append(f"line {n}: key {key} for {user}")
            if k not in expected:
                problems.append(f"line {n}: {user} had no click in the "
                                f"window ending {end}")
            if k in seen:
                problems.append(f"line {n}: {user}'s window ending {end} "
                                "answered twice")
            if len(ids) > 6 or len(set(ids)) != len(ids):
                problems.append(f"line {n}: bad list {products}")
            seen.add(k)
    missing = must - seen
    if missing:
        problems.append(f"{len(missing)} closed windows unanswered, e.g. "
                        f"{sorted(missing, key=lambda k: k[1])[0]}")
    if problems:
        print(f"{len(seen)} results, {len(problems)} problems: "
              + "; ".join(problems[:3]))
        return 1
    print(f"{len(seen)} results, each for a (user, window) with a click, "
          f"none twice, all {len(must)} surely closed windows answered "
          f"(of {len(expected)} with clicks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
