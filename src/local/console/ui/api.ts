/** The console API, from the page: same origin, the session cookie, JSON both ways. */
export class ApiError extends Error {}

export const api = async <T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<T> => {
  const response = await fetch(`/api${path}`, {
    ...init,
    headers: {
      ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : response.statusText;
    throw new ApiError(`${response.status}: ${message}`);
  }
  // The console's own API: its answers have the shape the panel asks for.
  const value: T = text ? JSON.parse(text) : {};
  return value;
};

export const post = <T = Record<string, unknown>>(path: string, body: unknown = {}, method = 'POST') =>
  api<T>(path, { method, body: JSON.stringify(body) });
