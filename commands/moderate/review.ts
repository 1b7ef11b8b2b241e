import { EmbedBuilder, MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { DisputedImageView } from '../../src/features/moderation/types.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { NO_MENTIONS, safeText } from '../../src/discord/render.ts';

const REVIEW_DEFAULT = 10;

const messageLink = (guildId: string, reply: { channelId: string; messageId: string }) =>
  `https://discord.com/channels/${guildId}/${reply.channelId}/${reply.messageId}`;

export function reviewLine(guildId: string, d: DisputedImageView, n: number): string {
  const votes = d.breeds.map((b) => `${safeText(b.breed, 60)} ${b.votes}`).join(', ');
  const consensus = d.consensus ? `consensus **${safeText(d.consensus, 60)}**` : 'no consensus';
  const where = d.reply ? `[photo ${n}](${messageLink(guildId, d.reply)})` : `photo ${n} (no reply here)`;
  return `${where} · ${d.voters} people: ${votes} · ${consensus}`;
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const count = interaction.options.getInteger('count') ?? REVIEW_DEFAULT;
  const disputed = await ctx.app.disputedImages(guildId, count);
  const embed = new EmbedBuilder()
    .setTitle('Most disputed photos')
    .setDescription(
      disputed.length
        ? disputed.map((d, i) => reviewLine(guildId, d, i + 1)).join('\n')
        : 'Nobody disagrees about any photo in this server.',
    )
    .setFooter({ text: 'Settle one with /label breed: message:<link> (a moderator label decides).' });
  await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

export default {
  data: (s) =>
    s
      .setDescription('The photos people disagree about most')
      .addIntegerOption((o) =>
        o.setName('count').setDescription('How many to show (default 10)').setMinValue(1).setMaxValue(25),
      ),
  moderatorOnly: true,
  action: 'review labels',
  execute,
} satisfies Subcommand;
