import type { IncomingMessage } from 'node:http';
import { InvalidRequestError } from 'cloakroom';
import { ApiError } from './errors.js';

/** The largest body (JSON or form) the site reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * 413 `payload_too_large`. The answer closes the connection: the rest of an oversized body is never read,
 * and must not be taken for the next request on the connection.
 */
export const payloadTooLarge = () =>
  new ApiError(413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`, {
    connection: 'close',
  });

/** Whether the request declares a body: a non-zero Content-Length or chunked transfer. */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Throws 413 when the declared Content-Length is over the limit, before anything is read. */
export function refuseDeclaredOversize(req: IncomingMessage): void {
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > MAX_BODY_BYTES) throw payloadTooLarge();
}

/**
 * Reads the whole body, at most {@link MAX_BODY_BYTES}: 413 as soon as more arrives (also for a chunked
 * body that declared no length). The stream is not destroyed on a refusal, so the 413 still reaches the
 * client; its connection is closed after the answer.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  refuseDeclaredOversize(req);
  if (req.readableEnded) return Promise.reject(new TypeError('the body was already read'));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanUp = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanUp();
        req.pause();
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanUp();
      resolve(Buffer.concat(chunks));
    };
    // A body cut short (the client went away, a malformed chunk) is the client's failure, not the server's.
    const onError = () => {
      cleanUp();
      reject(new InvalidRequestError('The body was cut short.'));
    };
    const onClose = onError;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
