#!/usr/bin/env python3
"""What shipping to the fleet table costs, and how far it keeps up.

Starts the fast upstream, nginx, and two dynaudit processes with the full
pipeline of run_bench.py's "dynaudit-full" (verify + re-sign, 100 rules, sync
audit): one without the fleet, one shipping to a central table on dynalite
(the DynamoDB-compatible server the tests use, in memory). Then:

1. req/s of nginx and both proxies under the same closed-loop PutItem load,
   alternated round by round, so the cost of shipping shows as a ratio;
2. during the shipping proxy's runs, its /metrics every 0.5 s: records
   shipped per second, lag in records and seconds (max and at the end);
3. after the load stops, how long the lag takes to drain and the shipping
   rate while nothing else competes (records/s into dynalite).

Only 127.0.0.1; every process started here is stopped by its pid.
Results: bench/results/<date>-fleet.json and .md.
Usage: bench/fleet_bench.py [--seconds 10] [--connections 16] [--rounds 2]
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import run_bench as rb

DYNALITE = os.path.join(rb.ROOT, "tests", "integration", "dynalite_server.js")
NODE = shutil.which("node") or "/usr/bin/node"


def metrics(admin_port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("dynaudit_fleet_") or line.startswith("dynaudit_audit_last_sequence"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Sampler:
    """Reads the shipping proxy's fleet metrics every `interval` seconds."""

    def __init__(self, admin_port, interval=0.5):
        self.admin_port = admin_port
        self.interval = interval
        self.samples = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.is_set():
            try:
                m = metrics(self.admin_port)
                m["t"] = time.monotonic()
                self.samples.append(m)
            except OSError:
                pass
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return self.samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(rb.HERE, "results"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="dynaudit-fleet-bench-")
    procs = []
    central = None
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

        http_port, https_port = rb.free_port(), rb.free_port()
        conf = os.path.join(workdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(rb.nginx_conf(workdir, up_port, http_port, https_port, tls))
        nginx = rb.Proc("nginx", [rb.NGINX, "-p", workdir, "-c", conf, "-g", "daemon off;"], workdir)
        procs.append(nginx)
        rb.wait_port(http_port)

        env = dict(os.environ, NODE_PATH=os.path.join(rb.ROOT, "node_modules"))
        central = subprocess.Popen([NODE, DYNALITE, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, env=env, text=True)
        central_port = json.loads(central.stdout.readline())["port"]

        rules100 = os.path.join(workdir, "rules100.yaml")
        with open(rules100, "w") as f:
            json.dump(rb.bench_rules(100, False), f)
        targets = {"nginx": {"name": "nginx", "url": "http://127.0.0.1:%d" % http_port, "pid": nginx.pid}}
        for name, fleet in (("dynaudit-full", False), ("dynaudit-full-fleet", True)):
            cfg_path = rb.dynaudit_config(workdir, name, up_port, tls, "sync", rules100, workers=os.cpu_count() or 2)
            if fleet:
                with open(cfg_path) as f:
                    cfg = json.load(f)
                cfg["fleet"] = {"enabled": True, "proxy_id": "bench", "endpoint": "http://127.0.0.1:%d" % central_port,
                                "table": "dynaudit-fleet", "heartbeat_interval": "1s",
                                "credentials": {"source": "static", "access_key_id": "AKIDCENTRAL",
                                                "secret_access_key": "central-secret"}}
                with open(cfg_path, "w") as f:
                    json.dump(cfg, f)
                init = subprocess.run([os.path.join(rb.BIN, "dynaudit"), "fleet", "init-table", "--config", cfg_path],
                                      capture_output=True, text=True, timeout=120)
                if init.returncode != 0:
                    raise RuntimeError("init-table failed: " + init.stdout + init.stderr)
            ready = os.path.join(workdir, name + ".ready.json")
            p = rb.Proc(name, [os.path.join(rb.BIN, "dynaudit"), "serve", "--config", cfg_path, "--ready-file", ready],
                        workdir)
            procs.append(p)
            info = rb.wait_for_json(ready, p)
            ports = {l["name"]: l["port"] for l in info["listeners"]}
            targets[name] = {"name": name, "url": "http://127.0.0.1:%d" % ports["http"], "pid": p.pid,
                             "admin": info["admin"]["port"]}

        results = []
        shipping = []
        order = ["nginx", "dynaudit-full", "dynaudit-full-fleet"]
        for round_index in range(args.rounds):
            for name in (order if round_index % 2 == 0 else list(reversed(order))):
                target = targets[name]
                sampler = Sampler(target["admin"]) if name.endswith("-fleet") else None
                central_cpu_before = rb.cpu_seconds(central.pid)
                r = rb.measure(dict(target), "PutItem", args.connections, args.seconds, args.warmup, workdir)
                r.update({"target": name, "round": round_index})
                results.append(r)
                line = "%-22s %9s req/s  p50 %6s us  p99 %6s us  cpu %6s us/req" % (
                    name, rb.fmt(r["rps"]), rb.fmt(r["latency_us"]["p50"]), rb.fmt(r["latency_us"]["p99"]),
                    rb.fmt(r["cpu_us_per_request"], 1))
                if sampler:
                    load_end = time.monotonic()
                    # Drain: until the lag is 0 (or 5 minutes).
                    while time.monotonic() - load_end < 300:
                        m = metrics(target["admin"])
                        if m.get("dynaudit_fleet_lag_records", 1) == 0:
                            break
                        time.sleep(0.25)
                    drained = time.monotonic()
                    samples = sampler.stop()
                    during = [s for s in samples if s["t"] <= load_end]
                    after = [s for s in samples if s["t"] > load_end]
                    first, last_load = during[0], during[-1]
                    shipped_load = last_load["dynaudit_fleet_shipped_records_total"] - first["dynaudit_fleet_shipped_records_total"]
                    load_seconds = last_load["t"] - first["t"]
                    end = metrics(target["admin"])
                    drain_records = end["dynaudit_fleet_shipped_records_total"] - last_load["dynaudit_fleet_shipped_records_total"]
                    shipped_total = end["dynaudit_fleet_shipped_records_total"] - first["dynaudit_fleet_shipped_records_total"]
                    central_cpu = rb.cpu_seconds(central.pid) - central_cpu_before
                    drain_seconds = drained - load_end
                    ship = {"round": round_index, "calls_per_s": r["rps"],
                            "shipped_per_s_under_load": shipped_load / load_seconds if load_seconds else None,
                            "max_lag_records": max(s["dynaudit_fleet_lag_records"] for s in samples),
                            "max_lag_seconds": max(s["dynaudit_fleet_lag_seconds"] for s in samples),
                            "lag_records_at_load_end": last_load["dynaudit_fleet_lag_records"],
                            "drain_seconds": drain_seconds, "drain_records": drain_records,
                            "shipped_per_s_draining": drain_records / drain_seconds if drain_seconds > 0.5 else None,
                            "throttled": end.get("dynaudit_fleet_throttled_total", 0),
                            "failed_calls": end.get("dynaudit_fleet_failed_calls_total", 0),
                            "batch_calls": end.get("dynaudit_fleet_calls_total", 0),
                            # dynalite shares the machine's cores with the proxy under test
                            "central_cpu_us_per_record": central_cpu * 1e6 / shipped_total if shipped_total else None,
                            "after_samples": len(after)}
                    shipping.append(ship)
                    line += "  | shipped %s rec/s under load, max lag %d rec / %.1f s, drained %d rec in %.1f s" % (
                        rb.fmt(ship["shipped_per_s_under_load"]), ship["max_lag_records"], ship["max_lag_seconds"],
                        drain_records, drain_seconds)
                rb.log(line)

        nginx_rps = [r["rps"] for r in results if r["target"] == "nginx"]
        for r in results:
            same_round = [n["rps"] for n in results if n["target"] == "nginx" and n["round"] == r["round"]]
            r["ratio_vs_nginx"] = r["rps"] / same_round[0] if same_round and same_round[0] else None
        item_bytes = None
        try:
            out = subprocess.run([os.path.join(rb.BIN, "dynaudit"), "audit", "query", "--fleet", "--config",
                                  os.path.join(workdir, "dynaudit-full-fleet.yaml"), "--format", "jsonl", "--limit",
                                  "200", "--since", "1h"], capture_output=True, text=True, timeout=300)
            lines = [l for l in out.stdout.splitlines() if l.strip()]
            if out.returncode != 0:
                rb.log("fleet query for the record size failed: " + out.stderr[-500:])
            if lines:
                item_bytes = sum(len(l.encode()) for l in lines) / len(lines)
        except subprocess.TimeoutExpired:
            pass

        for p in procs:
            p.stop()
        procs = []

        now = datetime.datetime.now(datetime.timezone.utc)
        doc = {"date": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": rb.machine_info(),
               "settings": {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections,
                            "rounds": args.rounds, "operation": "PutItem", "pipeline": "verify, 100 rules, sync audit",
                            "central": "dynalite (in memory) on 127.0.0.1", "round_records": 500,
                            "ship_interval": "1s"},
               "results": results, "shipping": shipping, "average_record_bytes": item_bytes,
               "nginx_rps": nginx_rps, "wall_seconds": time.monotonic() - started}
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, now.strftime("%Y-%m-%d") + "-fleet")
        with open(stem + ".json", "w") as f:
            json.dump(doc, f, indent=1)
        md = ["# Fleet shipping bench, %s" % doc["date"], "",
              "Machine: %s" % json.dumps(doc["machine"]), "",
              "PutItem, %d connections, %.0f s per run, %d rounds; full pipeline (verify, 100 rules, sync audit)."
              % (args.connections, args.seconds, args.rounds), "",
              "| target | round | req/s | p50 us | p99 us | CPU us/req | ratio vs nginx |", "|---|---|---|---|---|---|---|"]
        for r in results:
            md.append("| %s | %d | %s | %s | %s | %s | %s |" % (
                r["target"], r["round"], rb.fmt(r["rps"]), rb.fmt(r["latency_us"]["p50"]),
                rb.fmt(r["latency_us"]["p99"]), rb.fmt(r["cpu_us_per_request"], 1),
                rb.fmt(r["ratio_vs_nginx"], 2) if r["ratio_vs_nginx"] else "-"))
        md += ["", "| round | calls/s | shipped rec/s under load | max lag (records) | max lag (s) | "
               "drain (s) | shipped rec/s draining | dynalite CPU us/record | throttled | failed calls |",
               "|---|---|---|---|---|---|---|---|---|---|"]
        for s in shipping:
            md.append("| %d | %s | %s | %d | %.1f | %.1f | %s | %s | %d | %d |" % (
                s["round"], rb.fmt(s["calls_per_s"]), rb.fmt(s["shipped_per_s_under_load"]), s["max_lag_records"],
                s["max_lag_seconds"], s["drain_seconds"], rb.fmt(s["shipped_per_s_draining"]),
                rb.fmt(s["central_cpu_us_per_record"], 1), s["throttled"], s["failed_calls"]))
        md += ["", "Average record as shipped (JSON text): %s bytes" % (rb.fmt(item_bytes) if item_bytes else "-"), ""]
        with open(stem + ".md", "w") as f:
            f.write("\n".join(md))
        print("\n".join(md))
        rb.log("results: %s.json and %s.md (%.0f s)" % (stem, stem, doc["wall_seconds"]))
    finally:
        for p in procs:
            p.stop()
        if central is not None:
            central.terminate()
            central.wait(timeout=20)
        if args.keep:
            rb.log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
