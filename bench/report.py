#!/usr/bin/env python3
"""bench/report.py: the end-to-end benchmark's report, from what
bench/suite.sh measured.

Reads the results table (one row per run), the run's description
(meta.env: date, machine, versions, sizes), the checks, and the raw
latencies of the steady runs; writes a Markdown report with the median
and the min-max of every figure over the repeats, the issue's targets
against the measured ratios, and three PNG charts beside it:
<name>-throughput.png, <name>-cpu.png and <name>-latency.png.

    report.py --results R.tsv --meta meta.env --checks checks.txt \
              --latency DIR --out bench/results/<name>.md
"""
import argparse
import csv
import glob
import os
import statistics
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

NAMES = {
    "weir": "weir",
    "weir-idle": "weir, low idle.timeout.ms",
    "peer": "Kafka Streams",
    "peer-idle": "Kafka Streams, low idle timeout",
    "limit": "raw librdkafka (limit)",
}
COLORS = {"weir": "#1f77b4", "weir-idle": "#7fb2de", "peer": "#d62728",
          "peer-idle": "#ee9090", "limit": "#7f7f7f"}
ORDER = ["weir", "weir-idle", "peer", "peer-idle", "limit"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def load_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def group(rows, workload):
    """{(contender, threads): [row, ...]} of the runs that finished."""
    g = defaultdict(list)
    for r in rows:
        if r["workload"] == workload and r["status"] == "done":
            g[(r["contender"], int(r["threads"]))].append(r)
    return g


def values(runs, col):
    return [v for v in (num(r.get(col)) for r in runs) if v is not None]


def med(runs, col):
    v = values(runs, col)
    return statistics.median(v) if v else None


def fmt(v, unit="", digits=1):
    if v is None:
        return "–"
    if unit == "k":
        return f"{v / 1000:.{digits}f} k" if v >= 1000 else f"{v:.0f}"
    return f"{v:.{digits}f}{unit}"


def cell(runs, col, unit="", digits=1):
    """median (min–max) of a column over the repeats."""
    v = values(runs, col)
    if not v:
        return "–"
    m = statistics.median(v)
    if len(v) == 1:
        return fmt(m, unit, digits)
    return (f"{fmt(m, unit, digits)} ({fmt(min(v), unit, digits)}–"
            f"{fmt(max(v), unit, digits)})")


def keys(g):
    return sorted(g, key=lambda k: (k[1], ORDER.index(k[0])))


def backlog_table(g):
    out = ["| contender | threads | records/s | wall s | CPU s | "
           "CPU s per M records | peak RSS MB | runs |",
           "|---|---|---|---|---|---|---|---|"]
    for k in keys(g):
        runs = g[k]
        out.append(f"| {NAMES[k[0]]} | {k[1]} | "
                   f"{cell(runs, 'records_per_s', 'k')} | "
                   f"{cell(runs, 'wall_s', '', 2)} | {cell(runs, 'cpu_s')} | "
                   f"{cell(runs, 'cpu_s_per_m', '', 2)} | "
                   f"{cell(runs, 'rss_mb', '', 0)} | {len(runs)} |")
    return out


def steady_table(g):
    out = ["| contender | threads | records/s | CPU s per M records | "
           "CPU cores | peak RSS MB | latency p50 ms | p90 ms | p99 ms | "
           "max ms | results | runs |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys(g):
        runs = g[k]
        cores = [num(r["cpu_s"]) / num(r["wall_s"]) for r in runs
                 if num(r["cpu_s"]) is not None and num(r["wall_s"])]
        cores_s = "–"
        if cores:
            cores_s = f"{statistics.median(cores):.2f}"
            if len(cores) > 1:
                cores_s += f" ({min(cores):.2f}–{max(cores):.2f})"
        out.append(f"| {NAMES[k[0]]} | {k[1]} | "
                   f"{cell(runs, 'records_per_s', 'k')} | "
                   f"{cell(runs, 'cpu_s_per_m', '', 2)} | {cores_s} | "
                   f"{cell(runs, 'rss_mb', '', 0)} | "
                   f"{cell(runs, 'p50_ms', '', 0)} | "
                   f"{cell(runs, 'p90_ms', '', 0)} | "
                   f"{cell(runs, 'p99_ms', '', 0)} | "
                   f"{cell(runs, 'max_ms', '', 0)} | "
                   f"{cell(runs, 'lat_count', '', 0)} | {len(runs)} |")
    return out


def restore_table(g):
    out = ["| contender | threads | changelog entries | start → first "
           "result s | start → all results s | entries/s | CPU s | "
           "peak RSS MB | runs |",
           "|---|---|---|---|---|---|---|---|---|"]
    for k in keys(g):
        runs = g[k]
        out.append(f"| {NAMES[k[0]]} | {k[1]} | "
                   f"{cell(runs, 'entries', '', 0)} | "
                   f"{cell(runs, 'first_s', '', 2)} | "
                   f"{cell(runs, 'wall_s', '', 2)} | "
                   f"{cell(runs, 'restore_per_s', 'k')} | "
                   f"{cell(runs, 'cpu_s')} | {cell(runs, 'rss_mb', '', 0)} | "
                   f"{len(runs)} |")
    return out


def ratio(a, b):
    return a / b if a is not None and b else None


def targets(rows):
    """The issue's targets against the medians, where both sides ran."""
    b, s, r = group(rows, "backlog"), group(rows, "steady"), \
        group(rows, "restore")
    out = ["| target | threads | measured | met |", "|---|---|---|---|"]

    def line(text, t, value, goal, better_low=False, unit="×"):
        if value is None:
            return
        ok = value <= goal if better_low else value >= goal
        shown = f"{value:.0f}{unit}" if unit == " ms" else f"{value:.2f}{unit}"
        out.append(f"| {text} | {t} | {shown} | {'yes' if ok else 'no'} |")

    threads = sorted({k[1] for k in list(b) + list(s) + list(r)})
    for t in threads:
        w = b.get(("weir", t))
        p = b.get(("peer", t))
        lim = b.get(("limit", t))
        if w and p:
            line("backlog records/s ≥ 1.5× Kafka Streams'", t,
                 ratio(med(w, "records_per_s"), med(p, "records_per_s")), 1.5)
            line("CPU per record ≤ ¼ of Kafka Streams'", t,
                 ratio(med(w, "cpu_s_per_m"), med(p, "cpu_s_per_m")), 0.25,
                 True)
            line("peak RSS ≤ ⅕ of Kafka Streams'", t,
                 ratio(med(w, "rss_mb"), med(p, "rss_mb")), 0.2, True)
        if w and lim:
            line("backlog records/s ≥ 70% of the limit's", t,
                 ratio(med(w, "records_per_s"), med(lim, "records_per_s")),
                 0.7)
        ws = s.get(("weir", t))
        if ws:
            line("steady p99 window close → readable < 200 ms", t,
                 med(ws, "p99_ms"), 200, True, " ms")
        wr, pr = r.get(("weir", t)), r.get(("peer", t))
        if wr and pr:
            line("restore records/s ≥ 2× Kafka Streams'", t,
                 ratio(med(wr, "restore_per_s"), med(pr, "restore_per_s")), 2)
    return out if len(out) > 2 else []


def bars(ax, g, col, title, ylabel, scale=1.0):
    conts = [c for c in ORDER if any(k[0] == c for k in g)]
    threads = sorted({k[1] for k in g})
    width = 0.8 / max(len(conts), 1)
    for i, c in enumerate(conts):
        xs, ys, lo, hi = [], [], [], []
        for j, t in enumerate(threads):
            v = values(g.get((c, t), []), col)
            if not v:
                continue
            m = statistics.median(v) / scale
            xs.append(j + (i - (len(conts) - 1) / 2) * width)
            ys.append(m)
            lo.append(m - min(v) / scale)
            hi.append(max(v) / scale - m)
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=NAMES[c],
               color=COLORS[c])
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.0f}" if y >= 10 else f"{y:.1f}", (x, y),
                        ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(threads)))
    ax.set_xticklabels([f"{t} thread{'s' if t > 1 else ''}"
                        for t in threads])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def latency_cdf(ax, latdir, workload, title):
    series = defaultdict(list)
    for path in glob.glob(os.path.join(latdir, f"{workload}-*-t*-r*.tsv")):
        base = os.path.basename(path)[len(workload) + 1:-4]
        cont, t, _ = base.rsplit("-", 2)
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 3 and fields[2] == "1":  # not warm-up
                    series[(cont, int(t[1:]))].append(float(fields[1]))
    drawn = False
    for (cont, t) in sorted(series, key=lambda k: (ORDER.index(k[0]), k[1])):
        v = sorted(series[(cont, t)])
        if not v:
            continue
        ys = [(i + 1) / len(v) for i in range(len(v))]
        ax.step(v, ys, where="post", color=COLORS.get(cont),
                linestyle="-" if t == 1 else "--",
                label=f"{NAMES.get(cont, cont)}, {t} thread"
                      f"{'s' if t > 1 else ''}")
        drawn = True
    lows = [min(v) for v in series.values() if v]
    highs = [max(v) for v in series.values() if v]
    if lows and min(lows) > 0 and max(highs) / min(lows) > 20:
        ax.set_xscale("log")  # weir's and a slow peer's in one chart
        ticks = [m * 10 ** e for e in range(0, 7) for m in (1, 2, 5)]
        ax.set_xticks([x for x in ticks
                       if min(lows) / 2 <= x <= max(highs) * 2])
        ax.xaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(title)
    ax.set_xlabel("ms from window close (end + grace) to readable "
                  "read_committed")
    ax.set_ylabel("fraction of results")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=8)
    return drawn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--checks", required=True)
    ap.add_argument("--latency", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = load_rows(a.results)
    meta = load_meta(a.meta)
    stem = os.path.splitext(a.out)[0]
    name = os.path.basename(stem)
    with open(a.checks) as f:
        checks = [line.rstrip("\n") for line in f if line.strip()]

    md = [f"# weir end-to-end benchmark: {meta.get('started', '')}, "
          f"{meta.get('mode', '')} mode", ""]
    md += [
        f"`bench/suite.sh --{meta.get('mode')}`: {meta.get('contenders')} "
        f"on workloads {meta.get('workloads')}, {meta.get('threads')} "
        f"stream thread(s), {meta.get('repeats')} run(s) each "
        f"({int(meta.get('elapsed_s', 0)) // 60} min of runs). Figures are "
        "medians, with the min–max over the runs in parentheses when "
        "there were several. Measured from outside the process "
        "(weir-bench-measure): wall time from the process's start, CPU = "
        "user + system of the process and its children (all threads, the "
        "JVM included), peak RSS = VmHWM."
        + (f" Note: {meta['peer_skipped']}." if meta.get("peer_skipped")
           else ""), "",
        "| | |", "|---|---|",
        f"| date | {meta.get('started')} |",
        f"| machine | {meta.get('nproc')} cores ({meta.get('cpu')}), "
        f"{meta.get('memory')}, {meta.get('os')}, Linux "
        f"{meta.get('kernel')}; shared with other work: informal numbers |",
        f"| weir | {meta.get('weir')} (Release) |",
        f"| librdkafka | {meta.get('librdkafka')} |",
        f"| Kafka broker | {meta.get('kafka')} |",
        f"| schema registry | {meta.get('registry')} |",
        f"| Kafka Streams | {meta.get('kafka_streams')} "
        f"({meta.get('java')}); the peer: {meta.get('peer_source')} |",
        "",
    ]
    charts = []
    b = group(rows, "backlog")
    if b:
        n = int(meta.get("backlog_records", 0))
        md += ["## Backlog", "",
               f"{n:,} records already in the input topics (1 click : 100 "
               "sales, 6 partitions, Avro), each contender started with a "
               "fresh application id and output topic, timed until its "
               "group has committed the end of every input and "
               "repartition partition. `exactly_once_v2`, commit interval "
               "100 ms.", ""]
        md += backlog_table(b) + [""]
    s = group(rows, "steady")
    if s:
        md += ["## Steady load", "",
               f"`weir-datagen` in real time at {meta.get('steady_rate')} "
               f"records/s for {meta.get('steady_seconds')} s, started "
               "once the contender's group is stable. Latency: wall clock "
               "when a result is readable `read_committed` (a librdkafka "
               "consumer polling the output topic) minus its window's "
               "close (window end + 1 s grace), windows of the first "
               "quarter (at most 15 s) left out as warm-up. CPU: during "
               "the load only.", ""]
        md += steady_table(s) + [""]
    sd = group(rows, "seed")
    if sd:
        md += ["## The seed's rate", "",
               "1 click and 100 sales per second, as the tutorial's "
               "generator, otherwise as the steady load; with the default "
               "`idle.timeout.ms` (30 s) and with a low one (1 s unless "
               "`WEIR_BENCH_LOW_IDLE_MS` said otherwise).", ""]
        md += steady_table(sd) + [""]
    r = group(rows, "restore")
    if r:
        md += ["## Restore", "",
               "Sales of a million users fill the purchases store (about "
               "one changelog entry per sale); the contender is stopped, "
               "its state dir emptied, and it is started again (same "
               "application id, a fresh output topic, once the old "
               "instance has left the group) with 60 s of new clicks "
               "waiting. A task answers them only once its stores are "
               "restored: the first result shows the first task restored "
               "(each restores on its own), all results (every window of "
               "the new clicks that surely closed, readable "
               "`read_committed`) show every task restored. Entries/s = "
               "changelog entries ÷ the time to all results.", ""]
        md += restore_table(r) + [""]
    t = targets(rows)
    if t:
        md += ["## Targets of issue 12", ""]
        if meta.get("mode") == "quick":
            md += ["Quick mode: a backlog of a few seconds is mostly start-up "
                   "(joining the group, creating topics, a JVM), and 20 s of "
                   "steady load leaves a JVM little time to warm up; the "
                   "targets are judged on `--full` runs.", ""]
        md += t + [""]

    if b:
        fig, ax = plt.subplots(figsize=(7, 4))
        bars(ax, b, "records_per_s", "Backlog throughput (wall clock)",
             "thousand records / s", 1000)
        fig.tight_layout()
        fig.savefig(f"{stem}-throughput.png", dpi=110)
        plt.close(fig)
        charts.append(("Backlog throughput", f"{name}-throughput.png"))
    cpu_groups = [(g, title) for g, title in
                  ((b, "backlog"), (s, "steady load")) if g]
    if cpu_groups:
        fig, axes = plt.subplots(1, len(cpu_groups),
                                 figsize=(6 * len(cpu_groups), 4),
                                 squeeze=False)
        for ax, (g, title) in zip(axes[0], cpu_groups):
            bars(ax, g, "cpu_s_per_m", f"CPU per million records, {title}",
                 "CPU s / M records")
        fig.tight_layout()
        fig.savefig(f"{stem}-cpu.png", dpi=110)
        plt.close(fig)
        charts.append(("CPU per million records", f"{name}-cpu.png"))
    lat_workloads = [(w, title) for w, title in
                     (("steady", "steady load"), ("seed", "the seed's rate"))
                     if group(rows, w)]
    if lat_workloads:
        fig, axes = plt.subplots(1, len(lat_workloads),
                                 figsize=(7 * len(lat_workloads), 4),
                                 squeeze=False)
        drawn = False
        for ax, (w, title) in zip(axes[0], lat_workloads):
            drawn |= latency_cdf(ax, a.latency, w,
                                 f"Window close → readable, {title}")
        fig.tight_layout()
        if drawn:
            fig.savefig(f"{stem}-latency.png", dpi=110)
            charts.append(("Latency CDF", f"{name}-latency.png"))
        plt.close(fig)
    if charts:
        md += ["## Charts", ""]
        md += [f"![{title}]({png})" for title, png in charts] + [""]
    md += ["## Checks", ""]
    md += [f"- {c}" for c in checks] or ["- (none ran)"]
    md += ["", f"Raw rows: [{name}.tsv]({name}.tsv).", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
