#!/usr/bin/python3
"""Two bots built with the Python `irc` library (Debian python3-irc) talk
through a relay server: they register, join a channel, exchange messages and an
action, hear a plain (nc) user, change nick and quit. Every expected event must
be observed within the time limit.

usage: python_irc_bots.py PORT CHANNEL
Prints one line per observed event; exits 0 when all were seen, 1 otherwise.
"""
import sys
import time

import irc.client

port, channel = int(sys.argv[1]), sys.argv[2]
own_channel = channel + "-alice"
# Newer versions call it Reactor; Debian 12 ships 8.5, where it is IRC.
reactor = (getattr(irc.client, "Reactor", None) or irc.client.IRC)()
seen = []
expected = {
    "alice welcome", "bobby welcome",
    "alice joined", "bobby joined",
    "bobby heard alice", "bobby heard the action",
    "alice heard the plain user",
    "alice saw the nick change", "bobby2 got the private message",
    "alice saw bobby2 quit",
    "alice got WHOX replies", "alice saw the exception list",
}


def see(event):
    if event not in seen:
        seen.append(event)
        print(event, flush=True)


alice = reactor.server().connect("127.0.0.1", port, "alice", username="alice", ircname="Alice Bot")
bobby = reactor.server().connect("127.0.0.1", port, "bobby", username="bobby", ircname="Bobby Bot")
name_of = {alice: "alice", bobby: "bobby"}


state = {"alice in": False, "bobby welcomed": False}


def on_welcome(conn, event):
    see(f"{name_of[conn]} welcome")
    # alice makes the channel (and is its operator); bobby follows her in.
    if conn is alice:
        conn.join(channel)
    else:
        state["bobby welcomed"] = True
        if state["alice in"]:
            conn.join(channel)


def on_join(conn, event):
    nick = irc.client.NickMask(event.source).nick
    if conn is alice and nick == "alice" and event.target.lower() == own_channel:
        # A channel alice made, so she is its operator: an exception list there.
        alice.send_raw(f"MODE {own_channel} +e bobby!*@*")
        alice.send_raw(f"MODE {own_channel} e")
        return
    if nick == conn.get_nickname():
        see(f"{name_of[conn]} joined")
        if conn is alice:
            state["alice in"] = True
            if state["bobby welcomed"]:
                bobby.join(channel)
    if conn is alice and nick == "bobby":
        alice.privmsg(channel, "hello from alice")
        alice.action(channel, "waves at bobby")
        # WHOX (354 with a token) and an exception list (348/349), as 005 advertises.
        alice.send_raw(f"WHO {channel} %tnf,7")
        alice.join(own_channel)


def on_pubmsg(conn, event):
    nick = irc.client.NickMask(event.source).nick
    text = event.arguments[0]
    if conn is bobby and nick == "alice" and text == "hello from alice":
        see("bobby heard alice")
    if conn is alice and text == "ping from plain":
        see("alice heard the plain user")
        bobby.nick("bobby2")


def on_action(conn, event):
    if conn is bobby and event.arguments[0] == "waves at bobby":
        see("bobby heard the action")


def on_nick(conn, event):
    if conn is alice and irc.client.NickMask(event.source).nick == "bobby" and event.target == "bobby2":
        see("alice saw the nick change")
        alice.privmsg("bobby2", "psst")


def on_privmsg(conn, event):
    if conn is bobby and event.arguments[0] == "psst" and conn.get_nickname() == "bobby2":
        see("bobby2 got the private message")
        bobby.quit("done here")


def on_whox(conn, event):
    if conn is alice and event.arguments[:2] == ["7", "bobby"]:
        see("alice got WHOX replies")


def on_exceptlist(conn, event):
    if conn is alice and event.arguments[:2] == [own_channel, "bobby!*@*"]:
        see("alice saw the exception list")


def on_quit(conn, event):
    if conn is alice and irc.client.NickMask(event.source).nick == "bobby2":
        see("alice saw bobby2 quit")


for name, handler in [("welcome", on_welcome), ("join", on_join), ("pubmsg", on_pubmsg), ("action", on_action),
                      ("nick", on_nick), ("privmsg", on_privmsg), ("quit", on_quit),
                      ("354", on_whox), ("exceptlist", on_exceptlist)]:
    reactor.add_global_handler(name, handler)

deadline = time.time() + 20
while time.time() < deadline and not expected.issubset(seen):
    reactor.process_once(0.1)

missing = sorted(expected - set(seen))
if missing:
    print("missing: " + ", ".join(missing), flush=True)
    sys.exit(1)
alice.quit("bye")
sys.exit(0)
