/**
 * A reply of the REST API as its clients (the CLI, the web console) read it: the JSON body of a
 * 2xx, or the refusal as the API words it — `{"error": {code, message, details}}` — or as API
 * Gateway in front of it does (`{"message": …}` with 403 for a bad or missing signature).
 */
export type Reply = { ok: true; json: unknown } | { ok: false; code: string; message: string; details: { path?: string; message: string }[] };

export function readReply(status: number, statusText: string, text: string): Reply {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (status >= 200 && status < 300) return { ok: true, json };
  const body = (json ?? {}) as { error?: { code?: string; message?: string; details?: { path?: string; message: string }[] }; message?: string };
  return {
    ok: false,
    code: body.error?.code ?? (status === 403 ? 'Forbidden' : `Http${status}`),
    message: body.error?.message ?? body.message ?? (text.trim() || statusText),
    details: body.error?.details ?? [],
  };
}
