import {
  EmbedBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { GuildStats } from '../src/app/types.ts';
import type { CommandContext } from '../src/discord/command-types.ts';
import { NO_MENTIONS, safeText } from '../src/discord/render.ts';

export const data = new SlashCommandBuilder()
  .setName('stats')
  .setDescription('Labels per breed, top labellers, agreement and the most confused breeds in this server')
  .setContexts(InteractionContextType.Guild);

const list = (lines: string[]) => (lines.length ? lines.join('\n') : '—');

export function statsEmbed(stats: GuildStats): EmbedBuilder {
  const agreement = stats.agreementRate === null ? '—' : `${Math.round(stats.agreementRate * 100)}%`;
  return new EmbedBuilder().setTitle('Labelling in this server').addFields(
    { name: 'Labels', value: String(stats.labels), inline: true },
    { name: 'Agreement', value: agreement, inline: true },
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

export async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const stats = await ctx.app.stats(interaction.guildId!);
  await interaction.reply({ embeds: [statsEmbed(stats)], allowedMentions: NO_MENTIONS });
}
