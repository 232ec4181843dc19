// google-auth-library (Google's official Node client) against `oauth-drift serve`.
//
// Usage: node google_auth_library.mjs BASE_URL CLIENT_SECRETS_JSON
//
// The client is configured only from the client-secrets file serve wrote (auth_uri,
// token_uri, auth_provider_x509_cert_url) plus serve's base URL for the endpoints such a file
// does not name (tokeninfo, revoke, the JWKS). The browser's part is played with fetch
// (redirect: manual): serve runs with --consent auto. Prints one JSON object per line, never
// a token, for the Rust test to check.
import { readFileSync } from 'node:fs';
import { OAuth2Client } from 'google-auth-library';

const [base, secretsPath] = process.argv.slice(2);
const secrets = Object.values(JSON.parse(readFileSync(secretsPath, 'utf8')))[0];
const emit = (step, fields) => console.log(JSON.stringify({ step, ...fields }));

const client = new OAuth2Client({
  clientId: secrets.client_id,
  clientSecret: secrets.client_secret,
  redirectUri: 'http://localhost:8085/',
  endpoints: {
    oauth2AuthBaseUrl: secrets.auth_uri,
    oauth2TokenUrl: secrets.token_uri,
    oauth2FederatedSignonPemCertsUrl: secrets.auth_provider_x509_cert_url,
    oauth2FederatedSignonJwkCertsUrl: `${base}/oauth2/v3/certs`,
    oauth2RevokeUrl: `${base}/revoke`,
    tokenInfoUrl: `${base}/tokeninfo`,
  },
});

const url = client.generateAuthUrl({
  access_type: 'offline',
  scope: ['openid', 'email', 'profile', 'https://www.googleapis.com/auth/drive.file'],
  state: 'xyz',
  nonce: 'n-0S6_WzA2Mj',
});
const answer = await fetch(url, { redirect: 'manual' });
const location = new URL(answer.headers.get('location'));
emit('authorize', { status: answer.status, state: location.searchParams.get('state') });

const { tokens } = await client.getToken(location.searchParams.get('code'));
emit('exchange', { refresh_token: Boolean(tokens.refresh_token), id_token: Boolean(tokens.id_token) });
client.setCredentials(tokens);

const ticket = await client.verifyIdToken({ idToken: tokens.id_token, audience: secrets.client_id });
const payload = ticket.getPayload();
emit('verify_pem', {
  iss: payload.iss,
  aud_is_client: payload.aud === secrets.client_id,
  email: payload.email,
  email_verified: payload.email_verified,
  nonce: payload.nonce,
  name: payload.name,
  has_at_hash: typeof payload.at_hash === 'string',
});

// the same check against the JWKS (what verifyIdToken uses with certificateFormat JWK)
const { certs } = await client.getFederatedSignonCertsAsync();
emit('pem_certs', { kids: Object.keys(certs).length });

let tampered;
try {
  const [h, p, s] = tokens.id_token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.email = 'mallory@example.com';
  await client.verifyIdToken({
    idToken: [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.'),
    audience: secrets.client_id,
  });
  tampered = 'accepted';
} catch (e) {
  tampered = 'rejected';
}
emit('verify_tampered', { result: tampered });

const info = await client.getTokenInfo(tokens.access_token);
emit('tokeninfo', {
  aud_is_client: info.aud === secrets.client_id,
  email: info.email,
  scopes: info.scopes.sort(),
  access_type: info.access_type,
  expires_later: info.expiry_date > Date.now(),
});

const revoked = await client.revokeToken(tokens.access_token);
emit('revoke', { status: revoked.status });
try {
  await client.getTokenInfo(tokens.access_token);
  emit('tokeninfo_after_revoke', { refused: false });
} catch (e) {
  emit('tokeninfo_after_revoke', { refused: true, status: e.response?.status, error: e.response?.data?.error });
}
