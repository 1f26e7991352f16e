#!/usr/bin/env python3
"""relay serve --cluster: fan-out across 3 nodes against one node, in one run.

One room, R receivers and one sender (scripts/bench/loadgen.c). Set-ups:

  1 node:            relay serve, everyone on it (no Redis).
  1 node + Redis:    the same node with --cluster (what the link costs alone).
  3 nodes + Redis:   three nodes on one Redis; receivers spread evenly, the
                     sender on node 1; latency is taken on receivers of nodes
                     2 and 3, so each timed line crosses Redis.

For each: paced (PER_S lines a second for a few seconds: deliveries/s, p50/p99
latency from the sender's write to a receiver's read) and saturation (LINES
lines written at once: deliveries/s). CPU is read from /proc for every server:
the total (all nodes and Redis) per delivery, and the busiest node's, which
bounds what nodes on machines of their own could carry.

All servers share CPU 0 and the load generator has CPU 1: on this 2-core
machine three nodes cannot be faster than one; the figures that carry over to
real machines are CPU per delivery, total and busiest node.

usage: scripts/bench/cluster.py [--binary .build/release/relay] [--receivers 300]
                                [--rate 2000] [--seconds 4] [--lines 20000]
Loopback only; every run is bounded in time.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

from compare import ROOT, SERVER_CPU, LOAD_CPU, build_loadgen, free_port, stop_process, wait_listening
from procstat import cpu_seconds


class Process:
    def __init__(self, argv, port):
        self.port = port
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening(port, self.proc)

    def stop(self):
        stop_process(self.proc)


def start(binary, nodes, redis):
    """Redis (when `redis`) and `nodes` relay nodes; returns (processes, relay ports)."""
    started = []
    cluster = []
    if redis:
        port = free_port()
        started.append(Process(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--client-output-buffer-limit", "pubsub 0 0 0"], port))
        cluster = ["--cluster", f"redis://127.0.0.1:{port}"]
    ports = []
    for n in range(nodes):
        port = free_port()
        started.append(Process([binary, "serve", "--port", str(port), "--name", f"node{n + 1}", "--flood-rate", "0",
                                "--max-clients", "100000", "--sendq", str(64 << 20), "--history", "0"] + cluster, port))
        ports.append(port)
    time.sleep(1.0 if redis else 0.2)  # the nodes find each other (HELLO, snapshots)
    return started, ports


def drive(gen, ports, servers, args):
    """Runs the load generator; returns its fields and each server's CPU seconds during the run."""
    proc = subprocess.Popen(["taskset", "-c", LOAD_CPU, gen, "irc", ",".join(map(str, ports))] + args,
                            stdout=subprocess.PIPE, text=True)
    before = None
    result = {}
    try:
        for line in proc.stdout:
            if line.strip() == "start":
                before = [cpu_seconds(s.proc.pid) for s in servers]
            elif line.startswith("delivered"):
                after = [cpu_seconds(s.proc.pid) for s in servers]
                words = line.split()
                result = {words[i]: float(words[i + 1]) for i in range(0, len(words), 2)}
                result["cpu"] = [a - b for a, b in zip(after, before or after)]
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/relay"))
    parser.add_argument("--receivers", type=int, default=300)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--lines", type=int, default=20000)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"cluster.py: no relay at {args.binary}: build it with `swift build -c release --product relay` (or give --binary)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gen = build_loadgen()
    setups = [("1 node", 1, False), ("1 node + Redis", 1, True), ("3 nodes + Redis", 3, True)]
    rows = []
    try:
        for label, nodes, redis in setups:
            row = {"label": label}
            for part, loadargs in [("paced", [str(args.receivers), "rate", str(args.rate), str(args.seconds)]),
                                   ("burst", [str(args.receivers), "burst", str(args.lines)])]:
                servers, ports = start(args.binary, nodes, redis)
                try:
                    r = drive(gen, ports, servers, loadargs)
                finally:
                    for s in servers:
                        s.stop()
                if not r.get("delivered"):
                    row[part] = None
                    continue
                relays = r["cpu"][1:] if redis else r["cpu"]
                expected = args.receivers * (int(args.rate * args.seconds) if part == "paced" else args.lines)
                row[part] = {"per_s": r["delivered"] / r["seconds"], "missing": expected - int(r["delivered"]),
                             "p50": int(r.get("p50_us", 0)), "p99": int(r.get("p99_us", 0)),
                             "total_us": sum(r["cpu"]) / r["delivered"] * 1e6,
                             "busiest_us": max(relays) / r["delivered"] * 1e6,
                             "redis_us": (r["cpu"][0] / r["delivered"] * 1e6) if redis else 0.0}
            rows.append(row)
    except KeyboardInterrupt:
        sys.exit("cluster.py: interrupted (every server it started is stopped)")
    finally:
        os.unlink(gen)

    def cell(row, part, key, spec):
        value = (row.get(part) or {}).get(key)
        return "—" if value is None else format(value, spec)

    print(f"{args.receivers} receivers in one room; paced {args.rate:g} lines/s for {args.seconds:g} s, burst {args.lines} lines\n")
    print("| | " + " | ".join(r["label"] for r in rows) + " |")
    print("| --- |" + " --- |" * len(rows))
    lines = [
        ("paced deliveries/s", "paced", "per_s", ",.0f"),
        ("paced p50 µs", "paced", "p50", ",d"),
        ("paced p99 µs", "paced", "p99", ",d"),
        ("paced CPU µs/delivery, all servers", "paced", "total_us", ".3f"),
        ("paced CPU µs/delivery, busiest node", "paced", "busiest_us", ".3f"),
        ("paced CPU µs/delivery, Redis", "paced", "redis_us", ".3f"),
        ("burst deliveries/s", "burst", "per_s", ",.0f"),
        ("burst CPU µs/delivery, all servers", "burst", "total_us", ".3f"),
        ("burst CPU µs/delivery, busiest node", "burst", "busiest_us", ".3f"),
        ("deliveries missing (paced, burst)", None, None, None),
    ]
    for title, part, key, spec in lines:
        if part is None:
            cells = [f"{cell(r, 'paced', 'missing', 'd')}, {cell(r, 'burst', 'missing', 'd')}" for r in rows]
        else:
            cells = [cell(r, part, key, spec) for r in rows]
        print(f"| {title} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
