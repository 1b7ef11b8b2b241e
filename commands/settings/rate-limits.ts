import type { ChatInputCommandInteraction } from 'discord.js';
import type { RateLimitName } from '../../src/app/rate-limits.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { CHANGE_ACTION, replyWithSettings } from './_reply.ts';

const MAX_PER_MINUTE = 10_000;

/** Option name → the setting it changes. */
const RATE_OPTIONS: Record<string, RateLimitName> = {
  'classify-per-user': 'classifyPerUser',
  'classify-per-server': 'classifyPerGuild',
  'label-per-user': 'labelPerUser',
  'label-per-server': 'labelPerGuild',
};

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const reset = interaction.options.getBoolean('reset') ?? false;
  const rateLimits: Partial<Record<RateLimitName, number | null>> = {};
  if (reset) for (const name of Object.values(RATE_OPTIONS)) rateLimits[name] = null;
  for (const [option, name] of Object.entries(RATE_OPTIONS)) {
    const value = interaction.options.getInteger(option);
    if (value !== null) rateLimits[name] = value;
  }
  if (Object.keys(rateLimits).length === 0) {
    await replyWithSettings(
      interaction,
      ctx,
      'Nothing to change.',
      await ctx.app.guildSettingsReport(guildId),
    );
    return;
  }
  const settings = await ctx.app.updateGuildSettings(guildId, { rateLimits });
  const onlyReset = reset && Object.values(rateLimits).every((v) => v === null);
  const summary = onlyReset ? 'Rate limits are back to the defaults.' : 'Rate limits updated.';
  await replyWithSettings(interaction, ctx, summary, settings);
}

export default {
  data: (s) => {
    s.setDescription('Per-minute limits in this server (0 = off)');
    for (const name of Object.keys(RATE_OPTIONS)) {
      s.addIntegerOption((o) =>
        o.setName(name).setDescription('Per minute, 0 = off').setMinValue(0).setMaxValue(MAX_PER_MINUTE),
      );
    }
    return s.addBooleanOption((o) =>
      o.setName('reset').setDescription('Back to the defaults first (then apply any values given)'),
    );
  },
  moderatorOnly: true,
  action: CHANGE_ACTION,
  execute,
} satisfies Subcommand;
