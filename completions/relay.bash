#!/bin/bash

__relay_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__relay_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__relay_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__relay_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_relay() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __relay_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    serve|connect|bridge|help)
        # Offer subcommand argument completions
        "_relay_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'serve connect bridge help' -- "${cur}"))
        ;;
    esac
}

_relay_serve() {
    repeating_flags=()
    non_repeating_flags=(--tls-only --check --version -h --help)
    repeating_options=(--oper)
    non_repeating_options=(--config --host --port --tls-cert --tls-key --tls-port --sts-duration --history --data --history-lines --history-days --export --import --lobby --max-list --sendq --max-clients --name --network --password-file --motd --oper-password-file --ping-interval --flood-burst --flood-rate --max-per-ip --register-timeout --log-level --log-format --coalesce --cluster --cluster-password-file --cluster-tls-ca --cluster-ttl --nick-length --channel-length --topic-length --max-channels)
    __relay_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--tls-cert')
        return
        ;;
    '--tls-key')
        return
        ;;
    '--tls-port')
        return
        ;;
    '--sts-duration')
        return
        ;;
    '--history')
        return
        ;;
    '--data')
        return
        ;;
    '--history-lines')
        return
        ;;
    '--history-days')
        return
        ;;
    '--export')
        return
        ;;
    '--import')
        return
        ;;
    '--lobby')
        return
        ;;
    '--max-list')
        return
        ;;
    '--sendq')
        return
        ;;
    '--max-clients')
        return
        ;;
    '--name')
        return
        ;;
    '--network')
        return
        ;;
    '--password-file')
        return
        ;;
    '--motd')
        return
        ;;
    '--oper')
        return
        ;;
    '--oper-password-file')
        return
        ;;
    '--ping-interval')
        return
        ;;
    '--flood-burst')
        return
        ;;
    '--flood-rate')
        return
        ;;
    '--max-per-ip')
        return
        ;;
    '--register-timeout')
        return
        ;;
    '--log-level')
        __relay_add_completions -W 'error'$'\n''warn'$'\n''info'$'\n''debug'
        return
        ;;
    '--log-format')
        __relay_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--coalesce')
        return
        ;;
    '--cluster')
        return
        ;;
    '--cluster-password-file')
        return
        ;;
    '--cluster-tls-ca')
        return
        ;;
    '--cluster-ttl')
        return
        ;;
    '--nick-length')
        return
        ;;
    '--channel-length')
        return
        ;;
    '--topic-length')
        return
        ;;
    '--max-channels')
        return
        ;;
    esac
}

_relay_connect() {
    repeating_flags=()
    non_repeating_flags=(--tls --insecure --sasl-optional --allow-raw --notice --no-join --json --verbose --stay --trace --version -h --help)
    repeating_options=(--on --allow --allow-room --http-template --join --key --send)
    non_repeating_options=(--ca-file --client-cert --client-key --sasl --sasl-user --sasl-password-file --nickserv-password-file --exec --listen --max-handlers --handler-timeout --max-reply-lines --cooldown --http --http-token-file --http-secret-file --http-tls-cert --http-tls-key --http-max-body --http-timeout --nick --password-file --timeout --log-level --log-format --rate)
    __relay_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--ca-file')
        return
        ;;
    '--client-cert')
        return
        ;;
    '--client-key')
        return
        ;;
    '--sasl')
        return
        ;;
    '--sasl-user')
        return
        ;;
    '--sasl-password-file')
        return
        ;;
    '--nickserv-password-file')
        return
        ;;
    '--exec')
        return
        ;;
    '--on')
        return
        ;;
    '--listen')
        return
        ;;
    '--allow')
        return
        ;;
    '--allow-room')
        return
        ;;
    '--max-handlers')
        return
        ;;
    '--handler-timeout')
        return
        ;;
    '--max-reply-lines')
        return
        ;;
    '--cooldown')
        return
        ;;
    '--http')
        return
        ;;
    '--http-token-file')
        return
        ;;
    '--http-secret-file')
        return
        ;;
    '--http-template')
        return
        ;;
    '--http-tls-cert')
        return
        ;;
    '--http-tls-key')
        return
        ;;
    '--http-max-body')
        return
        ;;
    '--http-timeout')
        return
        ;;
    '--join')
        return
        ;;
    '--key')
        return
        ;;
    '--nick')
        return
        ;;
    '--password-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--send')
        return
        ;;
    '--log-level')
        __relay_add_completions -W 'error'$'\n''warn'$'\n''info'$'\n''debug'
        return
        ;;
    '--log-format')
        __relay_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--rate')
        return
        ;;
    esac
}

_relay_bridge() {
    repeating_flags=()
    non_repeating_flags=(--insecure --no-nick-guard --relay-events --relay-notices --trace --version -h --help)
    repeating_options=(--http-template --password-file --ignore)
    non_repeating_options=(--config --ca-file --client-cert --client-key --http --http-token-file --http-secret-file --http-tls-cert --http-tls-key --http-max-body --http-timeout --nick --timeout --rate --format --backlog --backlog-age --rejoin-delay --stats --log-level --log-format)
    __relay_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--config')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--client-cert')
        return
        ;;
    '--client-key')
        return
        ;;
    '--http')
        return
        ;;
    '--http-token-file')
        return
        ;;
    '--http-secret-file')
        return
        ;;
    '--http-template')
        return
        ;;
    '--http-tls-cert')
        return
        ;;
    '--http-tls-key')
        return
        ;;
    '--http-max-body')
        return
        ;;
    '--http-timeout')
        return
        ;;
    '--nick')
        return
        ;;
    '--password-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--rate')
        return
        ;;
    '--format')
        return
        ;;
    '--ignore')
        return
        ;;
    '--backlog')
        return
        ;;
    '--backlog-age')
        return
        ;;
    '--rejoin-delay')
        return
        ;;
    '--stats')
        return
        ;;
    '--log-level')
        __relay_add_completions -W 'error'$'\n''warn'$'\n''info'$'\n''debug'
        return
        ;;
    '--log-format')
        __relay_add_completions -W 'text'$'\n''json'
        return
        ;;
    esac
}

_relay_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __relay_offer_flags_options -1
}

complete -o filenames -F _relay relay
