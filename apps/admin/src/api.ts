/** The API client: JSON in and out, the session's CSRF token on every state-changing request. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let sessionLost: () => void = () => undefined;

export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};
/** Called when a request finds the session gone (expired, logged out elsewhere). */
export const onSessionLost = (handler: () => void) => {
  sessionLost = handler;
};

function headersFor(method: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  return headers;
}

function toError(status: number, body: unknown, path: string): ApiError {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  if (status === 401 && path !== '/session') sessionLost();
  return new ApiError(status, error?.code ?? 'http_error', error?.message ?? `The server answered ${status}.`, error?.details);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers = headersFor(method);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached; check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toError(response.status, data, path);
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),

  /** Multipart upload through XHR, for its upload progress events. */
  upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/v1${path}`);
      for (const [name, value] of Object.entries(headersFor('POST'))) xhr.setRequestHeader(name, value);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload was interrupted; check your connection and try again.'));
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as T);
        else reject(toError(xhr.status, xhr.response, path));
      };
      xhr.send(form);
    });
  },
};

/** What to tell the user about a failed request: the API's own message, or the error's. */
export const messageOf = (failure: unknown) => (failure instanceof ApiError ? failure.message : String(failure));
