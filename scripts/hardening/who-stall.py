#!/usr/bin/env python3
"""Can ten clients asking WHO over and over stall everyone else?

Starts `relay serve --port 0 --max-clients 5000` (the binary given, or
.build/release/relay), registers 2,000 IRC users with 100-byte realnames,
then 10 attackers each send 30 `WHO *a*e*i*o*u*` at once while a bystander
PINGs the server every 400 ms (within its own flood allowance). Prints the bystander's worst and median round
trip during the attack, and how many WHO replies the attackers got in 10 s.
Loopback only; bounded in time; stops the server it started.

    python3 scripts/hardening/who-stall.py [path/to/relay] [extra serve flags...]
"""
import re, socket, statistics, subprocess, sys, threading, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/relay"
extra = sys.argv[2:]
server = subprocess.Popen([binary, "serve", "--port", "0", "--max-clients", "5000", "--log-level", "error"] + extra,
                          stderr=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+)", server.stderr.readline()).group(1))
try:
    users = []
    for index in range(2000):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"NICK u{index}\r\nUSER u 0 * :{'r' * 100}\r\n".encode())
        users.append(sock)
    time.sleep(2)
    for sock in users:  # read and drop their welcome bursts
        sock.setblocking(False)
        try:
            while sock.recv(65536):
                pass
        except BlockingIOError:
            pass

    bystander = socket.create_connection(("127.0.0.1", port))
    bystander.sendall(b"NICK bystander\r\nUSER b 0 * :b\r\n")
    time.sleep(0.5)
    bystander.settimeout(10)
    buffered = b""
    while b" 376 " not in buffered and b" 422 " not in buffered:
        buffered += bystander.recv(65536)
    time.sleep(6)  # the bystander's flood bucket refills

    replies = [0]
    def attack(index):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"NICK attacker{index}\r\nUSER a 0 * :a\r\n".encode())
        time.sleep(6)
        sock.sendall(b"WHO *a*e*i*o*u*\r\n" * 30)
        sock.settimeout(0.5)
        end = time.time() + 10
        while time.time() < end:
            try:
                data = sock.recv(1 << 20)
                if not data:
                    break
                replies[0] += data.count(b" 315 ")
            except socket.timeout:
                pass
    threads = [threading.Thread(target=attack, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(6.0)
    rtts = []
    end = time.time() + 10
    while time.time() < end:
        start = time.time()
        bystander.sendall(b"PING :x\r\n")
        data = b""
        while b"PONG" not in data:
            data += bystander.recv(65536)
        rtts.append((time.time() - start) * 1000)
        time.sleep(0.4)
    for thread in threads:
        thread.join()
    print(f"bystander PING round trip during the attack: worst {max(rtts):.1f} ms, median {statistics.median(rtts):.2f} ms "
          f"({len(rtts)} pings); WHO answered in 10 s: {replies[0]} of 300")
finally:
    server.kill()
    server.wait()
