#!/bin/sh
# A handler: relay connect URL --on '!roll=scripts/bots/roll.sh'   ("!roll 2d6")
# The message reaches it only as $RELAY_ARGS (and stdin), never in a command line.
spec=${RELAY_ARGS:-1d6}
case $spec in *d*) ;; *) spec=1d$spec ;; esac
count=${spec%%d*} sides=${spec#*d}
case $count$sides in ''|*[!0-9]*) echo "usage: !roll NdM, e.g. !roll 2d6"; exit 0 ;; esac
if [ "$count" -lt 1 ] || [ "$count" -gt 20 ] || [ "$sides" -lt 2 ] || [ "$sides" -gt 1000 ]; then
  echo "usage: !roll NdM with N from 1 to 20 and M from 2 to 1000"; exit 0
fi
awk -v n="$count" -v m="$sides" -v who="$RELAY_NICK" 'BEGIN {
  srand(); for (i = 0; i < n; i++) { r = int(rand() * m) + 1; t += r; s = s (i ? " " : "") r }
  print who " rolls " n "d" m ": " s " (total " t ")" }'
