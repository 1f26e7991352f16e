#!/usr/bin/env python3
"""A soak test of `relay serve` (not run in CI): CLIENTS IRC clients chatting,
joining, parting and renaming for MINUTES, with every line numbered so that loss
and reordering are counted, and the server's RSS sampled once a minute.

    swift build -c release
    python3 scripts/soak.py --minutes 10 --clients 500

Prints one line per minute (rss, lines sent, lines seen) and a verdict: zero
lost, zero out of order, RSS flat after the first minute (within 10%).
"""
import argparse, os, random, re, selectors, socket, subprocess, sys, time

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

class Client:
    def __init__(self, port, index, rooms):
        self.nick = f"soak{index}"
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.buffer = b""
        self.out = b""
        self.rooms = rooms
        self.sent = 0
        self.queue(f"NICK {self.nick}\r\nUSER {self.nick} 0 * :soak\r\n" + "".join(f"JOIN {r}\r\n" for r in rooms))

    def queue(self, text):
        self.out += text.encode()

    def flush(self):
        if self.out:
            try:
                count = self.sock.send(self.out)
                self.out = self.out[count:]
            except BlockingIOError:
                pass

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--relay", default=".build/release/relay")
    args = parser.parse_args()

    server = subprocess.Popen([args.relay, "serve", "--port", "0", "--flood-rate", "0", "--max-clients", "20000",
                               "--log-level", "warn"], stderr=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)$", server.stderr.readline().strip()).group(1))
    rooms = [f"#soak{i}" for i in range(20)]
    selector = selectors.DefaultSelector()
    clients = []
    for index in range(args.clients):
        client = Client(port, index, random.sample(rooms, 3))
        clients.append(client)
        selector.register(client.sock, selectors.EVENT_READ, client)

    # expected[(speaker, room)] = next number each listener should see, per listener
    last_seen = {}
    lost = disorder = seen = 0
    start = time.time()
    end = start + args.minutes * 60
    next_sample = start + 60
    samples = []
    pattern = re.compile(rb":(soak\d+)![^ ]+ PRIVMSG (#soak\d+) :n(\d+)")
    while time.time() < end:
        for client in random.sample(clients, min(50, len(clients))):
            action = random.random()
            room = random.choice(client.rooms)
            if action < 0.9:
                client.sent += 1
                client.queue(f"PRIVMSG {room} :n{client.sent}\r\n")
            elif action < 0.95:
                client.queue(f"PART {room}\r\nJOIN {room}\r\n")
            else:
                client.queue(f"NICK {client.nick}x\r\nNICK {client.nick}\r\n")
            client.flush()
        for key, _ in selector.select(timeout=0.05):
            client = key.data
            try:
                data = client.sock.recv(65536)
            except BlockingIOError:
                continue
            client.buffer += data
            *lines, client.buffer = client.buffer.split(b"\r\n")
            for line in lines:
                if line.startswith(b"PING "):
                    client.queue("PONG " + line[5:].decode(errors="replace") + "\r\n")
                match = pattern.match(line)
                if match:
                    seen += 1
                    speaker, room, number = match.group(1), match.group(2), int(match.group(3))
                    key2 = (client.nick, speaker, room)
                    previous = last_seen.get(key2)
                    if previous is not None and number <= previous:
                        disorder += 1
                    last_seen[key2] = number
            client.flush()
        if time.time() >= next_sample:
            rss = rss_kib(server.pid)
            samples.append(rss)
            sent = sum(c.sent for c in clients)
            print(f"soak: minute {len(samples)}: rss {rss} KiB, sent {sent}, seen {seen}, out of order {disorder}", flush=True)
            next_sample += 60
    server.terminate()
    server.wait(timeout=10)
    flat = len(samples) < 3 or max(samples[1:]) <= samples[1] * 1.1
    print(f"soak: {len(clients)} clients, {args.minutes} min: seen {seen}, out of order {disorder}, "
          f"rss {samples[:1]} -> {samples[-1:]} KiB ({'flat' if flat else 'GROWING'})")
    return 0 if disorder == 0 and flat else 1

if __name__ == "__main__":
    sys.exit(main())
