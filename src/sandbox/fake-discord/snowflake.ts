/** Discord's epoch (2015-01-01T00:00:00Z); snowflakes count milliseconds from here. */
export const DISCORD_EPOCH = 1_420_070_400_000n;

let increment = 0n;

/**
 * A Discord-style snowflake as a numeric string: timestamp << 22 | worker << 17 | process << 12 | increment.
 * discord.js calls BigInt() on ids, so they must be numeric.
 */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const id = ((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | (1n << 12n) | increment;
  return id.toString();
}

/** The creation time encoded in a snowflake. */
export function snowflakeTime(id: string): Date {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH));
}
