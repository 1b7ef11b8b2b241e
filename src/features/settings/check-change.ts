/** Validation of a settings change before it is stored. */
import { MAX_ENABLED_CHANNELS, MAX_RATE_LIMIT } from '../../limits.ts';
import { UserFacingError } from '../../refusals.ts';
import type { GuildSettingsChange } from './types.ts';

const SNOWFLAKE = /^\d{1,20}$/;

export function checkSettingsChange(change: GuildSettingsChange): void {
  for (const [name, value] of Object.entries(change.rateLimits ?? {})) {
    if (value === null || value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > MAX_RATE_LIMIT) {
      throw new UserFacingError(
        'bad-argument',
        `Rate limits are whole numbers from 0 (off) to ${MAX_RATE_LIMIT} per minute; ${name} can't be ${value}.`,
      );
    }
  }
  if (change.enabledChannelIds) {
    if (change.enabledChannelIds.length > MAX_ENABLED_CHANNELS) {
      throw new UserFacingError('bad-argument', `At most ${MAX_ENABLED_CHANNELS} channels can be listed.`);
    }
    if (!change.enabledChannelIds.every((id) => SNOWFLAKE.test(id))) {
      throw new UserFacingError('bad-argument', 'That is not a channel of this server.');
    }
  }
  if (change.moderatorRoleId !== undefined && change.moderatorRoleId !== null) {
    if (!SNOWFLAKE.test(change.moderatorRoleId))
      throw new UserFacingError('bad-argument', 'That is not a role of this server.');
  }
}
