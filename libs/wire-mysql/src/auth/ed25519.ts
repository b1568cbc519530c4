// Ed25519 signing as MariaDB's client_ed25519 plugin does it. MariaDB hashes the password itself
// (any length) with SHA-512 where standard Ed25519 hashes a 32-byte seed, so node:crypto's
// Ed25519 keys (which take a 32-byte seed) cannot sign for passwords of other lengths; the curve
// arithmetic is therefore here, over BigInt (a login costs a few milliseconds). node:crypto still
// checks it: for 32-byte passwords both schemes coincide, and every signature verifies with
// node:crypto's Ed25519 verify (see ed25519.spec.ts).
import { createHash } from 'node:crypto';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = mod(-121665n * invert(121666n));
const D2 = mod(2n * D);
const BASE: Point = {
  x: 15112221349535400772501151409588531511454012693041857206046113283949847762202n,
  y: 46316835694926478169428394003475163141307993866256225615783033603165251855960n,
  z: 1n,
  t: mod(
    15112221349535400772501151409588531511454012693041857206046113283949847762202n *
      46316835694926478169428394003475163141307993866256225615783033603165251855960n,
  ),
};

/** A point in extended twisted Edwards coordinates (x = X/Z, y = Y/Z, xy = T/Z). */
interface Point {
  x: bigint;
  y: bigint;
  z: bigint;
  t: bigint;
}

function mod(value: bigint, m = P): bigint {
  const r = value % m;
  return r >= 0n ? r : r + m;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function invert(value: bigint): bigint {
  return power(value, P - 2n);
}

/** Unified addition (a = -1), valid for doubling too. */
function add(p: Point, q: Point): Point {
  const a = mod((p.y - p.x) * (q.y - q.x));
  const b = mod((p.y + p.x) * (q.y + q.x));
  const c = mod(p.t * D2 * q.t);
  const d = mod(p.z * 2n * q.z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) };
}

function multiply(scalar: bigint, point: Point): Point {
  let result: Point = { x: 0n, y: 1n, z: 1n, t: 0n };
  let addend = point;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function encodePoint(point: Point): Buffer {
  const zInverse = invert(point.z);
  const x = mod(point.x * zInverse);
  const y = mod(point.y * zInverse);
  const out = littleEndian(y, 32);
  if (x & 1n) out[31]! |= 0x80;
  return out;
}

function littleEndian(value: bigint, size: number): Buffer {
  const out = Buffer.alloc(size);
  let v = value;
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function sha512(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function expandPassword(password: Uint8Array): { scalar: bigint; prefix: Buffer; publicKey: Buffer } {
  const az = sha512(password);
  const clamped = Buffer.from(az.subarray(0, 32));
  clamped[0]! &= 248;
  clamped[31]! &= 63;
  clamped[31]! |= 64;
  const scalar = fromLittleEndian(clamped);
  return { scalar, prefix: az.subarray(32), publicKey: encodePoint(multiply(scalar, BASE)) };
}

/** The 32-byte public key MariaDB stores for an ed25519 user (base64 in mysql.global_priv). */
export function ed25519PublicKey(password: string | Uint8Array): Buffer {
  return expandPassword(typeof password === 'string' ? Buffer.from(password, 'utf8') : password).publicKey;
}

/**
 * client_ed25519's answer to the server's 32-byte nonce: a 64-byte Ed25519 signature of the nonce
 * under the key MariaDB derives from the password.
 */
export function ed25519Password(password: string | Uint8Array, nonce: Uint8Array): Buffer {
  const { scalar, prefix, publicKey } = expandPassword(
    typeof password === 'string' ? Buffer.from(password, 'utf8') : password,
  );
  const r = mod(fromLittleEndian(sha512(prefix, nonce)), L);
  const encodedR = encodePoint(multiply(r, BASE));
  const k = mod(fromLittleEndian(sha512(encodedR, publicKey, nonce)), L);
  const s = mod(r + k * scalar, L);
  return Buffer.concat([encodedR, littleEndian(s, 32)]);
}
