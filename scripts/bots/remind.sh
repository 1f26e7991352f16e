#!/bin/sh
# A coprocess bot: relay feeds it every event as a line and says every line it prints.
#   relay connect irc://irc.example.org/#ops --nick remindbot --exec scripts/bots/remind.sh
# "!remind 60 tea" in #ops: "ana: okay, in 60 s", and a minute later "ana: reminder: tea".
set -f  # words from chat are never file patterns
while IFS= read -r line; do
  room=${line%% *} rest=${line#* }
  case $rest in "<"*"> !remind "*) ;; *) continue ;; esac
  nick=${rest%%>*} nick=${nick#<}
  set -- ${rest#*!remind }
  secs=${1:-} && shift
  case $secs in ''|*[!0-9]*) echo "$room $nick: usage: !remind SECONDS TEXT"; continue ;; esac
  echo "$room $nick: okay, in $secs s"
  (sleep "$secs"; echo "$room $nick: reminder: $*") &
done
