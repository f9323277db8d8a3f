#!/usr/bin/env python3
"""Soak: the full pipeline held at 80% of its peak for 30 minutes.

Starts bench/fast_upstream and one dynaudit with the full pipeline (verify +
re-sign, 100 rules, sync audit on disk), measures its peak GetItem req/s with
a closed-loop bench/loadgen, then drives it at --load (default 0.8) of that
peak with a paced loadgen, one minute at a time, for --minutes (default 30).
Every --sample seconds it reads the proxy's RSS, open file descriptors,
threads, CPU and store size from /proc. At the end it stops the proxy with
SIGTERM, runs `dynaudit audit verify` on the store and compares the record
count with the requests sent.

It reports req/s over the first and the last five minutes, errors and non-2xx
replies (there must be none), latency per minute, and RSS and descriptors over
time, and exits 1 if any request failed, the rate decayed over the run, the
store does not verify or memory or descriptors kept growing. The peak is
measured over --peak-seconds (120), long enough for the store to start
compacting; the rate reached against the target is reported, and what is
judged is that it does not decay. Results: bench/results/soak-<date>.json and .md
(`--report FILE.json` judges and prints a finished run again).

Only 127.0.0.1; every process started here is stopped by its pid.
Usage: bench/soak.py [--minutes 30] [--load 0.8] [--connections 16]
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402  (the bench's process and /proc helpers)


# The soak's table-cache bound, set in its config so the descriptor check
# knows it (the default is a quarter of RLIMIT_NOFILE, 64..1024).
MAX_OPEN_FILES = 256


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def threads_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


class Sampler(threading.Thread):
    """Reads the proxy's resources every `every` seconds until stopped."""

    def __init__(self, pid, store, every, started):
        super().__init__(daemon=True)
        self.pid, self.store, self.every, self.started = pid, store, every, started
        self.samples = []
        self.halt = threading.Event()

    def sample(self):
        self.samples.append({
            "t_s": round(time.monotonic() - self.started, 1),
            "rss_mib": round(rb.memory_kib(self.pid, "VmRSS") / 1024, 1),
            "fds": open_fds(self.pid),
            "threads": threads_of(self.pid),
            "cpu_s": round(rb.cpu_seconds(self.pid), 2),
            "store_mib": round(tree_bytes(self.store) / 2**20, 1),
        })

    def run(self):
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.every)


def run_paced(url, connections, seconds, rate, workdir):
    out = os.path.join(workdir, "minute.json")
    if os.path.exists(out):
        os.unlink(out)
    argv = [os.path.join(rb.BIN, "loadgen"), "--url", url, "--operation", "GetItem",
            "--connections", str(connections), "--duration", str(seconds), "--warmup", "0",
            "--access-key", rb.CLIENT[0], "--secret-key", rb.CLIENT[1], "--region", rb.REGION,
            "--json", out]
    if rate:
        argv += ["--rate", "%.1f" % rate]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError("loadgen failed: %s %s" % (proc.stdout[-2000:], proc.stderr[-2000:]))
    with open(out) as f:
        result = json.load(f)
    result["first_failure"] = proc.stderr.strip()[-300:]
    return result


def window(minutes, first, count):
    chosen = minutes[:count] if first else minutes[-count:]
    requests = sum(m["requests"] for m in chosen)
    seconds = sum(m["duration_s"] for m in chosen)
    return round(requests / seconds, 1) if seconds else 0.0


def verdicts(doc, args):
    """What must hold for the soak to pass; each a (name, ok, detail)."""
    minutes, samples = doc["minutes"], doc["samples"]
    checks = []
    failed = sum(m["errors"] + m["non_2xx"] for m in minutes)
    checks.append(("no failed request", failed == 0, "%d errors or non-2xx" % failed))
    # The peak is measured on an empty store; as it grows, RocksDB's
    # compactions take their share of the two cores, so the rate reached is
    # reported against the target, and what must hold is that it does not
    # decay: the last five minutes within 10% of the first five.
    target = doc["rate_target"]
    first, last = window(minutes, True, 5), window(minutes, False, 5)
    checks.append(("no decay (last 5 minutes >= 90% of the first 5)", last >= 0.9 * first,
                   "%.0f then %.0f req/s; %.0f%% and %.0f%% of the target %.0f" % (
                       first, last, 100 * first / target, 100 * last / target, target)))
    # Growth: the last quarter of the samples against the second quarter,
    # after the store's memtables and caches have filled.
    q = max(1, len(samples) // 4)
    mid, end = samples[q:2 * q], samples[-q:]
    rss_mid = max(s["rss_mib"] for s in mid)
    rss_end = max(s["rss_mib"] for s in end)
    checks.append(("RSS levels off (last quarter <= second quarter + 10%)", rss_end <= rss_mid * 1.10 + 8,
                   "%.1f MiB then %.1f MiB" % (rss_mid, rss_end)))
    # Descriptors grow with the store's table files until RocksDB's table
    # cache is full (audit.max_open_files), then stay: bounded, not flat.
    fds_start, fds_peak = samples[0]["fds"], max(s["fds"] for s in samples)
    bound = fds_start + MAX_OPEN_FILES + 16
    checks.append(("descriptors bounded (<= at start + audit.max_open_files + 16)", fds_peak <= bound,
                   "%d at start, at most %d, bound %d" % (fds_start, fds_peak, bound)))
    checks.append(("the proxy stopped cleanly (SIGTERM, exit 0)", doc["proxy_exit"] == 0, "exit %s" % doc["proxy_exit"]))
    checks.append(("audit verify OK", doc["verify"]["exit"] == 0, doc["verify"]["summary"]))
    checks.append(("a record for every request", doc["verify"]["records"] >= doc["requests_total"],
                   "%s records for %d requests" % (doc["verify"]["records"], doc["requests_total"])))
    return [{"check": n, "ok": ok, "detail": d} for n, ok, d in checks]


def markdown(doc):
    lines = ["# Soak %s" % doc["date"], "",
             "Full pipeline (verify + re-sign, 100 rules, sync audit), GetItem, %d connections, paced at %.0f%% "
             "of the measured peak (%.0f req/s → target %.0f req/s), %d minutes; machine: %s." % (
                 doc["settings"]["connections"], doc["settings"]["load"] * 100, doc["peak_rps"], doc["rate_target"],
                 len(doc["minutes"]), doc["machine"].get("cpu", "?")), "",
             "| | value |", "|---|---|",
             "| req/s, first 5 minutes | %.0f |" % doc["rps_first_5min"],
             "| req/s, last 5 minutes | %.0f |" % doc["rps_last_5min"],
             "| requests | %d |" % doc["requests_total"],
             "| errors + non-2xx | %d |" % doc["failed_total"],
             "| audit records (verify) | %s |" % doc["verify"]["records"],
             "| proxy CPU µs/request | %.1f |" % doc["cpu_us_per_request"], "",
             "| minute | req/s | p50 µs | p99 µs | max µs | RSS MiB | fds | store MiB |", "|---|---|---|---|---|---|---|---|"]
    for i, m in enumerate(doc["minutes"]):
        s = m.get("sample_after") or {}
        lines.append("| %d | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |" % (
            i + 1, m["rps"], m["latency_us"]["p50"], m["latency_us"]["p99"], m["latency_us"]["max"],
            s.get("rss_mib"), s.get("fds"), s.get("store_mib")))
    lines += ["", "| check | result | |", "|---|---|---|"]
    for v in doc["verdicts"]:
        lines.append("| %s | %s | %s |" % (v["check"], "pass" if v["ok"] else "**FAIL**", v["detail"]))
    return "\n".join(lines) + "\n"


def main():
    # A SIGTERM (a CI timeout, an operator) still stops what was started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--load", type=float, default=0.8, help="fraction of the measured peak (default 0.8)")
    parser.add_argument("--connections", type=int, default=16)
    # Long enough that the store has started compacting: a peak taken on an
    # empty store is more than the pipeline sustains once it has not.
    parser.add_argument("--peak-seconds", type=float, default=120.0)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between resource samples")
    parser.add_argument("--out", default=os.path.join(rb.HERE, "results"))
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--report", metavar="SOAK.json", help="only judge and print a finished run's results")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as f:
            doc = json.load(f)
        doc["verdicts"] = verdicts(doc, args)
        with open(args.report, "w") as f:
            json.dump(doc, f, indent=1)
        table = markdown(doc)
        with open(args.report[:-len(".json")] + ".md", "w") as f:
            f.write(table)
        print(table)
        return 0 if all(v["ok"] for v in doc["verdicts"]) else 1
    for tool in ("dynaudit", "fast_upstream", "loadgen"):
        if not os.access(os.path.join(rb.BIN, tool), os.X_OK):
            sys.exit("soak: %s missing: build it (./dev build)" % os.path.join(rb.BIN, tool))

    # The store goes to disk, not a tmpfs: sync audit means fsync.
    workdir = tempfile.mkdtemp(prefix="dynaudit-soak-", dir=os.environ.get("SOAK_DIR", rb.ROOT))
    procs = []
    try:
        tls = rb.make_tls(workdir)
        with open(os.path.join(workdir, "credentials.yaml"), "w") as f:
            f.write("keys:\n  - {access_key_id: %s, secret_access_key: %s, principal: bench, groups: [bench]}\n"
                    % rb.CLIENT)
        up_ready = os.path.join(workdir, "upstream.json")
        upstream = rb.Proc("fast_upstream", [os.path.join(rb.BIN, "fast_upstream"), "--address", "127.0.0.1",
                                             "--port", "0", "--threads", "1", "--ready-file", up_ready], workdir)
        procs.append(upstream)
        up_port = rb.wait_for_json(up_ready, upstream)["port"]
        rules = os.path.join(workdir, "rules100.yaml")
        with open(rules, "w") as f:
            json.dump(rb.bench_rules(100, False), f)
        cfg = rb.dynaudit_config(workdir, "soak", up_port, tls, "sync", rules, workers=os.cpu_count() or 2)
        with open(cfg) as f:
            config = json.load(f)
        config["audit"]["max_open_files"] = MAX_OPEN_FILES
        with open(cfg, "w") as f:
            json.dump(config, f, indent=1)
        ready = os.path.join(workdir, "soak.ready.json")
        proxy = rb.Proc("dynaudit", [os.path.join(rb.BIN, "dynaudit"), "serve", "--config", cfg,
                                     "--ready-file", ready], workdir)
        procs.append(proxy)
        info = rb.wait_for_json(ready, proxy)
        url = "http://127.0.0.1:%d" % {l["name"]: l["port"] for l in info["listeners"]}["http"]
        store = os.path.join(workdir, "soak-audit")

        rb.log("peak: closed loop, %d connections, %.0f s" % (args.connections, args.peak_seconds))
        peak = run_paced(url, args.connections, args.peak_seconds, 0, workdir)
        target = peak["rps"] * args.load
        rb.log("peak %.0f req/s; soak at %.0f req/s for %d minutes" % (peak["rps"], target, args.minutes))

        started = time.monotonic()
        cpu_start = rb.cpu_seconds(proxy.pid)
        sampler = Sampler(proxy.pid, store, args.sample, started)
        sampler.start()
        minutes = []
        for i in range(args.minutes):
            m = run_paced(url, args.connections, 60, target, workdir)
            m["sample_after"] = dict(sampler.samples[-1]) if sampler.samples else None
            minutes.append(m)
            rb.log("minute %2d: %6.0f req/s p50 %5.0f us p99 %6.0f us errors %d non-2xx %d RSS %s MiB fds %s" % (
                i + 1, m["rps"], m["latency_us"]["p50"], m["latency_us"]["p99"], m["errors"], m["non_2xx"],
                (m["sample_after"] or {}).get("rss_mib"), (m["sample_after"] or {}).get("fds")))
        cpu_end = rb.cpu_seconds(proxy.pid)
        sampler.halt.set()
        sampler.join()
        sampler.sample()

        proxy_exit = proxy.stop()
        procs.remove(proxy)
        verify = subprocess.run([os.path.join(rb.BIN, "dynaudit"), "audit", "verify", "--store", store],
                                capture_output=True, text=True, timeout=1800)
        records = None
        for word in verify.stdout.replace(",", " ").split("OK:")[-1].split()[:1]:
            records = int(word) if word.isdigit() else None

        requests_total = sum(m["requests"] for m in minutes) + peak["requests"]
        soak_requests = sum(m["requests"] for m in minutes)
        doc = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": rb.machine_info(),
            "settings": {"minutes": args.minutes, "load": args.load, "connections": args.connections,
                         "operation": "GetItem", "pipeline": "verify + re-sign, 100 rules, sync audit",
                         "workers": os.cpu_count()},
            "peak_rps": peak["rps"], "peak": peak, "rate_target": target,
            "minutes": minutes, "samples": sampler.samples,
            "rps_first_5min": window(minutes, True, 5), "rps_last_5min": window(minutes, False, 5),
            "requests_total": requests_total,
            "failed_total": sum(m["errors"] + m["non_2xx"] for m in minutes) + peak["errors"] + peak["non_2xx"],
            "cpu_us_per_request": (cpu_end - cpu_start) * 1e6 / max(soak_requests, 1),
            "proxy_exit": proxy_exit,
            "verify": {"exit": verify.returncode, "records": records,
                       "summary": (verify.stdout.strip().splitlines() or [verify.stderr.strip()])[0][:300]},
        }
        doc["verdicts"] = verdicts(doc, args)
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, "soak-" + doc["date"][:10])
        with open(stem + ".json", "w") as f:
            json.dump(doc, f, indent=1)
        table = markdown(doc)
        with open(stem + ".md", "w") as f:
            f.write(table)
        print(table)
        rb.log("results: %s.json and %s.md" % (stem, stem))
        return 0 if all(v["ok"] for v in doc["verdicts"]) else 1
    finally:
        for p in procs:
            p.stop()
        if args.keep:
            rb.log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
