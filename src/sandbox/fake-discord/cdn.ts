import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { APIAttachment } from 'discord-api-types/v10';
import type { ReceivedFile } from './http-body.ts';
import { snowflake } from './snowflake.ts';

export interface UploadFile {
  filename: string;
  bytes: Uint8Array;
  contentType?: string;
  description?: string;
}

export interface StoredFile {
  filename: string;
  bytes: Buffer;
  contentType: string;
}

/** Discord's attachment CDN (/attachments/:channel/:id/:name) and a plain file host (/files/:name). */
export class AttachmentCdn {
  private readonly attachments = new Map<string, StoredFile & { channelId: string }>();
  private readonly hosted = new Map<string, StoredFile>();

  constructor(private readonly baseUrl: () => string) {}

  /** Stores a file as Discord's CDN would and describes it as an attachment object. */
  async upload(channelId: string, file: UploadFile): Promise<APIAttachment> {
    const id = snowflake();
    const bytes = Buffer.from(file.bytes);
    const size = await imageSize(bytes);
    const contentType = file.contentType ?? size?.contentType ?? 'application/octet-stream';
    this.attachments.set(id, { filename: file.filename, bytes, contentType, channelId });
    const url = `${this.baseUrl()}/attachments/${channelId}/${id}/${encodeURIComponent(file.filename)}${signature(id)}`;
    return {
      id,
      filename: file.filename,
      size: bytes.length,
      url,
      proxy_url: url,
      content_type: contentType,
      ...(size ? { width: size.width, height: size.height } : {}),
      ...(file.description ? { description: file.description } : {}),
    };
  }

  /** Uploads files received over REST; `meta` is the body's `attachments` (filename and description by index). */
  async uploadReceived(channelId: string, files: ReceivedFile[], meta: unknown): Promise<APIAttachment[]> {
    const described = Array.isArray(meta)
      ? (meta as { id: string | number; filename?: string; description?: string }[])
      : [];
    const out: APIAttachment[] = [];
    for (const file of files) {
      const index = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? file.field.replace(/^file/, '');
      const info = described.find((a) => String(a.id) === index);
      const upload: UploadFile = {
        filename: info?.filename ?? file.name,
        bytes: file.bytes,
        contentType: file.contentType,
        ...(info?.description ? { description: info.description } : {}),
      };
      out.push(await this.upload(channelId, upload));
    }
    return out;
  }

  /** Serves bytes at GET /files/:name and returns the URL. */
  host(name: string, bytes: Uint8Array, contentType: string): string {
    this.hosted.set(name, { filename: name, bytes: Buffer.from(bytes), contentType });
    return `${this.baseUrl()}/files/${encodeURIComponent(name)}`;
  }

  /** The file at ['attachments', channel, id, name] or ['files', name]; undefined for anything else. */
  find(segments: string[]): StoredFile | undefined {
    if (segments[0] === 'files') return this.hosted.get(segments[1] ?? '');
    if (segments[0] !== 'attachments') return undefined;
    const file = this.attachments.get(segments[2] ?? '');
    return file && file.channelId === segments[1] && file.filename === segments[3] ? file : undefined;
  }
}

async function imageSize(
  bytes: Buffer,
): Promise<{ width: number; height: number; contentType: string } | undefined> {
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) return undefined;
    return {
      width: meta.width,
      height: meta.height,
      contentType: meta.format === 'svg' ? 'image/svg+xml' : `image/${meta.format}`,
    };
  } catch {
    return undefined;
  }
}

/** Discord's CDN links carry an expiry (ex), issue time (is) and signature (hm); bots must cope with them. */
function signature(id: string): string {
  const now = Math.floor(Date.now() / 1000);
  const hex = (n: number) => n.toString(16);
  const hm = createHash('sha256').update(id).digest('hex');
  return `?ex=${hex(now + 86_400)}&is=${hex(now)}&hm=${hm}&`;
}
