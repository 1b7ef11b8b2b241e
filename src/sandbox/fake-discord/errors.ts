/** A REST error in Discord's shape: `{ message, code, errors? }` with an HTTP status. */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
  }

  toJSON(): { message: string; code: number; errors?: unknown } {
    return this.errors === undefined
      ? { message: this.message, code: this.code }
      : { message: this.message, code: this.code, errors: this.errors };
  }
}

export const unknownMessage = () => new DiscordApiError(404, 10008, 'Unknown Message');
export const unknownChannel = () => new DiscordApiError(404, 10003, 'Unknown Channel');
export const unknownGuild = () => new DiscordApiError(404, 10004, 'Unknown Guild');
export const unknownMember = () => new DiscordApiError(404, 10007, 'Unknown Member');
export const unknownUser = () => new DiscordApiError(404, 10013, 'Unknown User');
export const unknownEmoji = () => new DiscordApiError(400, 10014, 'Unknown Emoji');
export const unknownWebhook = () => new DiscordApiError(404, 10015, 'Unknown Webhook');
export const unknownInteraction = () => new DiscordApiError(404, 10062, 'Unknown interaction');
export const unknownCommand = () => new DiscordApiError(404, 10063, 'Unknown application command');
export const unauthorized = () => new DiscordApiError(401, 0, '401: Unauthorized');
export const routeNotFound = () => new DiscordApiError(404, 0, '404: Not Found');

/** Discord's 50035 "Invalid Form Body" with one field's error, e.g. ('content', 'BASE_TYPE_MAX_LENGTH', '...'). */
export function invalidFormBody(field: string, code: string, message: string): DiscordApiError {
  const errors: Record<string, unknown> = {};
  let node = errors;
  const parts = field.split('.');
  parts.forEach((part, i) => {
    const next: Record<string, unknown> = i === parts.length - 1 ? { _errors: [{ code, message }] } : {};
    node[part] = next;
    node = next;
  });
  return new DiscordApiError(400, 50035, 'Invalid Form Body', errors);
}
