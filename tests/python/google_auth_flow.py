"""Google's official Python client libraries against `oauth-drift serve`.

Usage: python3 google_auth_flow.py BASE_URL CLIENT_SECRETS_JSON

Uses the client-secrets file serve wrote, exactly as an installed app would use the one the
Cloud Console downloads (google_auth_oauthlib.flow.Flow.from_client_secrets_file), and plays
the browser's part with `requests` (allow_redirects=False): serve runs with --consent auto,
so the authorization URL answers with the redirect to the app at once.

Prints one JSON object per line (never a token) for the Rust test to check:
first grant, repeat grant, prompt=consent, refresh, userinfo, revoke, refresh after revoke.

Over plain HTTP oauthlib refuses to work unless OAUTHLIB_INSECURE_TRANSPORT is set, which is
what that variable is for (local testing): it is set here, not by callers, and only for an
http:// base. Against `serve --tls` nothing is relaxed: requests trusts serve's CA through
REQUESTS_CA_BUNDLE, set by the caller.
"""

import json
import os
import sys
from importlib.metadata import version
from urllib.parse import parse_qs, urlparse

if sys.argv[1].startswith("http://"):
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

import google.auth.transport.requests  # noqa: E402
import requests  # noqa: E402
from google.auth.exceptions import RefreshError  # noqa: E402
from google.auth.transport.requests import AuthorizedSession  # noqa: E402
from google_auth_oauthlib.flow import Flow  # noqa: E402

SCOPES = [
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/drive.file",
]
# an installed app's loopback redirect (any port matches the Console's http://localhost)
REDIRECT_URI = "http://localhost:8085/"
TIMEOUT = 10


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}, sort_keys=True), flush=True)


def grant(secrets_path, **params):
    """One authorization: URL from the library, the redirect followed by hand, code exchanged."""
    flow = Flow.from_client_secrets_file(secrets_path, scopes=SCOPES, redirect_uri=REDIRECT_URI)
    url, state = flow.authorization_url(access_type="offline", **params)
    response = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    if response.status_code != 302:
        raise SystemExit(f"authorization answered {response.status_code}: {response.text[:300]}")
    location = response.headers["location"]
    returned = parse_qs(urlparse(location).query)
    if returned.get("state") != [state]:
        raise SystemExit("the state did not come back unchanged")
    if not os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        # oauthlib wants an https authorization response even from a loopback redirect;
        # InstalledAppFlow.run_local_server hands it over the same way (http -> https)
        location = location.replace("http", "https", 1)
    # the library checks state and exchanges the code (with its PKCE verifier)
    flow.fetch_token(authorization_response=location)
    credentials = flow.credentials
    return credentials, response.headers.get("x-oauth-drift-consent-screen")


def main():
    base, secrets_path = sys.argv[1], sys.argv[2]
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=TIMEOUT).json()
    emit("versions", google_auth=version("google-auth"), google_auth_oauthlib=version("google-auth-oauthlib"))

    first, consent = grant(secrets_path, login_hint="carol@example.com")
    emit(
        "first_grant",
        consent_screen=consent,
        refresh_token=first.refresh_token is not None,
        id_token=first.id_token is not None,
        scopes=sorted(first.granted_scopes or []),
        valid=first.valid,
    )

    repeat, consent = grant(secrets_path, login_hint="carol@example.com")
    emit("repeat_grant", consent_screen=consent, refresh_token=repeat.refresh_token is not None)

    forced, consent = grant(secrets_path, login_hint="carol@example.com", prompt="consent")
    emit("prompt_consent", consent_screen=consent, refresh_token=forced.refresh_token is not None)

    request = google.auth.transport.requests.Request()
    before = first.token
    first.refresh(request)
    emit("refresh", valid=first.valid, new_access_token=first.token != before, refresh_token=first.refresh_token is not None)

    session = AuthorizedSession(first)
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT)
    emit("userinfo", status=userinfo.status_code, email=userinfo.json().get("email"))

    # Google's documented revoke call (the token as a parameter, form content type)
    revoke = requests.post(
        discovery["revocation_endpoint"],
        params={"token": first.refresh_token},
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    emit("revoke", status=revoke.status_code)

    try:
        first.refresh(request)
        emit("refresh_after_revoke", refused=False)
    except RefreshError as error:
        reason = error.args[1].get("error") if len(error.args) > 1 and isinstance(error.args[1], dict) else str(error)
        emit("refresh_after_revoke", refused=True, error=reason)


if __name__ == "__main__":
    main()
