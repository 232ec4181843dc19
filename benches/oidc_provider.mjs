// node oidc-provider as the peer of benches/fake_google.sh: a certified OpenID provider
// answering the same refresh-token grant with an RS256-signed id_token.
//
// Usage: NODE_ENV=production node oidc_provider.mjs [workers]
//   (from a folder whose node_modules has oidc-provider; workers defaults to 1)
// Prints {"base": …, "refresh_token": …} on stdout's first line once every worker listens,
// then serves until killed.
//
// With one worker the provider runs in this process. With more, node:cluster forks that many
// processes sharing the port (node's own way to use several cores), each with the same RS256
// key, and with the same grant and refresh token stored under the same ids in its in-memory
// adapter: what one shared store (Redis, a database) would give every worker, without that
// store's round trip, so the competitor is not slowed by the benchmark's set-up.
// The refresh token is minted through the provider's own model (Grant, RefreshToken), which
// is what its authorization-code grant does after a login; the benchmark needs no browser.
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const workers = Math.max(1, Number(process.argv[2] ?? process.env.BENCH_WORKERS ?? 1));

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// what every worker shares: the port, the signing key and the ids of the grant and token
function shared() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    jwk: { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' },
    grantId: randomBytes(32).toString('base64url'),
    refreshToken: randomBytes(32).toString('base64url'),
  };
}

async function serve({ port, jwk, grantId, refreshToken }) {
  const base = `http://127.0.0.1:${port}`;
  const provider = new Provider(base, {
    clients: [{
      client_id: 'bench',
      client_secret: 'bench-secret',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.example.com/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [jwk] },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.com` }) }),
    claims: { openid: ['sub'], email: ['email'] },
    features: { devInteractions: { enabled: false } },
    rotateRefreshToken: false,
  });
  provider.proxy = false;

  const client = await provider.Client.find('bench');
  const grant = new provider.Grant({ jti: grantId, accountId: 'alice', clientId: 'bench' });
  grant.addOIDCScope('openid email offline_access');
  await grant.save();
  await new provider.RefreshToken({
    jti: refreshToken,
    client,
    accountId: 'alice',
    grantId,
    scope: 'openid email offline_access',
    gty: 'authorization_code',
    authTime: Math.floor(Date.now() / 1000),
  }).save();
  await new Promise((resolve) => provider.listen(port, '127.0.0.1', resolve));
  return base;
}

if (cluster.isPrimary && workers > 1) {
  const setup = { port: await freePort(), ...shared() };
  let listening = 0;
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ BENCH_SETUP: JSON.stringify(setup) }).on('message', () => {
      listening += 1;
      if (listening === workers) {
        console.log(JSON.stringify({ base: `http://127.0.0.1:${setup.port}`, refresh_token: setup.refreshToken }));
      }
    });
  }
  const stop = () => { for (const worker of Object.values(cluster.workers)) worker.kill(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (cluster.isWorker) {
  await serve(JSON.parse(process.env.BENCH_SETUP));
  process.send('listening');
} else {
  const setup = { port: await freePort(), ...shared() };
  const base = await serve(setup);
  console.log(JSON.stringify({ base, refresh_token: setup.refreshToken }));
}
