#!/bin/sh
# A handler reading a file, a stand-in for a weather service:
#   relay connect URL --on '!weather=scripts/bots/weather.sh'   ("!weather Prague")
file=${WEATHER_FILE:-$(dirname "$0")/weather.txt}
[ -n "$RELAY_ARGS" ] || { echo "usage: !weather CITY"; exit 0; }
grep -i -F -- "$RELAY_ARGS:" "$file" | head -n 1 | grep . || echo "no forecast for $RELAY_ARGS"
