function __relay_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __relay_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __relay_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __relay_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __relay_parse_tokens -S
    set -l unparsed_tokens (__relay_tokens -pc)
    switch $unparsed_tokens[1]
    case 'relay'
        __relay_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'serve'
            __relay_parse_subcommand 0 'config=' 'host=' 'port=' 'tls-cert=' 'tls-key=' 'tls-port=' 'tls-only' 'sts-duration=' 'history=' 'data=' 'history-lines=' 'history-days=' 'check' 'export=' 'import=' 'lobby=' 'max-list=' 'sendq=' 'max-clients=' 'name=' 'network=' 'password-file=' 'motd=' 'oper=+' 'oper-password-file=' 'ping-interval=' 'flood-burst=' 'flood-rate=' 'max-per-ip=' 'register-timeout=' 'log-level=' 'log-format=' 'coalesce=' 'cluster=' 'cluster-password-file=' 'cluster-tls-ca=' 'cluster-ttl=' 'nick-length=' 'channel-length=' 'topic-length=' 'max-channels=' 'version' 'h/help'
        case 'connect'
            __relay_parse_subcommand 1 'tls' 'ca-file=' 'insecure' 'client-cert=' 'client-key=' 'sasl=' 'sasl-user=' 'sasl-password-file=' 'sasl-optional' 'nickserv-password-file=' 'exec=' 'on=+' 'listen=' 'allow=+' 'allow-room=+' 'allow-raw' 'max-handlers=' 'handler-timeout=' 'max-reply-lines=' 'cooldown=' 'http=' 'http-token-file=' 'http-secret-file=' 'http-template=+' 'http-tls-cert=' 'http-tls-key=' 'http-max-body=' 'http-timeout=' 'join=+' 'key=+' 'nick=' 'password-file=' 'timeout=' 'send=+' 'notice' 'no-join' 'json' 'verbose' 'stay' 'trace' 'log-level=' 'log-format=' 'rate=' 'version' 'h/help'
        case 'bridge'
            __relay_parse_subcommand -r 1 'config=' 'ca-file=' 'insecure' 'client-cert=' 'client-key=' 'http=' 'http-token-file=' 'http-secret-file=' 'http-template=+' 'http-tls-cert=' 'http-tls-key=' 'http-max-body=' 'http-timeout=' 'nick=' 'password-file=+' 'timeout=' 'rate=' 'format=' 'no-nick-guard' 'relay-events' 'relay-notices' 'ignore=+' 'backlog=' 'backlog-age=' 'rejoin-delay=' 'stats=' 'trace' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'help'
            __relay_parse_subcommand -r 1 'version'
        end
    end
end

function __relay_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __relay_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __relay_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __relay_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__relay_tokens -p)
    if test -z "$(__relay_tokens -t)"
        set -l index (count (__relay_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'relay' -f
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay" version' -l 'version' -d 'Show the version.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'relay' -n '__relay_should_offer_completions_for_positional "relay" -eq 1' -fa 'serve' -d 'Run a chat server for nc/telnet users and IRC clients.'
complete -c 'relay' -n '__relay_should_offer_completions_for_positional "relay" -eq 1' -fa 'connect' -d 'Chat in rooms on any IRC server, interactively or from a script.'
complete -c 'relay' -n '__relay_should_offer_completions_for_positional "relay" -eq 1' -fa 'bridge' -d 'Relay messages between rooms on two or more servers.'
complete -c 'relay' -n '__relay_should_offer_completions_for_positional "relay" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" config' -l 'config' -d 'A TOML file whose keys are these options (port = 6667, tls_cert = "...", oper = ["admin"]); the command line wins. SIGHUP re-reads it.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" host' -l 'host' -d 'The address to listen on (a name, an IPv4 or an IPv6 address).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" port' -l 'port' -d 'The port to listen on; 0 picks a free one.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" tls-cert' -l 'tls-cert' -d 'The TLS certificate chain (PEM); with --tls-key, TLS is served on --tls-port.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" tls-key' -l 'tls-key' -d 'The TLS certificate\'s private key (PEM).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" tls-port' -l 'tls-port' -d 'The port for TLS connections; 0 picks a free one.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" tls-only' -l 'tls-only' -d 'Serve TLS only: no plain port.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" sts-duration' -l 'sts-duration' -d 'Tell IRCv3 clients to use TLS only, for this many seconds (STS: plain connections learn the TLS port); needs a certificate clients trust.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" history' -l 'history' -d 'Lines of a room\'s history replayed to plain users who join.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" data' -l 'data' -d 'Keep state in DIR (created, mode 0700): rooms\' history survives a restart (SQLite, WAL).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" history-lines' -l 'history-lines' -d 'With --data: lines kept on disk per room (the oldest go).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" history-days' -l 'history-days' -d 'With --data: days a line is kept on disk; 0 keeps them until --history-lines pushes them out.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" check' -l 'check' -d 'With --data: check the data (schema version, integrity), print what is wrong, exit 0 if nothing is.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" export' -l 'export' -d 'With --data: write the data to FILE as JSON Lines, then exit.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" import' -l 'import' -d 'With --data: read FILE (from --export) into empty data, then exit.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" lobby' -l 'lobby' -d 'The room plain users start in; \'\' for none (they are told how to join one).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" max-list' -l 'max-list' -d 'Entries per room in each list mode (bans); more get 478.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" sendq' -l 'sendq' -d 'Bytes that may wait for a slow reader before it is dropped.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" max-clients' -l 'max-clients' -d 'The most clients connected at once.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" name' -l 'name' -d 'The server\'s name in IRC replies (default: the host name).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" network' -l 'network' -d 'The network name announced to clients.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" password-file' -l 'password-file' -d 'A file holding the connection password (or set RELAY_PASSWORD).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" motd' -l 'motd' -d 'A file whose lines are the message of the day.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve"' -l 'oper' -d 'An operator name for OPER (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" oper-password-file' -l 'oper-password-file' -d 'Operator passwords: lines of \'NAME PASSWORD\', or one password for every --oper (or set RELAY_OPER_PASSWORD).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" ping-interval' -l 'ping-interval' -d 'Seconds of silence before an IRC client is PINGed; as long again without a reply drops it.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" flood-burst' -l 'flood-burst' -d 'Flood control: lines a client may send at once.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" flood-rate' -l 'flood-rate' -d 'Flood control: lines per second after the burst; 0 turns it off.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" max-per-ip' -l 'max-per-ip' -d 'Connections from one address (an IPv6 /64 counts as one address); 0 for no limit. Default 10, loopback not counted unless this is given.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" register-timeout' -l 'register-timeout' -d 'Seconds a connection has to finish registering: the TLS handshake, a plain user\'s password, or IRC registration.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" log-level' -l 'log-level' -d 'What the operator\'s log on stderr says: error, warn, info (connections, disconnections and why, operator actions) or debug.' -rfka 'error warn info debug'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" log-format' -l 'log-format' -d 'The operator\'s log as text or json (one object per line).' -rfka 'text json'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" coalesce' -l 'coalesce' -d 'Milliseconds output (and input) may wait after a busy write (to 32 or more clients at once), so the next lines leave in the same write; 0 writes at once.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" cluster' -l 'cluster' -d 'Share rooms with the other nodes using this Redis (7 or later for sharded pub/sub): redis://HOST[:6379][/DB], or rediss:// for TLS.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" cluster-password-file' -l 'cluster-password-file' -d 'The Redis password (or set RELAY_CLUSTER_PASSWORD); one in the URL works too (masked in ps, kept in the shell\'s history).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" cluster-tls-ca' -l 'cluster-tls-ca' -d 'With rediss://: the CA certificate that signed Redis\'s (PEM); default, the system\'s store.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" cluster-ttl' -l 'cluster-ttl' -d 'Seconds a silent node is trusted: a node that dies has its users quit everywhere within this (default 15).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" nick-length' -l 'nick-length' -d 'Longest nick.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" channel-length' -l 'channel-length' -d 'Longest channel name.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" topic-length' -l 'topic-length' -d 'Longest topic.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" max-channels' -l 'max-channels' -d 'Channels one user may be in.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" version' -l 'version' -d 'Show the version.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" tls' -l 'tls' -d 'Speak TLS to a host[:port] target (ircs:// URLs always do).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" ca-file' -l 'ca-file' -d 'Trust the CAs in FILE (PEM) instead of the system\'s store.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" insecure' -l 'insecure' -d 'Do not verify the server\'s certificate (said on stderr, with what would have failed).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" client-cert' -l 'client-cert' -d 'Present this client certificate (PEM; CertFP, SASL EXTERNAL).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" client-key' -l 'client-key' -d 'The client certificate\'s key (PEM; default: the --client-cert file).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" sasl' -l 'sasl' -d 'SASL mechanism: plain (account and password) or external (the client certificate).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" sasl-user' -l 'sasl-user' -d 'Log in with SASL PLAIN as this account; the password from --sasl-password-file or RELAY_SASL_PASSWORD.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" sasl-password-file' -l 'sasl-password-file' -d 'A file holding the SASL password.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" sasl-optional' -l 'sasl-optional' -d 'Go on without logging in when the server offers no SASL or refuses the login.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" nickserv-password-file' -l 'nickserv-password-file' -d 'Where there is no SASL: IDENTIFY to NickServ with the password in FILE, joining once it answers.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" exec' -l 'exec' -d 'Run CMD under /bin/sh -c for the life of relay: every event is a line on its stdin, every line it prints a message.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'on' -d 'PREFIX=CMD: a message whose first word is PREFIX runs CMD; its output is the reply (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" listen' -l 'listen' -d 'A Unix socket where local jobs post \'#room text\' lines and read \'ok\'.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'allow' -d 'Only this nick (a mask), or account:NAME where the server tags accounts, may trigger handlers and reach --exec (repeatable; default: everyone).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'allow-room' -d 'Only messages in this room may trigger (repeatable; default: every room, and private messages).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" allow-raw' -l 'allow-raw' -d 'Let --exec send raw protocol lines (\'/raw LINE\', or {"raw": ...} with --json).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" max-handlers' -l 'max-handlers' -d 'Handlers running at once; more wait in a queue of 64.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" handler-timeout' -l 'handler-timeout' -d 'Seconds a handler may run before its process group is killed.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" max-reply-lines' -l 'max-reply-lines' -d 'Reply lines kept from a handler; the rest become \'… (N more lines)\'.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" cooldown' -l 'cooldown' -d 'Seconds one nick must wait between two triggers.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http' -l 'http' -d 'Listen for webhooks on [HOST:]PORT (host 127.0.0.1; port 0 picks one): POST text or JSON to /send/ROOM, GitHub, GitLab, Alertmanager and Grafana payloads too.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-token-file' -l 'http-token-file' -d 'Requests must carry \'Authorization: Bearer TOKEN\' (or GitLab\'s X-Gitlab-Token) with the token in this file.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-secret-file' -l 'http-secret-file' -d 'Requests must be signed with the secret in this file (X-Hub-Signature-256, GitHub\'s HMAC-SHA256).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'http-template' -d 'NAME=TEXT: POST JSON to /hook/NAME/ROOM to say TEXT with each {dotted.path} replaced from it (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-tls-cert' -l 'http-tls-cert' -d 'Serve the webhooks over TLS with this certificate chain (PEM), like serve\'s --tls-cert.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-tls-key' -l 'http-tls-key' -d 'The private key (PEM) for --http-tls-cert.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-max-body' -l 'http-max-body' -d 'The largest request body accepted, in bytes (more is answered 413).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" http-timeout' -l 'http-timeout' -d 'Seconds a request has to arrive whole (slower ones are answered 408 and dropped).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'join' -d 'A room to join, with its key if it has one: \'#room key\' (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'key' -d 'A room key; the Nth --key goes to the Nth room named (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" nick' -l 'nick' -d 'The nick (default: your login name).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" password-file' -l 'password-file' -d 'A file holding the server password (or set RELAY_PASSWORD).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" timeout' -l 'timeout' -d 'Seconds to wait for the connection and for confirmation.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect"' -l 'send' -d 'Send TEXT to the rooms and exit (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" notice' -l 'notice' -d 'Send as NOTICE instead of PRIVMSG.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" no-join' -l 'no-join' -d 'Send without joining (if the room refuses, join, send and part).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" json' -l 'json' -d 'Print incoming messages as JSON Lines.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" verbose' -l 'verbose' -d 'Print incoming messages as text even for a one-shot send.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" stay' -l 'stay' -d 'Keep running (and logging) after stdin ends.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" trace' -l 'trace' -d 'Print every line sent and received on stderr (passwords masked).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" log-level' -l 'log-level' -d 'What stderr says beyond errors: warn, info (the default: connected, reconnecting) or debug.' -rfka 'error warn info debug'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" log-format' -l 'log-format' -d 'stderr lines as text or json (one object per line).' -rfka 'text json'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" rate' -l 'rate' -d 'Lines per second after a burst of 5; 0 turns pacing off.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" version' -l 'version' -d 'Show the version.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay connect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" config' -l 'config' -d 'A TOML file of networks and groups (see the README); SIGHUP re-reads it.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" ca-file' -l 'ca-file' -d 'Trust the CAs in FILE (PEM) instead of the system\'s store.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" insecure' -l 'insecure' -d 'Do not verify the server\'s certificate (said on stderr, with what would have failed).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" client-cert' -l 'client-cert' -d 'Present this client certificate (PEM; CertFP, SASL EXTERNAL).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" client-key' -l 'client-key' -d 'The client certificate\'s key (PEM; default: the --client-cert file).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http' -l 'http' -d 'Listen for webhooks on [HOST:]PORT (host 127.0.0.1; port 0 picks one): POST text or JSON to /send/ROOM, GitHub, GitLab, Alertmanager and Grafana payloads too.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-token-file' -l 'http-token-file' -d 'Requests must carry \'Authorization: Bearer TOKEN\' (or GitLab\'s X-Gitlab-Token) with the token in this file.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-secret-file' -l 'http-secret-file' -d 'Requests must be signed with the secret in this file (X-Hub-Signature-256, GitHub\'s HMAC-SHA256).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge"' -l 'http-template' -d 'NAME=TEXT: POST JSON to /hook/NAME/ROOM to say TEXT with each {dotted.path} replaced from it (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-tls-cert' -l 'http-tls-cert' -d 'Serve the webhooks over TLS with this certificate chain (PEM), like serve\'s --tls-cert.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-tls-key' -l 'http-tls-key' -d 'The private key (PEM) for --http-tls-cert.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-max-body' -l 'http-max-body' -d 'The largest request body accepted, in bytes (more is answered 413).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" http-timeout' -l 'http-timeout' -d 'Seconds a request has to arrive whole (slower ones are answered 408 and dropped).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" nick' -l 'nick' -d 'The bridge\'s nick where the URL names none.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge"' -l 'password-file' -d 'HOST[:PORT]=FILE: the password for that network only, read from FILE (repeatable).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" timeout' -l 'timeout' -d 'Seconds to wait for each connection; if no network answers in that time, exit 1.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" rate' -l 'rate' -d 'Lines per second per network after a burst of 5; 0 turns pacing off.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" format' -l 'format' -d 'How relayed lines read: {nick} {room} {network} {text}.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" no-nick-guard' -l 'no-nick-guard' -d 'Do not put a zero-width space in relayed nicks (it keeps namesakes from being pinged).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" relay-events' -l 'relay-events' -d 'Relay joins, parts, quits, kicks, nick and topic changes, as short notices.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" relay-notices' -l 'relay-notices' -d 'Relay NOTICEs too.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge"' -l 'ignore' -d 'Never relay this nick (a mask, repeatable): other bots.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" backlog' -l 'backlog' -d 'Lines kept per network while it is down or its pacer is behind; the oldest fall off, counted.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" backlog-age' -l 'backlog-age' -d 'How long a waiting line stays relevant: 600, 90s, 10m, 2h.' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" rejoin-delay' -l 'rejoin-delay' -d 'Seconds before rejoining a room the bridge was kicked from (at most 5 times).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" stats' -l 'stats' -d 'Print per-room counters every N seconds (0: only on SIGUSR1).' -rfka ''
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" trace' -l 'trace' -d 'Print every line sent and received on stderr (passwords masked).'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" log-level' -l 'log-level' -d 'What stderr says beyond errors: warn (losses, drops, kicks), info (the default: connections, joins, counters) or debug.' -rfka 'error warn info debug'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" log-format' -l 'log-format' -d 'stderr lines as text or json (one object per line).' -rfka 'text json'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" version' -l 'version' -d 'Show the version.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay bridge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'relay' -n '__relay_should_offer_completions_for_flags_or_options "relay help" version' -l 'version' -d 'Show the version.'
