// A WebAuthn authenticator in software, for tests: an ES256 key from node:crypto, attestation 'none', CBOR by
// the encoder @simplewebauthn/server itself ships (@levischuck/tiny-cbor through its helpers), so a test
// drives real registration and sign-in ceremonies that truly verify, and can break any part of them.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

/** What a ceremony may be told to get wrong. */
export interface Tampering {
  origin?: string;
  rpId?: string;
  type?: string;
  /** Leave the UV flag out (user presence only). */
  noUserVerification?: boolean;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** The counter to report (default: one more than last time, or 0 for a counter-less authenticator). */
  counter?: number;
  /** Another challenge than the options'. */
  challenge?: string;
}

const b64 = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** One discoverable credential on a software authenticator. */
export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #privateKey: KeyObject;
  readonly #cosePublicKey: Uint8Array;
  readonly #origin: string;
  readonly #synced: boolean;
  readonly #keepsCounter: boolean;
  #counter = 0;
  /** The user handle given at registration (returned by discoverable assertions). */
  userHandle: string | null = null;

  constructor(origin: string, options: { synced?: boolean; keepsCounter?: boolean } = {}) {
    this.#origin = origin;
    this.#synced = options.synced ?? false;
    this.#keepsCounter = options.keepsCounter ?? true;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    this.#cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x ?? '', 'base64url')],
        [-3, Buffer.from(jwk.y ?? '', 'base64url')],
      ]),
    );
  }

  get id(): string {
    return b64(this.credentialId);
  }

  #flags(tamper: Tampering, extra: number): number {
    let flags = FLAG_UP | extra;
    if (tamper.noUserVerification !== true) flags |= FLAG_UV;
    if (this.#synced) flags |= FLAG_BE | FLAG_BS;
    return flags;
  }

  #clientData(type: string, challenge: string, tamper: Tampering): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: tamper.type ?? type,
        challenge: tamper.challenge ?? challenge,
        origin: tamper.origin ?? this.#origin,
        crossOrigin: false,
      }),
    );
  }

  /** The registration response (`PublicKeyCredential.toJSON()`) for these creation options. */
  create(options: CreationOptions, tamper: Tampering = {}): Record<string, unknown> {
    const rpId = tamper.rpId ?? options.rp.id ?? new URL(this.#origin).hostname;
    this.userHandle = options.user.id;
    const counter = Buffer.alloc(4);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.#flags(tamper, FLAG_AT)]),
      counter,
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.credentialId,
      this.#cosePublicKey,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(this.#clientData('webauthn.create', options.challenge, tamper)),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** The authentication response (an assertion) for these request options. */
  get(options: RequestOptions, tamper: Tampering = {}): Record<string, unknown> {
    const rpId = tamper.rpId ?? options.rpId ?? new URL(this.#origin).hostname;
    if (tamper.counter === undefined && this.#keepsCounter) this.#counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(tamper.counter ?? (this.#keepsCounter ? this.#counter : 0));
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.#flags(tamper, 0)]), counter]);
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, tamper);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.#privateKey);
    if (tamper.badSignature === true)
      signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0x01, signature.length - 1);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(this.userHandle === null ? {} : { userHandle: this.userHandle }),
      },
    };
  }
}
