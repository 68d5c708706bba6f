#!/bin/sh
# mxconform adapter template: the Mendix native sign-in flow with the curl command line.
#
# Needs only POSIX sh, awk, sed and curl (everything but curl is in a minimal Debian).
# Run:   build/mxconform run --client-cmd "/abs/path/examples/adapters/curl.sh"
#
# What it does (PROTOCOL.md sections 2 and 3):
#   launch:  get_session_data -> anonymous session cookie + csrftoken -> Anonymous home page
#   each attempt (one tap of Sign in): empty field -> 401 with no request; otherwise ONE login
#            POST with the session cookie and X-Csrf-Token; status = HTTP status, or 0 when no
#            usable HTTP response came back (curl error, timeout, headers cut short, 3xx)
#   200:     restart = get_session_data with the new session cookie, page from the new roles;
#            the remaining attempts are not made
#   relaunch: drop session cookies, keep persistent ones (authtoken) from MXC_STATE_DIR
#
# TEMPLATE: to wire a real app, replace the MSG_* texts with your app's validation messages
# and `navigation` (read from the case file here) with your app's role -> home page table.
# Logs go to stderr; the only stdout line is the result JSON.

set -u
umask 077
export LC_ALL=C # '.' as the decimal point in curl's timings and awk's printf

MSG_EMPTY='Please enter your username and password.'
MSG_DENIED='The username or password is incorrect.'
MSG_NETWORK='Cannot reach the server. Check your connection and try again.'

log() { printf 'curl.sh: %s\n' "$*" >&2; }

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
# The cookie jar lives in the state dir so that persistent cookies (authtoken) survive a
# relaunch; curl writes session cookies there too, and --junk-session-cookies drops them when
# the app is launched again.
state=${MXC_STATE_DIR:-$work}
jar="$state/cookies.txt"

# ---- JSON, the small part we need -------------------------------------------------------
# json_flat < FILE prints one line per scalar: PATH<TAB>RAW, e.g. `.attempts[1].password<TAB>"x"`.
# RAW is the JSON text of the value, still escaped: strings are passed on into the request and
# the result as they came, so no decoding and re-encoding (and no quoting bugs) happen here.
json_flat() {
  awk '
    { s = s $0 "\n" }
    function path(   p, i) {
      p = ""
      for (i = 1; i <= d; i++)
        p = p (type[i] == "{" ? "." substr(key[i], 2, length(key[i]) - 2) : "[" idx[i] "]")
      return p
    }
    END {
      d = 0
      while (length(s) > 0) {
        c = substr(s, 1, 1)
        if (c == " " || c == "\t" || c == "\r" || c == "\n") { s = substr(s, 2); continue }
        if (c == "{" || c == "[") { d++; type[d] = c; idx[d] = 0; wantkey[d] = (c == "{"); s = substr(s, 2); continue }
        if (c == "}" || c == "]") { d--; s = substr(s, 2); continue }
        if (c == ",") { if (type[d] == "[") idx[d]++; else wantkey[d] = 1; s = substr(s, 2); continue }
        if (c == ":") { wantkey[d] = 0; s = substr(s, 2); continue }
        if (match(s, /^"([^"\\]|\\.)*"/) || match(s, /^[^] \t\r\n,:{}[]+/)) {
          tok = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
          if (d > 0 && type[d] == "{" && wantkey[d]) key[d] = tok
          else print path() "\t" tok
        } else s = substr(s, 2)
      }
    }'
}
# json_get FLAT PATH: the raw value at PATH (empty when absent).
json_get() { printf '%s\n' "$1" | awk -F '\t' -v k="$2" '$1 == k { print $2; exit }'; }
# unquote RAW: a JSON string without its quotes (enough for URLs and numbers).
unquote() { printf '%s' "$1" | sed 's/^"//; s/"$//; s#\\/#/#g'; }

# ---- the case -----------------------------------------------------------------------------
case_flat=$(json_flat < "$MXC_CASE")
base=$(unquote "$(json_get "$case_flat" .base_url)")
case $base in */) ;; *) base="$base/" ;; esac
timeout_ms=$(json_get "$case_flat" .timeout_ms)
timeout_ms=${timeout_ms:-${MXC_TIMEOUT_MS:-10000}}
secs=$(awk -v ms="$timeout_ms" 'BEGIN { printf "%.3f", ms / 1000 }')
use_token=$(json_get "$case_flat" .use_auth_token) # true, false or absent
relaunch=$(json_get "$case_flat" .relaunch)

# ---- one XAS call -------------------------------------------------------------------------
csrf=''      # the session's csrftoken, once get_session_data gave one
new_launch=1 # the next request is the first of a launch: drop the jar's session cookies
# xas ACTION PARAMS: POSTs {"action": ACTION, "params": PARAMS} to {base}xas/. Sets STATUS (the
# HTTP status, or 0 when no usable HTTP response arrived), MS (its duration) and leaves the
# body in $work/body.
xas() {
  action=$1
  body=$(printf '{"action":"%s","params":%s}' "$1" "$2")
  set -- --silent --show-error --max-time "$secs" --connect-timeout "$secs" \
    --cookie "$jar" --cookie-jar "$jar" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' -H 'Expect:' \
    --dump-header "$work/headers" --output "$work/body" \
    --write-out '%{http_code} %{time_total}' --data-binary @-
  # Deliberately absent: --location (redirects are never followed on /xas/) and --retry (one
  # tap is one login request). Each curl run opens its own connection, so a keep-alive
  # connection the server closed meanwhile cannot fail, or resend, a request.
  if [ -n "$csrf" ]; then set -- "$@" -H "X-Csrf-Token: $csrf"; fi
  if [ "$new_launch" = 1 ]; then set -- "$@" --junk-session-cookies; fi
  if [ -n "${MXC_CA_FILE:-}" ]; then set -- "$@" --cacert "$MXC_CA_FILE"; fi
  new_launch=0
  rm -f "$work/headers" "$work/body"
  # The body goes through stdin: credentials never appear on a command line (ps) or in a URL.
  out=$(printf '%s' "$body" | curl "$@" "${base}xas/")
  rc=$?
  STATUS=${out%% *}
  MS=$(awk -v t="${out#* }" 'BEGIN { printf "%.1f", t * 1000 }')
  # The header section must have ended with its blank line: an answer cut inside its headers
  # is no HTTP response, even when curl accepts it.
  last=$(tail -n 1 "$work/headers" 2>/dev/null | tr -d '\r')
  if [ "$rc" -ne 0 ] || [ ! -s "$work/headers" ] || [ -n "$last" ]; then
    log "$action: no usable response (curl exit $rc)"
    STATUS=0
  fi
  case $STATUS in
    3??) log "$action: redirect $STATUS, not followed"; STATUS=0 ;;
    '' | *[!0-9]*) STATUS=0 ;;
  esac
  log "$action: status $STATUS in $MS ms"
}

# ---- the app ------------------------------------------------------------------------------
page=''
# get_session_data STEP: (re)loads the session: keeps the csrftoken and shows the home page of
# the first role the navigation knows. Records the step's duration in STEP_ms.
get_session_data() {
  csrf=''
  page=''
  xas get_session_data '{}'
  eval "$1_ms=\$MS"
  [ "$STATUS" = 200 ] || return 0
  flat=$(json_flat < "$work/body")
  csrf=$(unquote "$(json_get "$flat" .csrftoken)")
  r=0
  while role=$(json_get "$flat" ".roles[$r]") && [ -n "$role" ]; do
    p=$(json_get "$case_flat" ".navigation.$(unquote "$role")")
    if [ -n "$p" ]; then page=$p; break; fi # raw JSON string, quotes included
    r=$((r + 1))
  done
}

results='' # the attempts' JSON objects, comma-separated
add_result() { results="$results${results:+,}{\"status\":$1,\"validation_message\":$2}"; }

startup_ms=''; signin_ms=''; restart_ms=''; relaunch_ms=''
restarted=false

get_session_data startup

i=0
while user=$(json_get "$case_flat" ".attempts[$i].username") && [ -n "$user" ]; do
  pass=$(json_get "$case_flat" ".attempts[$i].password")
  i=$((i + 1))
  # user and pass are raw JSON strings: "" is an empty field
  if [ "$user" = '""' ] || [ "$pass" = '""' ]; then
    add_result 401 "\"$MSG_EMPTY\"" # the nanoflow validates first: no request
    continue
  fi
  token='' # useAuthToken only when the case says true or false (else the app's default)
  case $use_token in true | false) token=",\"useAuthToken\":$use_token" ;; esac
  xas login "{\"username\":$user,\"password\":$pass$token}"
  signin_ms=$MS
  case $STATUS in
    200) add_result 200 '""' ;;
    401) add_result 401 "\"$MSG_DENIED\"" ;;
    0) add_result 0 "\"$MSG_NETWORK\"" ;;
    *)
      msg=''
      # a 560 carries the text to show in its JSON "description"
      if [ "$STATUS" = 560 ]; then msg=$(json_get "$(json_flat < "$work/body")" .description); fi
      case $msg in
        '""' | [!\"]* | '') msg="\"Sign-in failed (HTTP $STATUS). Please try again later.\"" ;;
      esac # otherwise msg is the non-empty JSON string to show
      add_result "$STATUS" "$msg"
      ;;
  esac
  if [ "$STATUS" = 200 ]; then
    # Signed in: the app restarts with the new session cookie (curl stored it in the jar)
    restarted=true
    get_session_data restart
    break # the remaining attempts are not made
  fi
done

if [ "$relaunch" = true ]; then
  # Close the app and launch it again: in-memory state and session cookies go, the jar's
  # persistent cookies (authtoken) stay.
  new_launch=1
  get_session_data relaunch
fi

timings=''
for t in startup signin restart relaunch; do
  eval "v=\${${t}_ms}"
  [ -n "$v" ] && timings="$timings${timings:+,}\"${t}_ms\":$v"
done
printf '{"attempts":[%s],"restarted":%s,"page":%s,"timings":{%s}}\n' \
  "$results" "$restarted" "${page:-\"\"}" "$timings"
