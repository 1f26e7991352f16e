#!/usr/bin/env bash
# Regenerates man/relay.1, man/relay-serve.1, man/relay-connect.1 and
# man/relay-bridge.1 from the commands' own help (swift-argument-parser's
# generate-manual plugin), each with the EXAMPLES its --help ends with and a
# SEE ALSO. man/relay.7 is written by hand.
#   scripts/generate-manuals.sh          write them
#   scripts/generate-manuals.sh --check  fail if the committed pages are stale (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = "--check" ] && check=true

log=$(mktemp)
if ! swift package --allow-writing-to-package-directory generate-manual --multi-page >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
generated=.build/plugins/GenerateManual/outputs/relay
swift build --product relay >/dev/null 2>&1
relay=.build/debug/relay
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for command in "" serve connect bridge; do
  if [ -z "$command" ]; then source_page=relay.1 page=relay.1 title=RELAY
  else source_page=relay.$command.1 page=relay-$command.1 title=$(echo "relay-$command" | tr a-z A-Z); fi
  {
    # The date of the last change to the help, not of the run: the pages stay stable.
    # The generator's own SEE ALSO names pages as relay.serve(1): ours replaces it.
    sed -e "s/^\.Dt .*/.Dt $title 1/" -e '/^\.Dd /d' -e '$a\' "$generated/$source_page" \
      | awk '/^\.Sh "SEE ALSO"/ { skip = 1; next } /^\.Sh / { skip = 0 } !skip' | sed "1a .Dd $(git log -1 --format=%cd --date=format:'%B %-d, %Y' -- Sources/relay/Commands Sources/relay/Relay.swift)"
    echo ".Sh EXAMPLES"
    # shellcheck disable=SC2086
    $relay $command --help | sed -n '/^EXAMPLES:/,$p' | tail -n +2 | while IFS= read -r line; do
      case $line in
        "    "*) echo ".Dl ${line#    }" ;;
        "  "*) echo ".Pp"; echo "${line#  }" ;;
      esac
    done
    echo ".Sh SEE ALSO"
    see=".Xr relay 7"
    for other in relay relay-serve relay-connect relay-bridge; do
      [ "$other.1" = "$page" ] || see="$see ,
.Xr $other 1"
    done
    echo "$see"
  } > "$out/$page"
done

if $check; then
  for page in relay.1 relay-serve.1 relay-connect.1 relay-bridge.1; do
    if ! cmp -s "$out/$page" "man/$page"; then
      echo "man/$page is stale: run scripts/generate-manuals.sh" >&2
      diff "man/$page" "$out/$page" | head -20 >&2 || true
      exit 1
    fi
  done
  echo "man pages are fresh"
else
  cp "$out"/relay*.1 man/
  echo "man/ regenerated"
fi
