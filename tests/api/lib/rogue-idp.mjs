// An identity provider that misbehaves on purpose, for the refusals of single sign-on (SECURITY
// I12): a real provider never signs a token for the wrong audience, with alg none or HS256 over
// its public key, so this one lets each test say what its next ID token looks like. Discovery,
// JWKS, the authorization endpoint (which sends the browser straight back with a code, no login)
// and the token endpoint are plain node:http on 127.0.0.1; the tokens are made by jose, signed
// with real RS256 and ES256 keys. Everything a test does not override is what a correct provider
// would send.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from 'jose';

async function keyPair(alg, kid) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  // the same RSA key signs PS256 too (WebCrypto binds a key to one algorithm: import it again)
  const pss = alg === 'RS256' ? await importJWK(await exportJWK(privateKey), 'PS256') : null;
  // published without alg: the key's type (RSA, EC P-256) is what pins the algorithm
  return {
    alg,
    kid,
    publicKey,
    privateKey,
    pss,
    jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' },
  };
}

/** Starts the provider. Returns { issuer, clientId, clientSecret, next(over), rotate(), requests,
 * close }. next(over) sets what the next token response holds: over.claims (merged over the
 * correct claims; a value undefined removes the claim), over.alg ('RS256' | 'ES256' | 'PS256' |
 * 'none' | 'HS256-public'), over.kid, over.key ('other': signed by a key not in the JWKS but
 * under a published kid), over.status and over.body (a token endpoint answer of its own). */
export async function startRogue({ clientId = 'gatehouse', clientSecret = 'rogue secret' } = {}) {
  let keys = [await keyPair('RS256', 'rsa-1'), await keyPair('ES256', 'ec-1')];
  const other = await keyPair('RS256', 'rsa-1');
  const codes = new Map(); // code -> the authorization request's parameters
  const requests = []; // what reached the token endpoint
  let over = {};
  let n = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/logout`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256', 'PS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: keys.map((k) => k.jwk) });
    if (url.pathname === '/authorize') {
      const code = `code-${++n}`;
      codes.set(code, Object.fromEntries(url.searchParams));
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') || '');
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push({ authorization: req.headers.authorization || null, form });
      const o = over;
      over = {};
      if (o.status) return json(o.status, o.body ?? { error: 'invalid_grant' });
      const auth = codes.get(form.code);
      if (!auth) return json(400, { error: 'invalid_grant' });
      codes.delete(form.code);
      // as a real provider: the redirect_uri of the authorization, the PKCE verifier of its
      // challenge (RFC 6749 4.1.3, RFC 7636 4.6)
      const challenge = createHash('sha256')
        .update(form.code_verifier || '')
        .digest('base64url');
      if (form.redirect_uri !== auth.redirect_uri || challenge !== auth.code_challenge)
        return json(400, { error: 'invalid_grant' });
      return json(200, {
        access_token: 'an access token',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await token(auth, o),
      });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  async function token(auth, o) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      aud: clientId,
      sub: auth.login_hint || 'rogue-user',
      nonce: auth.nonce,
      iat: now,
      exp: now + 300,
      email: 'rogue-user@example.com',
      ...o.claims,
    };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    const alg = o.alg || 'RS256';
    if (alg === 'none') return new UnsecuredJWT(claims).encode();
    if (alg === 'HS256-public') {
      const pem = await exportSPKI(keys[0].publicKey);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: keys[0].kid })
        .sign(new TextEncoder().encode(pem));
    }
    const key =
      o.key === 'other' ? other : keys.find((k) => k.alg === (alg === 'PS256' ? 'RS256' : alg));
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: o.kid ?? key.kid })
      .sign(alg === 'PS256' ? key.pss : key.privateKey);
  }

  return {
    issuer,
    clientId,
    clientSecret,
    requests,
    next(o) {
      over = o;
    },
    /** Replaces the signing keys by new ones under new kids (a key rotation). */
    async rotate() {
      const gen = Date.now().toString(36);
      keys = [await keyPair('RS256', `rsa-${gen}`), await keyPair('ES256', `ec-${gen}`)];
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
