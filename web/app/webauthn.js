// Passkeys in the browser: the server's options (WebAuthn JSON forms, base64url fields) become
// navigator.credentials arguments, and the credential the browser answers becomes the JSON the
// API takes (id, rawId, type, response.* as base64url). Written out rather than relying on
// PublicKeyCredential.parse*FromJSON / toJSON, which not every browser has.

const toBytes = (s) => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};
const toB64u = (buf) => {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const descriptors = (list) => (list || []).map((d) => ({ ...d, id: toBytes(d.id) }));

// Whether the browser can use passkeys at all (a secure context with WebAuthn).
export const passkeysSupported = () =>
  typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

// Whether the browser offers passkeys in the username field's autofill (conditional UI).
export async function conditionalAvailable() {
  try {
    return (
      passkeysSupported() &&
      typeof PublicKeyCredential.isConditionalMediationAvailable === 'function' &&
      (await PublicKeyCredential.isConditionalMediationAvailable())
    );
  } catch {
    return false;
  }
}

// navigator.credentials.create() for POST /me/passkeys/options's answer; the credential JSON.
export async function createPasskey(o) {
  const publicKey = {
    ...o,
    challenge: toBytes(o.challenge),
    user: { ...o.user, id: toBytes(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  };
  const c = await navigator.credentials.create({ publicKey });
  return {
    id: c.id,
    rawId: toB64u(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment ?? null,
    response: {
      clientDataJSON: toB64u(c.response.clientDataJSON),
      attestationObject: toB64u(c.response.attestationObject),
      transports: c.response.getTransports?.() ?? [],
    },
  };
}

// navigator.credentials.get() for a sign-in's options; mediation 'conditional' waits for the
// user to pick a passkey in the username field's autofill (signal aborts it).
export async function getPasskey(o, { mediation, signal } = {}) {
  const publicKey = {
    ...o,
    challenge: toBytes(o.challenge),
    allowCredentials: descriptors(o.allowCredentials),
  };
  const c = await navigator.credentials.get({ publicKey, mediation, signal });
  return {
    id: c.id,
    rawId: toB64u(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment ?? null,
    response: {
      clientDataJSON: toB64u(c.response.clientDataJSON),
      authenticatorData: toB64u(c.response.authenticatorData),
      signature: toB64u(c.response.signature),
      userHandle: c.response.userHandle ? toB64u(c.response.userHandle) : null,
    },
  };
}
