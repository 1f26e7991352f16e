#!/usr/bin/env python3
"""What one flooding client costs `relay serve` in memory.

Starts `relay serve --port 0` (the binary given, or .build/release/relay),
then, one scenario at a time, measures the server's VmRSS before and after:
  empty-lines   one registered IRC client sends 64 MiB of "\\n"
  unregistered  50 connections send 65,000 "a\\n" each
and says whether each flooder was cut off ("Excess Flood") or not.
Loopback only; bounded in time; stops the server it started.

    python3 scripts/hardening/flood-rss.py [path/to/relay]
"""
import os, re, socket, subprocess, sys, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/relay"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))


def start():
    server = subprocess.Popen([binary, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    port = int(re.search(r":(\d+)$", line.strip()).group(1))
    return server, port


def send_all(sock, data, deadline):
    sock.setblocking(False)
    view = memoryview(data)
    while view and time.time() < deadline:
        try:
            sent = sock.send(view)
            view = view[sent:]
        except BlockingIOError:
            time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
    return "sent" if not view else "timed out"


def told_excess_flood(sock):
    sock.setblocking(True)
    sock.settimeout(2)
    seen = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            seen += data
    except (socket.timeout, ConnectionResetError):
        pass
    return b"Excess Flood" in seen


def empty_lines(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"NICK flooder\r\nUSER f 0 * :f\r\n")
    time.sleep(0.5)
    sent = send_all(sock, b"\n" * (64 << 20), time.time() + 60)
    return f"{sent}; told Excess Flood: {told_excess_flood(sock)}"


def unregistered(port):
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    for sock in socks:
        send_all(sock, b"a\n" * 65_000, time.time() + 20)
    told = sum(told_excess_flood(sock) for sock in socks)
    return f"{told} of 50 told Excess Flood"


for name, scenario in [("empty-lines", empty_lines), ("unregistered", unregistered)]:
    server, port = start()
    try:
        time.sleep(0.3)
        before = rss_kib(server.pid)
        outcome = scenario(port)
        time.sleep(1)
        after = rss_kib(server.pid)
        print(f"{name}: RSS {before} KiB -> {after} KiB (+{after - before} KiB); flooder: {outcome}")
    finally:
        server.kill()
        server.wait()
