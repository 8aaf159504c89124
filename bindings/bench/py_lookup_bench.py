"""Time of one lookup through the Python module: the same lookups as
c_lookup_bench.c, in one view and through the registry (which takes a view
per call), timed with time.perf_counter_ns.

    PYTHONPATH=<build>/bindings/python /usr/bin/python3 py_lookup_bench.py [users] [lookups]
"""
import sys
import time

import hubreg


def main():
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lookups = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    reg = hubreg.Registry()
    keys = [f"U-{i + 1}" for i in range(users)]
    for first in range(0, users, 10_000):
        with reg.batch() as b:
            for i in range(first, min(first + 10_000, users)):
                b.insert_user(external_id=keys[i], email=f"user{i + 1}@example.com", name=keys[i])
    state = 42
    order = []
    for _ in range(lookups):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        order.append(keys[(state >> 33) % users])

    checksum = 0
    with reg.view() as view:
        find = view.find_user_by_external_id
        start = time.perf_counter_ns()
        for key in order:
            checksum += find(key).id
        one_view = (time.perf_counter_ns() - start) / lookups

    find = reg.find_user_by_external_id
    start = time.perf_counter_ns()
    for key in order:
        checksum += find(key).id
    view_each = (time.perf_counter_ns() - start) / lookups

    start = time.perf_counter_ns()
    for key in order:
        pass
    loop = (time.perf_counter_ns() - start) / lookups

    print(f"py   find_user_by_external_id  one view:         {one_view:7.1f} ns/lookup")
    print(f"py   find_user_by_external_id  view per lookup:  {view_each:7.1f} ns/lookup")
    print(f"(empty Python loop: {loop:.1f} ns/iteration; {users} users, {lookups} lookups, "
          f"checksum {checksum})")


if __name__ == "__main__":
    main()
