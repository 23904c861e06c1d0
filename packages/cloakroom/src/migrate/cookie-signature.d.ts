// cookie-signature ships no types; the two functions express-session signs and verifies its cookie with.
declare module 'cookie-signature' {
  export function sign(value: string, secret: string | Uint8Array): string;
  export function unsign(input: string, secret: string | Uint8Array): string | false;
}
