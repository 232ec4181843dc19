// openid-client (a certified generic OpenID Connect relying party) against
// `oauth-drift serve --tls --issuer self`.
//
// Usage: NODE_EXTRA_CA_CERTS=ca.pem node openid_client.mjs BASE_URL CLIENT_SECRETS_JSON
//
// openid-client insists on the issuer in the discovery document being the URL it was
// discovered from (OIDC Discovery §4.3) and, by default, on https: so serve runs with
// --issuer self and --tls, and Node trusts serve's CA through NODE_EXTRA_CA_CERTS.
// Prints one JSON object per line, never a token.
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';

const [base, secretsPath] = process.argv.slice(2);
const secrets = Object.values(JSON.parse(readFileSync(secretsPath, 'utf8')))[0];
const emit = (step, fields) => console.log(JSON.stringify({ step, ...fields }));

const config = await client.discovery(new URL(base), secrets.client_id, secrets.client_secret);
const server = config.serverMetadata();
emit('discovery', { issuer_is_base: server.issuer === base, jwks_uri: Boolean(server.jwks_uri) });

const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const redirect = 'http://localhost:8085/';
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirect,
  scope: 'openid email',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
});
const answer = await fetch(url, { redirect: 'manual' });
const location = answer.headers.get('location');
emit('authorize', { status: answer.status });

// validates the token response and the id_token's iss, aud, exp, iat and nonce
const tokens = await client.authorizationCodeGrant(config, new URL(location), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
});
const claims = tokens.claims();
emit('code_flow', { iss_is_base: claims.iss === base, email: claims.email, nonce_matches: claims.nonce === nonce });

const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
emit('userinfo', { email: userinfo.email });

await client.tokenRevocation(config, tokens.access_token);
emit('revoke', { ok: true });
