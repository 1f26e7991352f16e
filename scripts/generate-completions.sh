#!/usr/bin/env bash
# Regenerates completions/ from the built binary. A test fails when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
relay=.build/debug/relay
"$relay" --generate-completion-script bash > completions/relay.bash
"$relay" --generate-completion-script zsh > completions/_relay
"$relay" --generate-completion-script fish > completions/relay.fish
echo "completions/ regenerated"
