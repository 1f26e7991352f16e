#!/usr/bin/env python3
"""Python's own HTTP client against `relay connect --http`.

    webhook_client.py burst PORT COUNT ROOM...   COUNT posts per room, one
        keep-alive connection (and thread) per room, all at once; every post
        must be answered 2xx.
    webhook_client.py signed PORT SECRET ROOM    a GitHub push signed with
        SECRET (must be 200), then the same with a wrong signature (must be 401).
Prints what went wrong and exits 1; exits 0 when every answer was as expected.
"""
import hashlib
import hmac
import http.client
import json
import sys
import threading

failures = []


def burst(port, count, rooms):
    def post_all(room):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for number in range(count):
            connection.request("POST", "/send/" + room.lstrip("#"), body=f"{room} line {number}",
                               headers={"Content-Type": "text/plain"})
            response = connection.getresponse()
            body = response.read().decode()
            if response.status not in (200, 202):
                failures.append(f"{room} post {number}: {response.status} {body}")
                return
        connection.close()

    threads = [threading.Thread(target=post_all, args=(room,)) for room in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def signed(port, secret, room):
    payload = json.dumps({
        "ref": "refs/heads/main", "compare": "https://example.org/compare",
        "pusher": {"name": "ana"}, "repository": {"full_name": "relay/relay"},
        "commits": [{"id": "0123456789abcdef", "message": "Fix the thing\n\nLong text", "author": {"name": "Ana"}}],
    }).encode()
    good = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    for signature, wanted in ((good, 200), ("sha256=" + "0" * 64, 401)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/send/" + room.lstrip("#") + "?wait=1", body=payload, headers={
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature})
        response = connection.getresponse()
        body = response.read().decode()
        if response.status != wanted:
            failures.append(f"signature {signature[:15]}...: {response.status} {body} (wanted {wanted})")
        connection.close()


def main():
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "burst":
        burst(port, int(sys.argv[3]), sys.argv[4:])
    elif command == "signed":
        signed(port, sys.argv[3], sys.argv[4])
    for failure in failures:
        print(failure)
    sys.exit(1 if failures else 0)


main()
