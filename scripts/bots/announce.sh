#!/bin/sh
# Many cron jobs, one IRC connection (irccat's model). Keep one bot running:
#   relay connect irc://irc.example.org/#ops --nick opsbot --stay --listen /run/relay/ops.sock
# and post through its socket from cron; the exit status says whether the server confirmed it:
#   0 3 * * *  backup.sh && scripts/bots/announce.sh '#ops' "backup done on $(hostname)"
# (nc -U /run/relay/ops.sock works too: write '#ops text', read 'ok' or 'error REASON'.)
room=$1 && shift
exec "${RELAY:-relay}" connect "unix:${RELAY_SOCKET:-/run/relay/ops.sock}" --join "$room" --send "$*" --timeout 30
