// node oidc-provider as the peer of benches/fake_google.sh: a certified OpenID provider
// answering the same refresh-token grant with an RS256-signed id_token.
//
// Usage: node oidc_provider.mjs   (from a folder whose node_modules has oidc-provider)
// Prints {"base": …, "refresh_token": …} on stdout's first line, then serves until killed.
// The refresh token is minted through the provider's own model (Grant, RefreshToken), which
// is what its authorization-code grant does after a login; the benchmark needs no browser.
import { createServer } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const base = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(base, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://app.example.com/cb'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.com` }) }),
  claims: { openid: ['sub'], email: ['email'] },
  features: { devInteractions: { enabled: false } },
  rotateRefreshToken: false,
});
provider.proxy = false;

const client = await provider.Client.find('bench');
const grant = new provider.Grant({ accountId: 'alice', clientId: 'bench' });
grant.addOIDCScope('openid email offline_access');
const grantId = await grant.save();
const refreshToken = await new provider.RefreshToken({
  client,
  accountId: 'alice',
  grantId,
  scope: 'openid email offline_access',
  gty: 'authorization_code',
  authTime: Math.floor(Date.now() / 1000),
}).save();

provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ base, refresh_token: refreshToken }));
});
