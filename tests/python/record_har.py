"""Records HAR files of real sign-in flows through `oauth-drift serve --consent page`.

A small app on loopback sends the browser to the authorization URL from its /login (a 302, as
a web server does); its /callback page is a single-page app that exchanges the code at the
token endpoint with fetch (PKCE S256, cross-origin: the app and serve listen on different
ports, so the browser applies CORS). Headless Chromium (the system's /usr/bin/chromium, no
browser download) is driven by Playwright, whose HAR recorder writes each file.

usage: record_har.py BASE AUTHORIZE_PATH TOKEN_PATH USERINFO_PATH CLIENT_ID SECRET OUT_DIR CASE...

Prints one JSON line per case: {"case": ..., "page": <what the app's page showed>}.
"""

import base64
import hashlib
import http.server
import json
import secrets
import sys
import threading
import urllib.parse

from playwright.sync_api import sync_playwright

SCOPES = "openid email https://www.googleapis.com/auth/drive.file https://www.googleapis.com/auth/calendar.readonly"

# what each case adds to the authorization request
CASES = {
    "spa_pkce": {"access_type": "offline", "prompt": "consent"},
    "spa_pkce_zip": {"access_type": "offline", "prompt": "consent"},
    "cancel": {"access_type": "offline", "prompt": "consent"},
    "untick": {"access_type": "offline", "prompt": "consent"},
    "error_page": {"access_type": "offline", "prompt": "bogus"},
    "closed": {"access_type": "offline", "prompt": "consent"},
    "repeat_force": {"access_type": "offline", "approval_prompt": "force"},
}


def main():
    base, authorize_path, token_path, userinfo_path, client_id, secret, out_dir, *cases = sys.argv[1:]
    verifiers = {}

    class App(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            redirect_uri = f"http://127.0.0.1:{self.server.server_port}/callback"
            if url.path == "/login":
                state = secrets.token_urlsafe(12)
                verifier = secrets.token_urlsafe(48)
                verifiers[state] = verifier
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                params = {
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": SCOPES,
                    "state": state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
                params.update(CASES[query["case"]])
                self.send_response(302)
                self.send_header("Location", f"{base}{authorize_path}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if url.path == "/callback":
                config = {
                    "token": f"{base}{token_path}",
                    "userinfo": f"{base}{userinfo_path}",
                    "redirect_uri": redirect_uri,
                    "client_id": client_id,
                    "client_secret": secret,
                    "verifier": verifiers.get(query.get("state", ""), ""),
                }
                page = CALLBACK.replace("CONFIG", json.dumps(config)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    login = f"http://127.0.0.1:{app.server_port}/login"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for case in cases:
            zipped = case.endswith("_zip")
            path = f"{out_dir}/{case}.{'zip' if zipped else 'har'}"
            context = browser.new_context(
                record_har_path=path, record_har_content="attach" if zipped else "embed"
            )
            page = context.new_page()
            page.set_default_timeout(20000)
            shown = run(case, page, login)
            context.close()
            print(json.dumps({"case": case, "page": shown}), flush=True)
        browser.close()
    app.shutdown()


def finish(page):
    page.wait_for_function("document.getElementById('out') && document.getElementById('out').dataset.done")
    return page.inner_text("#out")


def consent(page, untick=()):
    page.wait_for_selector("#allow")
    for scope in untick:
        page.uncheck(f"input[type=checkbox][value='{scope}']")
    page.click("#allow")


def run(case, page, login):
    page.goto(f"{login}?case={case}")
    if case in ("spa_pkce", "spa_pkce_zip"):
        consent(page)
        return finish(page)
    if case == "cancel":
        page.wait_for_selector("#deny")
        page.click("#deny")
        return finish(page)
    if case == "untick":
        consent(page, untick=["https://www.googleapis.com/auth/calendar.readonly"])
        return finish(page)
    if case == "error_page":
        return page.inner_text("body")[:200]
    if case == "closed":
        page.wait_for_selector("#allow")
        return "closed at the consent screen"
    if case == "repeat_force":
        consent(page)
        first = finish(page)
        page.goto(f"{login}?case={case}")
        consent(page)
        return first + " | " + finish(page)
    raise SystemExit(f"unknown case {case}")


CALLBACK = """<!doctype html><html><head><meta charset="utf-8"><title>app</title></head>
<body><pre id="out">working</pre><script>
const config = CONFIG;
const out = document.getElementById('out');
const query = new URLSearchParams(location.search);
function done(text) { out.textContent = text; out.dataset.done = '1'; }
(async () => {
  if (query.get('error')) { done('error=' + query.get('error')); return; }
  let text;
  try {
    const response = await fetch(config.token, {method: 'POST', body: new URLSearchParams({
      grant_type: 'authorization_code', code: query.get('code'), redirect_uri: config.redirect_uri,
      client_id: config.client_id, client_secret: config.client_secret, code_verifier: config.verifier})});
    const body = await response.json();
    text = 'token ' + response.status + ' refresh_token=' + ('refresh_token' in body) + ' scope=' + (body.scope || '');
  } catch (e) {
    text = 'token unreadable: ' + e.name;
  }
  try {
    await fetch(config.userinfo);
    text += ' userinfo=readable';
  } catch (e) {
    text += ' userinfo=blocked';
  }
  done(text);
})();
</script></body></html>"""


if __name__ == "__main__":
    main()
