// A real OpenID provider on loopback for the single sign-on tests: npm oidc-provider (panva),
// with RS256 and ES256 signing keys, the clients a test names and accounts found by id. Its
// development interactions (a login form that takes any password, then a consent form) are
// driven over HTTP by providerLogin, with a cookie jar of its own, so a test signs in at the
// provider the way a browser would, without one.
import { generateKeyPair, exportJWK } from 'jose';

// oidc-provider announces on the console that it runs on Node.js 20 (it asks for 22; Debian 12
// has 20), with an in-memory store and development interactions: all true of a test provider.
// Those lines, and only those, are dropped; it is imported once the filter is in place.
for (const level of ['info', 'warn']) {
  const print = console[level];
  console[level] = (first, ...rest) =>
    typeof first === 'string' && first.startsWith('oidc-provider ')
      ? undefined
      : print.call(console, first, ...rest);
}
const { default: Provider } = await import('oidc-provider');

export async function signingKey(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

/** Starts a provider on 127.0.0.1 (port 0). clients: oidc-provider client metadata; accounts:
 * { id: claims }. Returns { issuer, provider, close, setKeys }. */
export async function startProvider({ clients, accounts = {}, keys, ttl = {} } = {}) {
  const jwks = {
    keys: keys || [await signingKey('RS256', 'rsa-1'), await signingKey('ES256', 'ec-1')],
  };
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks,
    cookies: { keys: ['a cookie key of the test provider'] },
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      IdToken: 300,
      Interaction: 300,
      Session: 600,
      Grant: 600,
      ...ttl,
    },
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
  });
  provider.proxy = false;
  if (process.env.OIDC_DEBUG) provider.on('server_error', (ctx, err) => console.error(err));
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    jwks,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A cookie jar for one user agent: a header per origin-less test (every server is 127.0.0.1). */
export function cookieJar() {
  const cookies = new Map();
  return {
    take(res) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
    },
    header() {
      return [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
    },
    get: (name) => cookies.get(name),
    set: (name, value) => cookies.set(name, value),
  };
}

/** Follows redirects by hand from url, sending jar's cookies, until a response that is not a
 * redirect or one whose Location starts with stopAt. Returns { res, location }. */
export async function follow(url, jar, { stopAt, method = 'GET', body, max = 12 } = {}) {
  let next = url;
  for (let i = 0; i < max; i++) {
    const headers = { cookie: jar.header() };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(next, { method, body, headers, redirect: 'manual' });
    jar.take(res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return { res, location: null };
    const abs = new URL(location, next).href;
    if (stopAt && abs.startsWith(stopAt)) return { res, location: abs };
    next = abs;
    method = 'GET';
    body = undefined;
  }
  throw new Error(`too many redirects from ${url}`);
}

/** At the provider: from an authorization URL, logs in as login through the development
 * interactions and consents, until the provider redirects to redirectUri; returns that URL (with
 * code and state). */
export async function providerLogin(authUrl, login, redirectUri, jar = cookieJar()) {
  let { res, location } = await follow(authUrl, jar, { stopAt: redirectUri });
  for (let step = 0; !location && step < 4; step++) {
    const html = await res.text();
    const action = /action="([^"]+)"/.exec(html);
    if (!action) throw new Error(`no form at the provider: ${res.status} ${html.slice(0, 200)}`);
    const prompt = (/name="prompt" value="([^"]+)"/.exec(html) || [])[1];
    const form = new URLSearchParams(
      prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt },
    );
    const target = new URL(action[1], res.url || authUrl).href;
    ({ res, location } = await follow(target, jar, {
      stopAt: redirectUri,
      method: 'POST',
      body: form.toString(),
    }));
  }
  if (!location) throw new Error('the provider did not send the browser back');
  return location;
}
