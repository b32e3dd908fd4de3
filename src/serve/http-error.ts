/** Thrown by a handler for a 4xx answer: the request, not the server, is wrong. */
export class HttpError extends Error {
  readonly status: number;
  /** Extra headers of the answer (`Retry-After` of a 429). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}
