// A software WebAuthn authenticator for tests (P-256, ES256, attestation "none"): it makes the
// registration and assertion responses a browser would send, in the WebAuthn JSON serialisation,
// and can be told to misbehave (another origin, type or RP ID, no UP/UV, a counter going back,
// a bad signature). Test code only: the small CBOR it needs is encoded here.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64u = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();

// CBOR (RFC 8949) for what attestation objects and COSE keys hold: unsigned and negative
// integers, byte and text strings, arrays and maps (insertion order, keys as given).
function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
export function cbor(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (Buffer.isBuffer(v) || v instanceof Uint8Array)
    return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map) {
    const parts = [head(5, v.size)];
    for (const [k, x] of v) parts.push(cbor(k), cbor(x));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: cannot encode ${typeof v}`);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// An authenticator for one relying party (rpId, origin). Its credentials: id (base64url) ->
// {privateKey, publicJwk, counter, userHandle}.
export class SoftAuthenticator {
  constructor({ rpId, origin, aaguid = Buffer.alloc(16, 0) }) {
    this.rpId = rpId;
    this.origin = origin;
    this.aaguid = aaguid;
    this.credentials = new Map();
  }

  clientData(type, challenge, over = {}) {
    return Buffer.from(
      JSON.stringify({
        type: over.type ?? type,
        challenge,
        origin: over.origin ?? this.origin,
        crossOrigin: over.crossOrigin ?? false,
      }),
    );
  }

  flags({ up = true, uv = true } = {}) {
    return (up ? FLAG_UP : 0) | (uv ? FLAG_UV : 0);
  }

  // navigator.credentials.create()'s answer to options (PublicKeyCredentialCreationOptionsJSON).
  // over: origin, type, rpId (hashed instead of ours), up, uv, fmt, counter.
  create(options, over = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = randomBytes(16);
    const cose = cbor(
      new Map([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x, 'base64url')],
        [-3, Buffer.from(jwk.y, 'base64url')],
      ]),
    );
    const counter = over.counter ?? 0;
    const authData = Buffer.concat([
      sha256(over.rpId ?? this.rpId),
      Buffer.from([this.flags(over) | FLAG_AT]),
      u32(counter),
      this.aaguid,
      Buffer.from([id.length >> 8, id.length & 255]),
      id,
      cose,
    ]);
    const att = cbor(
      new Map([
        ['fmt', over.fmt ?? 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const cdj = this.clientData('webauthn.create', options.challenge, over);
    this.credentials.set(b64u(id), { privateKey, counter, userHandle: options.user?.id ?? null });
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(cdj),
        attestationObject: b64u(att),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  // navigator.credentials.get()'s answer (PublicKeyCredentialRequestOptionsJSON) with credential
  // id (default: the first one allowed, else the first of ours). over: origin, type, rpId, up,
  // uv, counter (the count to sign; default the next one), badSignature, userHandle.
  get(options, id = null, over = {}) {
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    id ??= allowed.find((x) => this.credentials.has(x)) ?? [...this.credentials.keys()][0];
    const cred = this.credentials.get(id);
    if (!cred) throw new Error(`no credential ${id}`);
    const counter = over.counter ?? cred.counter + 1;
    if (over.counter === undefined) cred.counter = counter;
    const authData = Buffer.concat([
      sha256(over.rpId ?? this.rpId),
      Buffer.from([this.flags(over)]),
      u32(counter),
    ]);
    const cdj = this.clientData('webauthn.get', options.challenge, over);
    let sig = sign('sha256', Buffer.concat([authData, sha256(cdj)]), cred.privateKey);
    if (over.badSignature) sig = sign('sha256', Buffer.from('something else'), cred.privateKey);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(cdj),
        authenticatorData: b64u(authData),
        signature: b64u(sig),
        userHandle: over.userHandle !== undefined ? over.userHandle : cred.userHandle,
      },
      clientExtensionResults: {},
    };
  }

  // A copy of this authenticator's credentials (a cloned device): same keys, own counters.
  clone() {
    const c = new SoftAuthenticator({ rpId: this.rpId, origin: this.origin, aaguid: this.aaguid });
    for (const [id, v] of this.credentials) c.credentials.set(id, { ...v });
    return c;
  }
}
