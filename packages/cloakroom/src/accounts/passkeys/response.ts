import { z } from 'zod';

// What a browser posts back, as `PublicKeyCredential.toJSON()` writes it (WebAuthn Level 3). Checked here
// for shape and size before anything is verified: a response that is not of this shape is refused like a
// bad signature. Unknown members are allowed (browsers add some) and dropped.
const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);

const clientExtensionResults = z.record(z.string(), z.unknown());
const attachment = z.enum(['platform', 'cross-platform']).optional();

export const registrationResponseSchema = z.object({
  id: base64url(1400).min(1),
  rawId: base64url(1400).min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults,
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    attestationObject: base64url(32_768).min(1),
    authenticatorData: base64url(8192).optional(),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8192).optional(),
  }),
});

export const authenticationResponseSchema = z.object({
  id: base64url(1400).min(1),
  rawId: base64url(1400).min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults,
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    authenticatorData: base64url(8192).min(1),
    // Room for post-quantum signatures: ML-DSA-87's are 4,627 bytes (6,170 characters here), and
    // @simplewebauthn/server offers ML-DSA to authenticators where the runtime has it (Node 24).
    signature: base64url(8192).min(1),
    userHandle: base64url(128).optional(),
  }),
});

export type RegistrationResponse = z.output<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.output<typeof authenticationResponseSchema>;
