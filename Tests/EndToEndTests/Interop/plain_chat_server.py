#!/usr/bin/env python3
"""The classic select() chat room, as small as they come: every line a client
sends goes to every other client as it is (with --echo, to the sender too).

    plain_chat_server.py PORT [--echo]    prints "listening PORT" once ready
"""
import select
import socket
import sys

port = int(sys.argv[1])
echo = "--echo" in sys.argv
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)
print("listening", server.getsockname()[1], flush=True)
clients = {}
while True:
    readable, _, _ = select.select([server] + list(clients), [], [])
    for sock in readable:
        if sock is server:
            client, _ = server.accept()
            clients[client] = b""
            continue
        data = sock.recv(4096)
        if not data:
            del clients[sock]
            sock.close()
            continue
        clients[sock] += data
        while b"\n" in clients.get(sock, b""):
            line, clients[sock] = clients[sock].split(b"\n", 1)
            for other in list(clients):
                if other is not sock or echo:
                    try:
                        other.sendall(line + b"\n")
                    except OSError:
                        pass
