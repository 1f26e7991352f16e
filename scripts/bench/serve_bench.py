#!/usr/bin/env python3
"""Benchmarks for `relay serve`, on loopback only, bounded in time.

  fanout: R receivers (IRC clients, so no plain rendering) in one room, one
          sender; measures deliveries per second and server CPU per delivery.
  idle:   N idle plain connections; measures server RSS per connection.
  latency: light load (one line every 5 ms, 50 receivers); p50/p99 from send to
          arrival at a receiver, client-side timing included.

usage: scripts/bench/serve_bench.py [--binary PATH] [--receivers 200] [--lines 2000] [--idle 2000]
                                   [--only fanout] [--data]  (--data: serve with a fresh --data directory)
Build first: swift build -c release (the default binary is .build/release/relay).
Figures on a 2-core machine are noisy: compare ratios within one run.
"""
import argparse
import os
import resource
import selectors
import socket
import subprocess
import sys
import time

from procstat import cpu_seconds, rss_kib


EXTRA = []


def start(binary):
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--flood-rate", "0", "--max-clients", "100000",
                             "--sendq", str(64 << 20)] + EXTRA, stderr=subprocess.PIPE)
    # Other lines may come first (a --max-clients clamped to the open-file limit).
    line = ""
    while "listening on" not in line:
        line = proc.stderr.readline().decode()
        if not line:
            raise RuntimeError("relay serve did not start")
    return proc, int(line.rsplit(":", 1)[1])


def irc_client(port, nick, room):
    s = socket.create_connection(("127.0.0.1", port))
    # Our side must not wait for delayed ACKs either (Nagle), or it measures itself.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN {room}\r\n".encode())
    return s


def wait_for(sock, marker, timeout=20):
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("closed")
        data += chunk
    sock.settimeout(None)


def fanout(binary, receivers, lines):
    proc, port = start(binary)
    try:
        clients = [irc_client(port, f"r{i}", "#bench") for i in range(receivers)]
        for c in clients:
            wait_for(c, b" 366 ")
        sender = irc_client(port, "sender", "#bench")
        wait_for(sender, b" 366 ")
        time.sleep(0.3)
        for c in clients:  # drain the join notices
            c.setblocking(False)
            try:
                while c.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass
        payload = b"".join(b"PRIVMSG #bench :benchmark line %06d with some text\r\n" % i for i in range(lines))
        sel = selectors.DefaultSelector()
        for c in clients:
            sel.register(c, selectors.EVENT_READ)
        remaining = {c: lines for c in clients}
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        sender.sendall(payload)
        deadline = t0 + 60
        while remaining and time.time() < deadline:
            for key, _ in sel.select(1):
                data = key.fileobj.recv(1 << 20)
                n = data.count(b"\n")
                remaining[key.fileobj] -= n
                if remaining[key.fileobj] <= 0:
                    sel.unregister(key.fileobj)
                    del remaining[key.fileobj]
        elapsed, cpu = time.time() - t0, cpu_seconds(proc.pid) - cpu0
        delivered = receivers * lines - sum(max(0, r) for r in remaining.values())
        return {"receivers": receivers, "lines": lines, "delivered": delivered, "seconds": round(elapsed, 3),
                "deliveries_per_s": int(delivered / elapsed), "server_cpu_us_per_delivery": round(cpu / delivered * 1e6, 3)}
    finally:
        proc.terminate()
        proc.wait()


def idle(binary, count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count * 2 + 100), hard))
    proc, port = start(binary)
    try:
        # One connection first: what the first one makes once (the read buffer, the
        # command tables, the runtime's caches) is not a per-connection cost.
        warm = socket.create_connection(("127.0.0.1", port))
        warm.sendall(b"NICK warmup\r\nUSER w 0 * :w\r\n")
        wait_for(warm, b" 422 ")
        warm.close()
        time.sleep(1.5)
        base = rss_kib(proc.pid)
        socks = []
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(f"NICK idle{i}\r\nUSER idle 0 * :idle\r\n".encode())
            socks.append(s)
        for s in socks[-10:]:
            wait_for(s, b" 422 ")
        time.sleep(1.5)  # spare output buffers are given back a second after the last write
        used = rss_kib(proc.pid) - base
        for s in socks:
            s.close()
        return {"connections": count, "rss_kib_delta": used, "bytes_per_connection": int(used * 1024 / count)}
    finally:
        proc.terminate()
        proc.wait()


def latency(binary, receivers=50, lines=1000):
    proc, port = start(binary)
    try:
        clients = [irc_client(port, f"l{i}", "#lat") for i in range(receivers)]
        for c in clients:
            wait_for(c, b" 366 ")
        sender = irc_client(port, "sender", "#lat")
        wait_for(sender, b" 366 ")
        probe = clients[0]
        time.sleep(0.3)
        probe.setblocking(False)
        try:
            while probe.recv(1 << 20):
                pass
        except BlockingIOError:
            pass
        probe.setblocking(True)
        probe.settimeout(5)
        samples = []
        for i in range(lines):
            t0 = time.perf_counter()
            sender.sendall(b"PRIVMSG #lat :probe %d\r\n" % i)
            data = b""
            while b"probe %d\r\n" % i not in data:
                data += probe.recv(65536)
            samples.append(time.perf_counter() - t0)
            time.sleep(0.005)
        samples.sort()
        return {"lines": lines, "receivers": receivers, "p50_us": int(samples[len(samples) // 2] * 1e6),
                "p99_us": int(samples[int(len(samples) * 0.99)] * 1e6), "max_us": int(samples[-1] * 1e6)}
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/relay")
    parser.add_argument("--receivers", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--only", choices=["fanout", "idle", "latency"])
    parser.add_argument("--data", action="store_true")
    args = parser.parse_args()
    if args.data:
        import tempfile
        EXTRA.extend(["--data", tempfile.mkdtemp(prefix="relay-bench-data-")])
    if args.only in (None, "fanout"):
        print("fanout", fanout(args.binary, args.receivers, args.lines), flush=True)
    if args.only in (None, "idle"):
        print("idle", idle(args.binary, args.idle), flush=True)
    if args.only in (None, "latency"):
        print("latency", latency(args.binary), flush=True)


if __name__ == "__main__":
    sys.exit(main())
