/**
 * The one error type users see for their own configuration mistakes (bad scenario, port in use,
 * unreadable certs dir). `code` is a stable HUBTLS_* string; `hint` says what to do about it.
 * The CLI prints `message` and `hint` on one or two lines and exits 2.
 */
export class HubtlsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubtlsError';
  }
}

export function isHubtlsError(e: unknown): e is HubtlsError {
  return e instanceof HubtlsError;
}
