import {
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { DisputedImageView } from '../src/app/types.ts';
import type { CommandContext } from '../src/discord/command-types.ts';
import { requireModerator } from '../src/discord/permissions.ts';
import { NO_MENTIONS, safeText } from '../src/discord/render.ts';
import { notRerenderedNote, rerenderReplies } from '../src/discord/reply-rerender.ts';

const REVIEW_DEFAULT = 10;

/** Moderators' tools against label poisoning: purge one person's labels, review the most disputed photos. */
export const data = new SlashCommandBuilder()
  .setName('labels')
  .setDescription("Moderate people's labels (moderators)")
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addSubcommand((s) =>
    s
      .setName('purge')
      .setDescription('Remove every label one person gave in this server')
      .addUserOption((o) => o.setName('user').setDescription('Whose labels to remove').setRequired(true)),
  )
  .addSubcommand((s) =>
    s
      .setName('review')
      .setDescription('The photos people disagree about most')
      .addIntegerOption((o) =>
        o.setName('count').setDescription('How many to show (default 10)').setMinValue(1).setMaxValue(25),
      ),
  );

const messageLink = (guildId: string, reply: { channelId: string; messageId: string }) =>
  `https://discord.com/channels/${guildId}/${reply.channelId}/${reply.messageId}`;

export function reviewLine(guildId: string, d: DisputedImageView, n: number): string {
  const votes = d.breeds.map((b) => `${safeText(b.breed, 60)} ${b.votes}`).join(', ');
  const consensus = d.consensus ? `consensus **${safeText(d.consensus, 60)}**` : 'no consensus';
  const where = d.reply ? `[photo ${n}](${messageLink(guildId, d.reply)})` : `photo ${n} (no reply here)`;
  return `${where} · ${d.voters} people: ${votes} · ${consensus}`;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const sub = interaction.options.getSubcommand();
  const settings = await ctx.app.guildSettings(guildId);
  requireModerator(interaction, settings.moderatorRoleId, sub === 'purge' ? 'purge labels' : 'review labels');

  if (sub === 'purge') {
    const user = interaction.options.getUser('user', true);
    const { deleted, affectedReplies } = await ctx.app.purgeUserLabels(user.id, guildId);
    ctx.log.info({ moderator: interaction.user.id, user: user.id, guildId, deleted }, 'labels purged');
    const removed = `Removed ${deleted} label${deleted === 1 ? '' : 's'} by <@${user.id}> in this server.`;
    await interaction.reply({
      // A user mention names the person without pinging them (NO_MENTIONS).
      content: [removed, notRerenderedNote(affectedReplies.length)].filter(Boolean).join(' '),
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    // After answering: editing many replies can take longer than Discord waits for an answer.
    await rerenderReplies(interaction.client, ctx.app, affectedReplies);
    return;
  }

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
