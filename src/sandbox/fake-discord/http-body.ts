import type { IncomingMessage } from 'node:http';

export interface ReceivedFile {
  /** The form field, e.g. files[0]. */
  field: string;
  name: string;
  bytes: Buffer;
  contentType: string;
}

export interface ParsedBody {
  body: unknown;
  files: ReceivedFile[];
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body, or a multipart/form-data one as discord.js sends files: `files[n]` parts plus a
 * `payload_json` part holding the JSON (multipart is parsed by undici's Response.formData()).
 */
export async function parseBody(req: IncomingMessage): Promise<ParsedBody> {
  const raw = await readRaw(req);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [] };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    const parts: [string, FormDataEntryValue][] = [];
    form.forEach((value, field) => parts.push([field, value]));
    const files: ReceivedFile[] = [];
    let body: unknown = {};
    for (const [field, value] of parts) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value);
        else (body as Record<string, unknown>)[field] = value;
      } else {
        files.push({
          field,
          name: value.name,
          bytes: Buffer.from(await value.arrayBuffer()),
          contentType: value.type || 'application/octet-stream',
        });
      }
    }
    return { body, files };
  }
  const text = raw.toString('utf8');
  return { body: type.includes('json') || /^[[{]/.test(text) ? JSON.parse(text) : text, files: [] };
}
