#!/usr/bin/python3
"""Turns a hubreg_bench JSON file into the tables of docs/benchmarks.md and
two plots (start-up time against size; lookup latency against size).

    /usr/bin/python3 bench/report.py bench/results/<file>.json           # print
    /usr/bin/python3 bench/report.py bench/results/<file>.json --update  # write docs/

--update replaces the text between the markers
<!-- bench-report:begin --> and <!-- bench-report:end --> in docs/benchmarks.md
and writes docs/benchmarks_startup.png and docs/benchmarks_lookup_latency.png.
Needs python3-matplotlib only for the plots.
"""
import argparse
import json
import os
import sys

BEGIN = "<!-- bench-report:begin -->"
END = "<!-- bench-report:end -->"
SIZES = ["S", "M", "L"]
ENGINES = ["hubreg", "hubreg_read_per_op", "unordered_map", "lmdb", "sqlite"]
OPERATIONS = ["user_by_id", "user_by_external_id", "user_by_email", "clients_of_user",
              "users_of_client", "owner_of_organization", "resolve"]
STARTUP_METHODS = ["snapshot_new_process", "snapshot", "journal", "snapshot_file", "decode",
                   "from_rows", "from_rows_both_copies", "memcpy"]
POINT = {"user_by_id", "user_by_external_id", "user_by_email"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        parts = b["name"].split("/")
        name = "/".join(p for p in parts
                        if ":" not in p and p not in ("real_time", "manual_time", "process_time"))
        # Lookups run on one thread: their CPU time is what the lookup costs,
        # even when other processes on the machine take the core now and
        # then. Start-up and writes are timed in wall time.
        manual = "manual_time" in b["name"] or "real_time" in b["name"]
        key = "real_time" if manual else "cpu_time"
        b["ns"] = b[key] * TO_NS[b.get("time_unit", "ns")]
        # CPU time of every thread, where the benchmark asked for it.
        if "process_time" in b["name"]:
            b["process_cpu_ns"] = b["cpu_time"] * TO_NS[b.get("time_unit", "ns")]
        runs[name] = b
    return data.get("context", {}), runs


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.1fx" % (a / b)


def lookup(runs, op, engine, mode, size):
    b = runs.get("lookup/%s/%s/%s/%s" % (op, engine, mode, size))
    return b["ns"] if b else None


def lookup_tables(runs, sizes):
    out = []
    for size in sizes:
        for mode in ["throughput", "latency"]:
            if lookup(runs, "user_by_id", "hubreg", mode, size) is None:
                continue
            out.append("\n### Lookups, size %s, %s mode (time per lookup)\n" % (size, mode))
            out.append("| operation | hubreg | hubreg, Read() per op | unordered_map | LMDB | SQLite "
                       "| SQLite / hubreg | LMDB / hubreg |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for op in OPERATIONS:
                t = {e: lookup(runs, op, e, mode, size) for e in ENGINES}
                if t["hubreg"] is None:
                    continue
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    op, fmt_ns(t["hubreg"]), fmt_ns(t["hubreg_read_per_op"]),
                    fmt_ns(t["unordered_map"]), fmt_ns(t["lmdb"]), fmt_ns(t["sqlite"]),
                    ratio(t["sqlite"], t["hubreg"]), ratio(t["lmdb"], t["hubreg"])))
    return out


def counter(b, key):
    return b.get(key) if b else None


def startup_table(runs, sizes):
    out = ["\n### Start-up (wall time; CPU of every thread over the whole iteration, closing and "
           "the background standby copy included, where measured)\n",
           "| size | method | time | CPU, all threads | entities/s | MB/s | entities "
           "| snapshot bytes |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    any_row = False
    for size in sizes:
        for method in STARTUP_METHODS:
            b = runs.get("startup/%s/%s" % (method, size))
            if not b:
                continue
            any_row = True
            out.append("| %s | %s | %s | %s | %.2fM | %.0f | %d | %.1f MB |" % (
                size, method, fmt_ns(b["ns"]), fmt_ns(b.get("process_cpu_ns")),
                b["entities_per_second"] / 1e6,
                b["MB_per_second"], b["entities"], b["bytes"] / 1e6))
    return out if any_row else []


def write_table(runs):
    out = ["\n### Writes (durable store, size S loaded, no automatic compaction)\n",
           "| write | time per commit | rows/s |", "|---|---:|---:|"]
    any_row = False
    for kind in ["single_full_sync", "single_no_meta_sync", "single_no_sync",
                 "bulk_100k_full_sync"]:
        b = runs.get("write/" + kind)
        if not b:
            continue
        any_row = True
        rows = b.get("rows_per_second") or b.get("items_per_second")
        out.append("| %s | %s | %.0f |" % (kind, fmt_ns(b["ns"]), rows or 0))
    return out if any_row else []


def contention_table(runs, sizes):
    out = ["\n### Reads under writes (Read() + lookup by external id per request)\n",
           "| size | readers | idle p50 | idle p99 | p50 under writes | p99 under writes "
           "| p99 ratio | writer batches/s |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    any_row = False
    for size in sizes:
        for readers in ["1", "2"]:
            b = runs.get("under_writes/%s/%s" % (readers, size))
            if not b:
                continue
            any_row = True
            out.append("| %s | %s | %s | %s | %s | %s | %.2fx | %.0f |" % (
                size, readers, fmt_ns(b["idle_p50_ns"]), fmt_ns(b["idle_p99_ns"]),
                fmt_ns(b["busy_p50_ns"]), fmt_ns(b["busy_p99_ns"]), b["p99_ratio"],
                b["writer_batches_per_second"]))
    return out if any_row else []


def memory_table(runs, sizes):
    out = ["\n### Memory (registry built in a fresh child process; both left-right copies)\n",
           "| size | resident | heap in use | raw data | resident / raw | per user (raw) "
           "| per account (raw) | per link (raw) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    any_row = False
    for size in sizes:
        b = runs.get("memory/" + size)
        if not b:
            continue
        any_row = True
        out.append("| %s | %.0f MB | %.0f MB | %.0f MB | %.2fx | %.0f B (%.0f B) | %.0f B (%.0f B) "
                   "| %.0f B (%.0f B) |" % (
                       size, b["resident_bytes"] / 1e6, b["heap_bytes"] / 1e6,
                       b["raw_bytes"] / 1e6, b["resident_to_raw"], b["resident_per_user"],
                       b["raw_per_user"], b["resident_per_account"], b["raw_per_account"],
                       b["resident_per_link"], b["raw_per_link"]))
    return out if any_row else []


def verdict(ok):
    return "met" if ok else "**missed**"


def targets_table(runs, sizes):
    size = sizes[-1]
    out = ["\n### Targets of issue 6 at size %s\n" % size,
           "| target | measured | verdict |", "|---|---|---|"]
    for mode in ["throughput", "latency"]:
        for op in ["user_by_id", "user_by_external_id", "user_by_email"]:
            h = lookup(runs, op, "hubreg", mode, size)
            s = lookup(runs, op, "sqlite", mode, size)
            l = lookup(runs, op, "lmdb", mode, size)
            if h is None:
                continue
            if s:
                out.append("| %s %s: >= 10x faster than SQLite | %.1fx | %s |" % (
                    op, mode, s / h, verdict(s / h >= 10)))
            need = 5 if mode == "throughput" else 2.5
            if l:
                out.append("| %s %s: >= %gx faster than LMDB | %.1fx | %s |" % (
                    op, mode, need, l / h, verdict(l / h >= need)))
        i = lookup(runs, "user_by_id", "hubreg", mode, size)
        e = lookup(runs, "user_by_email", "hubreg", mode, size)
        if i and e:
            out.append("| by email within 1.5x of by id (%s) | %.1fx | %s |" % (
                mode, e / i, verdict(e / i <= 1.5)))
    floor = runs.get("floor/dependent_load")
    i = lookup(runs, "user_by_id", "hubreg", "latency", size)
    if floor and i:
        out.append("| by id latency about two dependent loads (%s each) | %s = %.1f loads | %s |" % (
            fmt_ns(floor["ns"]), fmt_ns(i), i / floor["ns"], verdict(i <= 2.05 * floor["ns"])))
    worst = None
    for size_c in sizes:
        for readers in ["1", "2"]:
            b = runs.get("under_writes/%s/%s" % (readers, size_c))
            if b:
                out.append("| reader p99 under durable writes within 2x of idle (%s readers, %s) "
                           "| %.2fx | %s |" % (readers, size_c, b["p99_ratio"],
                                               verdict(b["p99_ratio"] <= 2)))
    for method in ["snapshot_new_process", "snapshot", "snapshot_file"]:
        b = runs.get("startup/%s/L" % method)
        if b:
            out.append("| start-up at size L under 1 s (%s) | %s (%.2fM entities/s) | %s |" % (
                method, fmt_ns(b["ns"]), b["entities_per_second"] / 1e6, verdict(b["ns"] < 1e9)))
    b = runs.get("memory/L")
    if b:
        out.append("| memory at size L under 2x raw | %.2fx | %s |" % (
            b["resident_to_raw"], verdict(b["resident_to_raw"] < 2)))
    return out


def report(context, runs):
    sizes = [s for s in SIZES if any(n.endswith("/" + s) for n in runs)]
    out = []
    floor = runs.get("floor/dependent_load")
    out.append("Run of %s on %s CPUs at %.0f MHz (sizes %s), load average at start %s. "
               "Lookup times are CPU time per lookup; start-up times are wall time." % (
                   context.get("date", "?"), context.get("num_cpus", "?"),
                   context.get("mhz_per_cpu", 0), ",".join(sizes),
                   " ".join("%.1f" % x for x in context.get("load_avg", []))))
    if floor:
        out.append("One dependent random memory load (pointer chase over 512 MiB): %s." %
                   fmt_ns(floor["ns"]))
    if sizes:
        out += targets_table(runs, sizes)
    out += lookup_tables(runs, sizes)
    out += startup_table(runs, sizes)
    out += write_table(runs)
    out += contention_table(runs, sizes)
    out += memory_table(runs, sizes)
    return "\n".join(out) + "\n"


def plots(runs, docs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s for s in SIZES if any(n.endswith("/" + s) for n in runs)]
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in STARTUP_METHODS:
        xs, ys = [], []
        for size in sizes:
            b = runs.get("startup/%s/%s" % (method, size))
            if b:
                xs.append(b["entities"])
                ys.append(b["ns"] / 1e9)
        if xs:
            ax.plot(xs, ys, marker="o", label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("entities (rows + links)")
    ax.set_ylabel("seconds")
    ax.set_title("hubreg start-up time against size")
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8, label="target at L: 1 s")
    ax.set_title("hubreg start-up time against size (wall)")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(docs, "benchmarks_startup.png"), dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, op in zip(axes, ["user_by_id", "user_by_email"]):
        for engine in ["hubreg", "unordered_map", "lmdb", "sqlite"]:
            xs, ys = [], []
            for i, size in enumerate(sizes):
                t = lookup(runs, op, engine, "latency", size)
                if t:
                    xs.append(size)
                    ys.append(t)
            if xs:
                ax.plot(xs, ys, marker="o", label=engine)
        floor = runs.get("floor/dependent_load")
        if floor:
            ax.axhline(floor["ns"], color="grey", linestyle="--", linewidth=0.8,
                       label="one dependent load")
        ax.set_yscale("log")
        ax.set_xlabel("size")
        ax.set_title("%s, latency mode" % op)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns per lookup")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(docs, "benchmarks_lookup_latency.png"), dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--update", action="store_true",
                        help="write into docs/benchmarks.md and docs/*.png")
    args = parser.parse_args()
    context, runs = load(args.json)
    text = report(context, runs)
    if not args.update:
        sys.stdout.write(text)
        return 0
    docs = os.path.join(ROOT, "docs")
    path = os.path.join(docs, "benchmarks.md")
    with open(path) as f:
        page = f.read()
    if BEGIN not in page or END not in page:
        sys.stderr.write("report.py: %s lacks the markers %s and %s\n" % (path, BEGIN, END))
        return 1
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    source = os.path.relpath(os.path.abspath(args.json), ROOT)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n<!-- generated by bench/report.py from %s -->\n" % source
                + text + END + tail)
    plots(runs, docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
