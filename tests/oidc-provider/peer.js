// A certified OpenID provider (panva/node-oidc-provider, pinned in package.json) on loopback,
// the peer the probe tests run against (tests/it/oidc_peer.rs). Its default configuration
// except what a loopback test needs: one confidential native client (any loopback port, RFC
// 8252 §7.3) that may use the refresh_token grant and the response types the `oidc` profile
// accepts, and an http issuer on 127.0.0.1.
//
// Environment:
//   PEER_CLIENT_ID, PEER_CLIENT_SECRET  the client (required)
//   PEER_ROTATION   default | rotate     default: the provider's own policy (a confidential
//                                       client's refresh token is not rotated before 70 % of
//                                       its lifetime); rotate: every use rotates it (and a
//                                       rotated-out token replayed revokes the grant)
//   PEER_REVOCATION on                   enable the revocation endpoint (off by default)
//   PEER_MODULES    the node_modules folder scripts/test installed package-lock.json into
//                   (target/oidc-provider/node_modules)
// Prints "listening http://127.0.0.1:PORT" once it accepts connections.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = path.join(process.env.PEER_MODULES, 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(entry).href);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const configuration = {
    clients: [{
      client_id: process.env.PEER_CLIENT_ID,
      client_secret: process.env.PEER_CLIENT_SECRET,
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token', 'implicit'],
      response_types: ['code', 'id_token', 'code id_token'],
      redirect_uris: ['http://127.0.0.1/callback'],
    }],
    cookies: { keys: ['oauth-drift-peer-cookie-key'] },
    features: { revocation: { enabled: process.env.PEER_REVOCATION === 'on' } },
  };
  if (process.env.PEER_ROTATION === 'rotate') {
    configuration.rotateRefreshToken = true;
  }
  const provider = new Provider(issuer, configuration);
  // the listener is created before the issuer is known (its port), then handed to Koa
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});
process.on('SIGTERM', () => process.exit(0));
