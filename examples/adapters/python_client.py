#!/usr/bin/env python3
"""mxconform adapter template: the Mendix native sign-in flow with Python's standard library.

Run:  build/mxconform run --client-cmd "python3 /abs/path/examples/adapters/python_client.py"

What it does (PROTOCOL.md sections 2 and 3):
  launch:   get_session_data -> anonymous session cookie + csrftoken -> Anonymous home page
  attempt:  (one tap of Sign in) empty field -> 401 with no request; otherwise ONE login POST
            with the session cookie and X-Csrf-Token. Status = the HTTP status, or 0 when no
            usable HTTP response came back (any error, the timeout, a cut answer, a 3xx)
  200:      restart = get_session_data with the new session cookie, page from the new roles;
            the remaining attempts are not made
  relaunch: drop the session cookies, keep the persistent ones (authtoken) in MXC_STATE_DIR

http.client is used directly (not urllib): it never follows redirects and never resends a
request, and each request gets its own connection, so a keep-alive connection the server
closed cannot fail or duplicate a login. http.cookiejar keeps the cookies.

TEMPLATE: to wire a real app, replace the MSG_* texts with your app's validation messages,
`navigation` (read from the case file here) with your app's role -> home page table, and
show_page() with your app's navigation. Logs go to stderr; stdout gets only the result JSON.
"""
import http.client
import http.cookiejar
import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

MSG_EMPTY = "Please enter your username and password."
MSG_DENIED = "The username or password is incorrect."
MSG_NETWORK = "Cannot reach the server. Check your connection and try again."


def log(*args):
    print("python_client:", *args, file=sys.stderr)


class NoResponse(Exception):
    """No usable HTTP response: SignIn hands back status 0."""


class _HeaderWatch:
    """Wraps the response stream while http.client reads the status line and headers.

    http.client takes a connection closed in the middle of the headers as the end of the
    headers; such an answer is no HTTP response (NET-3), so note whether the blank line that
    ends the header section really arrived."""

    def __init__(self, fp):
        self.fp, self.complete = fp, False

    def readline(self, *args):
        line = self.fp.readline(*args)
        if line in (b"\r\n", b"\n"):
            self.complete = True
        return line

    def __getattr__(self, name):
        return getattr(self.fp, name)


class StrictResponse(http.client.HTTPResponse):
    def begin(self):
        watch = self.fp = _HeaderWatch(self.fp)
        super().begin()
        self.fp = watch.fp if self.fp is watch else self.fp
        if not watch.complete:
            raise NoResponse("the answer ended inside its headers")


class App:
    def __init__(self, case):
        self.case = case
        self.base = case["base_url"] if case["base_url"].endswith("/") else case["base_url"] + "/"
        self.timeout = case.get("timeout_ms", 10000) / 1000.0
        self.tls = None
        if urllib.parse.urlsplit(self.base).scheme == "https":
            self.tls = ssl.create_default_context(cafile=os.environ.get("MXC_CA_FILE") or None)
        state = os.environ.get("MXC_STATE_DIR") or tempfile.mkdtemp()
        self.jar = http.cookiejar.MozillaCookieJar(os.path.join(state, "cookies.txt"))
        self.csrf = None
        self.page = ""
        self.counter = 0

    # ---- persistence: only persistent cookies (authtoken) outlive the app ----
    def launch(self):
        """A new launch: in-memory state goes, persistent cookies come back from the state dir."""
        self.jar.clear()
        self.csrf = None
        if os.path.exists(self.jar.filename):
            self.jar.load(ignore_discard=False)  # session cookies are not loaded

    def save(self):
        self.jar.save(ignore_discard=False)  # session cookies are not written

    # ---- one XAS call ----
    def xas(self, action, params):
        """POSTs {"action", "params"} to {base}xas/; returns (status, body, ms)."""
        url = self.base + "xas/"
        parts = urllib.parse.urlsplit(url)
        self.counter += 1
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Mx-ReqToken": "%d-%d" % (time.time() * 1000, self.counter),
        }
        if self.csrf:
            headers["X-Csrf-Token"] = self.csrf
        cookie_req = urllib.request.Request(url)  # the jar works on urllib requests
        self.jar.add_cookie_header(cookie_req)
        if cookie_req.has_header("Cookie"):
            headers["Cookie"] = cookie_req.get_header("Cookie")
        body = json.dumps({"action": action, "params": params}).encode()

        started = time.monotonic()
        deadline = started + self.timeout
        if self.tls:
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout,
                                               context=self.tls)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        conn.response_class = StrictResponse
        watchdog = None
        status, data = 0, b""
        try:
            conn.connect()  # bounded by the socket timeout (TLS handshake included)
            # The socket timeout bounds each read, not the whole exchange: a watchdog shuts the
            # connection at the deadline so a slow trickle cannot outlast the app's timeout.
            watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shutdown, [conn.sock])
            watchdog.start()
            conn.request("POST", parts.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()  # IncompleteRead when the body is cut short
            if time.monotonic() > deadline:
                raise NoResponse("timed out")
            status = resp.status
            self.jar.extract_cookies(resp, cookie_req)
            if 300 <= status < 400:
                log(action, "redirect", status, "not followed")
                status = 0
        except (OSError, http.client.HTTPException, NoResponse) as e:
            log(action, "no usable response:", type(e).__name__, e)
            status, data = 0, b""
        finally:
            if watchdog:
                watchdog.cancel()
            conn.close()
        ms = (time.monotonic() - started) * 1000
        log(action, "status", status, "in %.1f ms" % ms)
        self.save()
        return status, data, ms

    def get_session_data(self):
        """(Re)loads the session: keeps the csrftoken, shows the first role's home page."""
        self.csrf = None
        status, data, ms = self.xas("get_session_data", {})
        self.page = ""
        if status == 200:
            try:
                doc = json.loads(data)
                self.csrf = doc.get("csrftoken")
                pages = [self.case["navigation"].get(r) for r in doc.get("roles", [])]
                self.page = next((p for p in pages if p), "")
            except (ValueError, AttributeError) as e:
                log("get_session_data: bad session data:", e)
        return ms

    def sign_in(self, username, password):
        """One tap of Sign in: (status, validation message, ms)."""
        if not username or not password:
            return 401, MSG_EMPTY, 0.0  # the nanoflow validates first: no request
        params = {"username": username, "password": password}
        if self.case.get("use_auth_token") is not None:
            params["useAuthToken"] = self.case["use_auth_token"]
        status, data, ms = self.xas("login", params)
        if status == 200:
            return status, "", ms
        if status == 401:
            return status, MSG_DENIED, ms
        if status == 0:
            return status, MSG_NETWORK, ms
        if status == 560:  # the runtime's own text for the user
            try:
                description = json.loads(data).get("description")
                if isinstance(description, str) and description:
                    return status, description, ms
            except (ValueError, AttributeError):
                pass
        return status, "Sign-in failed (HTTP %d). Please try again later." % status, ms


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def main():
    with open(os.environ["MXC_CASE"], encoding="utf-8") as f:
        case = json.load(f)
    app = App(case)
    timings = {}
    attempts = []
    restarted = False

    app.launch()
    timings["startup_ms"] = app.get_session_data()
    for a in case.get("attempts", []):
        status, message, ms = app.sign_in(a["username"], a["password"])
        attempts.append({"status": status, "validation_message": message})
        if ms:
            timings["signin_ms"] = ms
        if status == 200:
            restarted = True  # the app restarts into the user's home page
            timings["restart_ms"] = app.get_session_data()
            break  # the remaining attempts are not made
    if case.get("relaunch"):
        app.launch()  # closed and launched again
        timings["relaunch_ms"] = app.get_session_data()

    print(json.dumps({"attempts": attempts, "restarted": restarted, "page": app.page,
                      "timings": {k: round(v, 1) for k, v in timings.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
