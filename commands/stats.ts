import {
  EmbedBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { GuildStats } from '../src/features/stats/types.ts';
import { statsCharts } from '../src/discord/chart-attachments.ts';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import { NO_MENTIONS, safeText } from '../src/discord/render.ts';

const data = new SlashCommandBuilder()
  .setName('stats')
  .setDescription('Labels per breed, top labellers, agreement and the most confused breeds in this server')
  .setContexts(InteractionContextType.Guild);

const list = (lines: string[]) => (lines.length ? lines.join('\n') : '—');

const photos = (n: number) => (n === 1 ? '1 photo' : `${n} photos`);

/** People against people: of the photos two or more people labelled, the share where they all gave one breed. */
export function agreementLine(stats: GuildStats): string {
  if (stats.agreementRate === null || stats.agreementImages === 0)
    return 'Nothing to compare yet: no photo has labels from two people.';
  const pct = Math.round(stats.agreementRate * 100);
  return `${pct}% — of the ${photos(stats.agreementImages)} labelled by two or more people, the share where they all gave the same breed`;
}

/** The bot against people: the share of labelled photos where the bot's top guess matched the people's answer. */
export function botMatchLine(stats: GuildStats): string {
  const { matched, compared } = stats.botMatch;
  if (compared === 0) return 'Nothing to measure yet: no photo the bot answered has a breed from people.';
  const pct = Math.round((matched / compared) * 100);
  return `${pct}% — the bot's top guess matched the people's answer on ${matched} of ${photos(compared)}`;
}

export function statsEmbed(stats: GuildStats): EmbedBuilder {
  return new EmbedBuilder().setTitle('Labelling in this server').addFields(
    { name: 'Labels', value: String(stats.labels), inline: true },
    { name: 'Bot vs people', value: botMatchLine(stats) },
    { name: 'Agreement between people', value: agreementLine(stats) },
    {
      name: 'Labels per breed',
      value: list(stats.labelsPerBreed.slice(0, 10).map((b) => `${safeText(b.breed)}: ${b.count}`)),
    },
    // A user mention renders the name without pinging (NO_MENTIONS), and stays correct when names change.
    {
      name: 'Top labellers',
      value: list(stats.topLabellers.slice(0, 5).map((u) => `<@${u.userId}>: ${u.count}`)),
    },
    {
      name: 'Most confused',
      value: list(
        stats.mostConfused
          .slice(0, 5)
          .map((c) => `I said ${safeText(c.predicted)}, people said ${safeText(c.labelled)}: ${c.count}`),
      ),
    },
  );
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const stats = await ctx.app.stats(interaction.guildId!);
  // The charts repeat the embed's numbers as pictures; their alt text says them in words.
  const files = await statsCharts(stats);
  await interaction.reply({ embeds: [statsEmbed(stats)], files, allowedMentions: NO_MENTIONS });
}

export default { data, execute } satisfies SlashCommand;
