#!/usr/bin/env python3
"""relay serve side by side with the peers Debian has, on this machine, in one run.

Starts each server on a free loopback port pinned to CPU 0, drives it with
scripts/bench/loadgen.c pinned to CPU 1, and prints one Markdown table:

  paced:      R receivers in one room, the sender writing PER_S lines a second
              (one write each) for a few seconds: server CPU per delivery, and
              latency from the sender's write to a receiver's read.
  saturation: the sender writes LINES lines at once: deliveries per second and
              deliveries per server-CPU-second.
  idle:       N registered connections that say nothing: server RSS per connection.

Peers: redis-server (pub/sub: SUBSCRIBE/PUBLISH), inspircd and ngircd (IRC, flood
limits lifted), ncat --broker (plain lines). Those not installed are skipped;
`relay` is the release build (swift build -c release --product relay).

usage: scripts/bench/compare.py [--servers relay,redis,...] [--receivers 200] [--rate 3980]
                                [--seconds 4] [--lines 40000] [--idle 3000] [--only paced,saturation,idle]
                                [--relay-arg=--coalesce=0 ...] [--repeat 1]
Loopback only; every run is bounded in time. Figures on a 2-core machine are
noisy: compare ratios within one run, never across runs. To compare two builds,
alternate them and take medians:
  scripts/bench/compare.py --servers relay,relay@/tmp/relay-before --only paced --repeat 8
"""
import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from procstat import cpu_seconds, rss_kib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER_CPU, LOAD_CPU = "0", "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start listening")


class Server:
    """One peer: how to start it, which protocol the load generator speaks to it."""

    def __init__(self, name, proto, argv_for, needs):
        self.name, self.proto, self.argv_for, self.needs = name, proto, argv_for, needs
        self.proc = None

    def available(self):
        return all(shutil.which(n) or os.path.exists(n) for n in self.needs)

    def start(self, workdir):
        self.port = free_port()
        argv = self.argv_for(self.port, workdir)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + argv, cwd=workdir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc)
        time.sleep(0.2)

    def stop(self):
        stop_process(self.proc)


def stop_process(proc):
    """SIGTERM, and SIGKILL if it is still there 5 s later."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def relay_argv(binary, extra):
    return lambda port, _: [binary, "serve", "--port", str(port), "--flood-rate", "0", "--max-clients", "100000",
                            "--sendq", str(64 << 20)] + extra


def redis_argv(port, _):
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no", "--maxclients", "50000", "--client-output-buffer-limit", "pubsub 0 0 0"]


def inspircd_argv(port, workdir):
    conf = os.path.join(workdir, "inspircd.conf")
    with open(conf, "w") as f:
        # Flood limits lifted for everyone on loopback, like relay's --flood-rate 0.
        f.write(f"""<config format="xml">
<server name="irc.bench.test" description="bench" network="Bench" id="1BN">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect allow="127.0.0.1" timeout="60" pingfreq="600" hardsendq="67108864" softsendq="67108864" recvq="67108864"
         threshold="2147483647" commandrate="2147483647" fakelag="off" localmax="100000" globalmax="100000"
         maxconnwarn="off" useident="no" resolvehostnames="no">
<performance softlimit="100000" somaxconn="4096">
<channels users="100000" opers="100000">
<pid file="{workdir}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{workdir}/inspircd.log">
""")
    return ["inspircd", "--config", conf, "--nofork"] + (["--runasroot"] if os.geteuid() == 0 else [])


def ngircd_argv(port, workdir):
    conf = os.path.join(workdir, "ngircd.conf")
    with open(conf, "w") as f:
        f.write(f"""[Global]
\tName = irc.bench.test
\tInfo = bench
\tListen = 127.0.0.1
\tPorts = {port}
\tMotdPhrase = bench
[Limits]
\tMaxConnectionsIP = 0
\tMaxPenaltyTime = 0
\tMaxJoins = 0
\tPingTimeout = 600
[Options]
\tPAM = no
\tIdent = no
\tDNS = no
""")
    return ["ngircd", "--nodaemon", "--config", conf]


def ncat_argv(port, _):
    return ["ncat", "--broker", "--max-conns", "50000", "-l", "127.0.0.1", str(port)]


def loadgen(binary, server, args, timeout):
    """Runs the load generator; returns (its last line's fields, server CPU seconds between start and end)."""
    proc = subprocess.Popen(["taskset", "-c", LOAD_CPU, binary, server.proto, str(server.port)] + args,
                            stdout=subprocess.PIPE, text=True)
    cpu0 = None
    result = {}
    try:
        for line in proc.stdout:
            if line.strip() == "start":
                cpu0 = cpu_seconds(server.proc.pid)
            elif line.startswith("delivered"):
                cpu = cpu_seconds(server.proc.pid) - (cpu0 or 0)
                words = line.split()
                result = {words[i]: float(words[i + 1]) for i in range(0, len(words), 2)}
                result["cpu"] = cpu
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return result


def paced(gen, server, receivers, rate, seconds):
    r = loadgen(gen, server, [str(receivers), "rate", str(rate), str(seconds)], seconds + 90)
    if not r.get("delivered"):
        return None
    expected = receivers * int(rate * seconds)
    return {"delivered": int(r["delivered"]), "missing": expected - int(r["delivered"]),
            "per_s": r["delivered"] / r["seconds"], "cpu_us": r["cpu"] / r["delivered"] * 1e6,
            "p50": int(r["p50_us"]), "p99": int(r["p99_us"])}


def saturation(gen, server, receivers, lines):
    r = loadgen(gen, server, [str(receivers), "burst", str(lines)], 120)
    if not r.get("delivered"):
        return None
    return {"delivered": int(r["delivered"]), "missing": receivers * lines - int(r["delivered"]),
            "per_s": r["delivered"] / r["seconds"], "cpu_us": r["cpu"] / r["delivered"] * 1e6,
            "per_cpu_s": r["delivered"] / r["cpu"] if r["cpu"] else 0}


def idle(gen, server, count):
    # server.start() has connected once (to see it listening), so what the first
    # connection makes once is already in the base: this is the cost per connection.
    time.sleep(1.5)
    base = rss_kib(server.proc.pid)
    proc = subprocess.Popen(["taskset", "-c", LOAD_CPU, gen, server.proto, str(server.port), str(count), "idle"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if proc.stdout.readline().strip() != "ready":
            return None
        time.sleep(1.5)  # relay gives its spare output buffers back a second after the last write
        used = rss_kib(server.proc.pid) - base
        return {"bytes": int(used * 1024 / count)}
    finally:
        proc.stdin.close()
        proc.wait(30)


def build_loadgen():
    out = os.path.join(tempfile.gettempdir(), f"relay-loadgen-{os.getpid()}")
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(HERE, "loadgen.c")], check=True)
    return out


def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", default="relay,redis,inspircd,ngircd,ncat",
                        help="relay, redis, inspircd, ngircd, ncat; relay:FLAG runs relay with a flag, "
                             "relay@BINARY another build (with --repeat, the two alternate run by run)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/relay"))
    parser.add_argument("--relay-arg", action="append", default=[], help="an extra argument for relay serve")
    parser.add_argument("--receivers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=3980, help="lines a second in the paced run")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--lines", type=int, default=40000, help="lines in the saturation burst")
    parser.add_argument("--idle", type=int, default=3000)
    parser.add_argument("--only", default="paced,saturation,idle")
    parser.add_argument("--repeat", type=int, default=1, help="runs of everything; past one, a table of medians follows")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)  # servers run in their own work directories
    for name in args.servers.split(","):
        if name.startswith("relay"):
            binary = relay_spec(name, args)[1]
            if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
                sys.exit(f"compare.py: no relay at {binary}: build it with `swift build -c release --product relay`"
                         " (or give --binary, or relay@PATH)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gen = build_loadgen()
    try:
        run(args, gen)
    except KeyboardInterrupt:
        sys.exit("compare.py: interrupted (every server it started is stopped)")
    finally:
        os.unlink(gen)


def relay_spec(name, args):
    """relay[@BINARY][:FLAG...]: another build (to compare two, run by run) and
    flags; returns its label, binary and extra arguments."""
    head, *flags = name.split(":")
    other = head[len("relay@"):] if head.startswith("relay@") else None
    binary = os.path.abspath(other) if other else args.binary
    extra = args.relay_arg + [a for a in flags if a]
    label = "relay" + (f" ({other})" if other else "") + (" " + " ".join(extra) if extra else "")
    return label, binary, extra


def run(args, gen):

    # "relay" may be given more than once with different flags: relay:--coalesce=0
    catalogue = {
        "redis": Server("redis-server 7 (pub/sub)", "redis", redis_argv, ["redis-server"]),
        "inspircd": Server("InspIRCd 3", "irc", inspircd_argv, ["inspircd"]),
        "ngircd": Server("ngIRCd 26", "irc", ngircd_argv, ["ngircd"]),
        "ncat": Server("ncat --broker", "plain", ncat_argv, ["ncat"]),
    }
    servers = []
    for name in args.servers.split(","):
        if name.startswith("relay"):
            label, binary, extra = relay_spec(name, args)
            servers.append(Server(label, "irc", relay_argv(binary, extra), [binary]))
        elif name in catalogue:
            servers.append(catalogue[name])
        else:
            sys.exit(f"compare.py: unknown server {name}")
    only = set(args.only.split(","))
    rate = int(args.rate * args.receivers)
    print(f"receivers {args.receivers}; paced: {args.rate:g} lines/s ({rate:,} deliveries/s) for {args.seconds:g} s; "
          f"saturation: {args.lines:,} lines at once; idle: {args.idle:,} connections; server on CPU {SERVER_CPU}, "
          f"load on CPU {LOAD_CPU}\n", flush=True)
    print(HEADER, flush=True)
    runs = {}  # each server's results, run by run
    for _ in range(args.repeat):
        for server in servers:
            if not server.available():
                print(f"| {server.name} | not installed | | | | | |", flush=True)
                continue
            workdir = tempfile.mkdtemp(prefix="relay-bench-")
            p = s = i = None
            failed = None
            try:
                if "paced" in only:
                    server.start(workdir)
                    p = paced(gen, server, args.receivers, args.rate, args.seconds)
                    server.stop()
                if "saturation" in only:
                    server.start(workdir)
                    s = saturation(gen, server, args.receivers, args.lines)
                    server.stop()
                if "idle" in only:
                    server.start(workdir)
                    i = idle(gen, server, args.idle)
                    server.stop()
            except RuntimeError as error:  # it did not start, or died on the way
                failed = str(error)
            finally:
                server.stop()
                shutil.rmtree(workdir, ignore_errors=True)
            if failed:
                print(f"| {server.name} | {failed} | | | | | |", flush=True)
                continue
            print_row(server.name, p, s, i)
            runs.setdefault(server.name, []).append((p, s, i))
    if args.repeat > 1:
        # One run on this machine can be off by several per cent: the median of
        # each figure over the runs is what to compare.
        print(f"\nThe median of each figure over {args.repeat} runs:\n")
        print(HEADER)
        for name, results in runs.items():
            print_row(name, *(median_of([r[k] for r in results]) for k in range(3)))


HEADER = ("| server | paced: CPU µs/delivery | paced: p50 / p99 µs | saturation: deliveries/s | "
          "saturation: CPU µs/delivery | deliveries per CPU-second | idle: bytes/connection |\n"
          "| --- | --- | --- | --- | --- | --- | --- |")


def print_row(name, p, s, i):
    note = lambda r: "" if not r or r["missing"] <= 0 else f" ({r['missing']:,.0f} lost)"
    print(f"| {name} "
          f"| {fmt(p and p['cpu_us'], '.3f')}{note(p)} "
          f"| {fmt(p and p['p50'], ',.0f')} / {fmt(p and p['p99'], ',.0f')} "
          f"| {fmt(s and s['per_s'], ',.0f')}{note(s)} "
          f"| {fmt(s and s['cpu_us'], '.3f')} "
          f"| {fmt(s and s['per_cpu_s'], ',.0f')} "
          f"| {fmt(i and i['bytes'], ',.0f')} |", flush=True)


def median_of(results):
    """Each figure's median over the runs that have it; None if none has."""
    present = [r for r in results if r]
    if not present:
        return None
    return {key: statistics.median(r[key] for r in present) for key in present[0]}


if __name__ == "__main__":
    sys.exit(main())
