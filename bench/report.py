#!/usr/bin/env python3
"""Regenerates the README's Performance figures from the benches.

Runs `scangate-bench offline` and `scangate-bench e2e` (capacity search)
several times each and `scangate-bench overload` once at ten times the
capacity found, then writes the ranges (min-max over the runs), the commit
and the machine's load into README.md between the report markers. Nothing
in that block is typed by hand.

    bench/report.py [--runs N] [--e2e-runs N] [--build DIR] [--stdout] ...

The benches must be built (the demo command builds them; or
`cmake --build build --target scangate-bench scangate-server`). Run it on
an otherwise idle machine: the load average at the start and the end is
printed with the figures, so that a reader can tell.
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- bench/report.py: begin -->"
END = "<!-- bench/report.py: end -->"


def run(cmd, timeout):
    """Runs a bench; returns (its output, the JSON object on its last line)."""
    print("+", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    out = done.stdout
    sys.stdout.write(out[-2000:])
    last = [l for l in out.splitlines() if l.startswith("{")]
    if not last:
        sys.exit("report: no JSON from %s (exit %d)\n%s" % (cmd[1], done.returncode, done.stderr[-2000:]))
    return out, json.loads(last[-1])


def span(values, fmt="%.1f"):
    lo, hi = min(values), max(values)
    a, b = fmt % lo, fmt % hi
    return a if a == b else "%s–%s" % (a, b)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d cores (%s)" % (os.cpu_count() or 0, cpu)


def load():
    return "%.1f" % os.getloadavg()[0]


def commit():
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "")


def offline_table(runs):
    rows = [("counter", "counter corpus (scanned: turned, optics, noise; seed %d)" % runs[0]["seed"]),
            ("real-scans", "real scans (../shared/data/scans)")]
    rows = [r for r in rows if r[0] in runs[0]]
    t = ["| offline, profile %s | %s | target |" % (runs[0]["profile"], " | ".join(r[1] for r in rows)),
         "|---|" + "---|" * len(rows) + "---|"]

    def line(what, cell, target=""):
        t.append("| %s | %s | %s |" % (what, " | ".join(cell(r[0]) for r in rows), target))

    def vals(key, sub=None):
        return lambda name: [r[name][key] if sub is None else r[name][key][sub] for r in runs]

    line("1 thread: pipeline / decode-only pages/s",
         lambda n: "%s / %s" % (span(vals("pages_per_second_1_thread")(n)),
                                span(vals("decode_only_pages_per_second_1_thread")(n))))
    line("2 threads: pipeline / decode-only pages/s",
         lambda n: "%s / %s" % (span(vals("pages_per_second")(n)),
                                span(vals("decode_only_pages_per_second")(n))))
    line("ratio pipeline / decode-only, 1 thread", lambda n: span(vals("ratio_1_thread")(n), "%.2f"),
         "≥ 0.6 counter, ≥ 0.55 real scans")
    line("ratio, 2 threads", lambda n: span(vals("ratio_2_threads")(n), "%.2f"),
         "≥ 0.6 counter, ≥ 0.55 real scans")
    line("scaling 1 → 2 threads (pipeline)",
         lambda n: span([r[n]["pages_per_second"] / r[n]["pages_per_second_1_thread"] for r in runs],
                        "%.2f×"), "≥ 1.8×")
    for check in ("decode", "ink", "skew", "blur", "summary", "barcode"):
        line("ms a page, 1 thread: " + check, lambda n, c=check: span(vals("ms", c)(n)),
             "< 4 on real scans" if check == "barcode" else "")
    return t


def e2e_table(runs, target_ms):
    t = ["| e2e over TLS, profile pension-claim, 140 images/min a station | figure |",
         "|---|---|"]
    held = [r for r in runs if r["held"]]
    if not held:
        t.append("| largest held load | no load held p99 ≤ %d ms |" % target_ms)
        return t
    t.append("| largest held load (p99 ≤ %d ms, every page judged) | %s stations |" %
             (target_ms, span([r["stations"] for r in held], "%d")))
    t.append("| verdicts received a second at that load | %s (offered %s) |" %
             (span([r["pages_per_second"] for r in held]),
              span([r["offered_pages_per_second"] for r in held])))
    t.append("| p50 / p95 / p99 ms from each page's due time | %s / %s / %s |" %
             (span([r["p50_ms"] for r in held], "%.0f"), span([r["p95_ms"] for r in held], "%.0f"),
              span([r["p99_ms"] for r in held], "%.0f")))
    t.append("| refused streams, stream errors at that load | %s, %s |" %
             (span([r["refused"] for r in held], "%d"), span([r["stream_errors"] for r in held], "%d")))
    t.append("| server peak RSS over the search | %s MiB |" % span([r["peak_rss_mib"] for r in runs], "%.0f"))
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="offline runs (default 3)")
    p.add_argument("--e2e-runs", type=int, default=2, help="e2e capacity searches (default 2)")
    p.add_argument("--target-ms", type=int, default=250)
    p.add_argument("--overload-seconds", type=int, default=30)
    p.add_argument("--e2e-seconds", type=int, default=15, help="length of each e2e load step")
    p.add_argument("--batches", type=int, default=4, help="offline corpus batches of 6 pages")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--stdout", action="store_true", help="print the block instead of writing README.md")
    a = p.parse_args()
    bench = os.path.join(a.build, "bench", "scangate-bench")
    if not os.access(bench, os.X_OK):
        sys.exit("report: %s is not built (cmake --build %s --target scangate-bench)" % (bench, a.build))

    load_start = load()
    offline = [run([bench, "offline", "--json", "--batches", str(a.batches)], 1800)[1] for _ in range(a.runs)]
    e2e = [run([bench, "e2e", "--json", "--target-ms", str(a.target_ms),
                "--seconds", str(a.e2e_seconds)], 3600)[1]
           for _ in range(a.e2e_runs)]
    held = [r for r in e2e if r["held"]]
    sustainable = min(r["stations"] for r in held) if held else 4
    overload_out, overload = run([bench, "overload", "--json", "--stations", str(sustainable),
                                  "--seconds", str(a.overload_seconds)], 3600)
    load_end = load()

    table = [l for l in overload_out.splitlines()
             if re.match(r"\s*(step|before|overload|after)\s", l) or l.startswith(("a refusal", "server peak"))]
    block = [BEGIN,
             "Measured by `bench/report.py` at commit %s on %s, %s; load average %s at the start, %s at "
             "the end. Ranges are min–max over %d offline runs and %d e2e capacity searches."
             % (commit(), datetime.date.today().isoformat(), machine(), load_start, load_end,
                a.runs, a.e2e_runs),
             ""] + offline_table(offline) + [""] + e2e_table(e2e, a.target_ms) + [
             "",
             "Overload: %d stations (the smallest capacity found), then %d for %d s, then %d again "
             "(`scangate-bench overload --stations %d --seconds %d`):"
             % (sustainable, overload["overload_stations"], a.overload_seconds, sustainable, sustainable,
                a.overload_seconds),
             "", "```"] + table + ["```", END]
    text = "\n".join(block)
    if a.stdout:
        print(text)
        return
    readme = os.path.join(ROOT, "README.md")
    with open(readme) as f:
        s = f.read()
    if BEGIN not in s or END not in s:
        sys.exit("report: README.md has no %s ... %s block" % (BEGIN, END))
    s = s[:s.index(BEGIN)] + text + s[s.index(END) + len(END):]
    with open(readme, "w") as f:
        f.write(s)
    print("report: README.md's Performance figures written")


if __name__ == "__main__":
    main()
