"""Generic OpenID Connect clients in Python against `oauth-drift serve` (--issuer google).

Usage: python3 oidc_clients.py BASE_URL CLIENT_SECRETS_JSON

- Authlib's OpenID client, set up the way Authlib's docs set up Google: registered with
  `server_metadata_url` (the discovery document) inside a Flask app, then
  `authorize_redirect()` and `authorize_access_token()`, which fetches the JWKS named by
  `jwks_uri` and validates the id_token (signature, iss, aud, exp, nonce, at_hash) by itself.
- PyJWT's PyJWKClient: the signing key for the id_token's kid from `jwks_uri`, then
  `jwt.decode` with the audience and issuer checked.
- google-auth's `id_token.verify_token` against the PEM certificates of
  `auth_provider_x509_cert_url`.

Prints one JSON object per line (never a token) for the Rust test to check.
"""

import json
import os
import sys
from urllib.parse import urlparse

import jwt
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, session
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import id_token as google_id_token

TIMEOUT = 10


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}, sort_keys=True), flush=True)


def main():
    base, secrets_path = sys.argv[1], sys.argv[2]
    with open(secrets_path) as f:
        secrets = next(iter(json.load(f).values()))
    client_id = secrets["client_id"]
    metadata = f"{base}/.well-known/openid-configuration"

    app = Flask(__name__)
    app.secret_key = os.urandom(16)
    oauth = OAuth(app)
    oauth.register(
        "google",
        client_id=client_id,
        client_secret=secrets["client_secret"],
        server_metadata_url=metadata,
        client_kwargs={"scope": "openid email profile"},
    )
    result = {}

    @app.route("/login")
    def login():
        return oauth.google.authorize_redirect("http://localhost:8085/callback")

    @app.route("/callback")
    def callback():
        token = oauth.google.authorize_access_token()
        result["userinfo"] = dict(token["userinfo"])
        result["id_token"] = token["id_token"]
        result["nonce_was_sent"] = True
        return "ok"

    with app.test_client() as browser:
        start = browser.get("/login")
        authorize_url = start.headers["location"]
        answer = requests.get(authorize_url, allow_redirects=False, timeout=TIMEOUT)
        location = urlparse(answer.headers["location"])
        done = browser.get(f"{location.path}?{location.query}")
        emit("authlib", status=done.status_code, path=urlparse(authorize_url).path)
    claims = result.get("userinfo", {})
    emit(
        "authlib_claims",
        iss=claims.get("iss"),
        aud_is_client=claims.get("aud") == client_id,
        email=claims.get("email"),
        has_nonce="nonce" in claims,
        has_at_hash="at_hash" in claims,
    )

    id_token = result["id_token"]
    jwks_uri = requests.get(metadata, timeout=TIMEOUT).json()["jwks_uri"]
    signing_key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(id_token)
    decoded = jwt.decode(
        id_token,
        signing_key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer="https://accounts.google.com",
    )
    emit("pyjwt", kid=signing_key.key_id == jwt.get_unverified_header(id_token)["kid"], email=decoded["email"])
    try:
        jwt.decode(id_token, signing_key.key, algorithms=["RS256"], audience="someone-else")
        emit("pyjwt_wrong_audience", rejected=False)
    except jwt.InvalidAudienceError:
        emit("pyjwt_wrong_audience", rejected=True)

    verified = google_id_token.verify_token(
        id_token, GoogleRequest(), audience=client_id, certs_url=secrets["auth_provider_x509_cert_url"]
    )
    emit("google_auth_verify", iss=verified["iss"], email=verified["email"])


if __name__ == "__main__":
    main()
