#!/usr/bin/python3
"""Two bots built with Debian's python3-irc (8.5, which knows CAP but not
message tags) ask `relay serve` for the IRCv3 capabilities that add no tags,
after registering: echo-message, multi-prefix, away-notify, extended-join,
setname, invite-notify. Each must work; and since they asked for no tags, no
line they get may start with "@" (their parser would choke on one).

usage: python_irc_ircv3.py PORT CHANNEL
Prints one line per observed event; exits 0 when all were seen, 1 otherwise.
"""
import sys
import time

import irc.client

port, channel = int(sys.argv[1]), sys.argv[2]
CAPS = "echo-message multi-prefix away-notify extended-join setname invite-notify"
reactor = (getattr(irc.client, "Reactor", None) or irc.client.IRC)()
seen = []
expected = {
    "alice acked", "bobby acked", "alice heard her echo", "bobby saw alice's extended join",
    "alice saw @+ in names", "bobby saw alice away", "bobby saw alice's new realname",
    "bobby saw the invite", "no tags reached anyone",
}
tagged = []


def see(event):
    if event not in seen:
        seen.append(event)
        print(event, flush=True)


bobby = reactor.server().connect("127.0.0.1", port, "bobby", username="bobby", ircname="Bobby Bot")
alice = None
name_of = {bobby: "bobby"}


def on_all_raw(conn, event):
    if event.arguments and event.arguments[0].startswith("@"):
        tagged.append(event.arguments[0])


def on_welcome(conn, event):
    conn.cap("REQ", *CAPS.split())


def on_cap(conn, event):
    global alice
    if event.arguments[:1] == ["ACK"] and event.arguments[-1].split() == CAPS.split():
        see(f"{name_of[conn]} acked")
        if conn is bobby:
            bobby.join(channel)
        elif conn is alice:
            alice.join(channel)


def on_join(conn, event):
    global alice
    nick = irc.client.NickMask(event.source).nick
    if conn is bobby and nick == "bobby":
        # bobby made the room: alice comes now, so bobby sees her extended JOIN.
        alice = reactor.server().connect("127.0.0.1", port, "alice", username="alice", ircname="Alice Bot")
        name_of[alice] = "alice"
    elif conn is bobby and nick == "alice":
        # extended-join: JOIN #channel account :realname
        if event.arguments[:2] == ["*", "Alice Bot"]:
            see("bobby saw alice's extended join")
        bobby.mode(channel, "+ov alice alice")
    elif conn is alice and nick == "alice":
        alice.privmsg(channel, "hello, echo")


def on_mode(conn, event):
    if conn is alice and event.arguments == ["+ov", "alice", "alice"]:
        alice.names([channel])


def on_namreply(conn, event):
    if conn is alice and "@+alice" in event.arguments[-1].split():
        see("alice saw @+ in names")
        alice.send_raw("AWAY :lunch")
        alice.send_raw("SETNAME :Alice Renamed")
        alice.send_raw(f"INVITE carol {channel}")


def on_pubmsg(conn, event):
    nick = irc.client.NickMask(event.source).nick
    if conn is alice and nick == "alice" and event.arguments[0] == "hello, echo":
        see("alice heard her echo")


def on_away(conn, event):
    # python3-irc hands a command's first parameter over as the event's target.
    if conn is bobby and irc.client.NickMask(event.source).nick == "alice" and "lunch" in [event.target] + event.arguments:
        see("bobby saw alice away")


def on_setname(conn, event):
    if conn is bobby and "Alice Renamed" in [event.target] + event.arguments:
        see("bobby saw alice's new realname")


def on_invite(conn, event):
    if conn is bobby and event.target == "carol":
        see("bobby saw the invite")


carol = reactor.server().connect("127.0.0.1", port, "carol", username="carol", ircname="Carol")
name_of[carol] = "carol"

for name, handler in [("all_raw_messages", on_all_raw), ("welcome", on_welcome), ("cap", on_cap), ("join", on_join),
                      ("mode", on_mode), ("namreply", on_namreply), ("pubmsg", on_pubmsg), ("away", on_away),
                      ("setname", on_setname), ("invite", on_invite)]:
    reactor.add_global_handler(name, handler)

deadline = time.time() + 20
while time.time() < deadline and not (expected - {"no tags reached anyone"}).issubset(seen):
    reactor.process_once(0.1)
if not tagged:
    see("no tags reached anyone")
else:
    print("tagged lines: " + " | ".join(tagged[:3]), flush=True)

missing = sorted(expected - set(seen))
if missing:
    print("missing: " + ", ".join(missing), flush=True)
    sys.exit(1)
sys.exit(0)
