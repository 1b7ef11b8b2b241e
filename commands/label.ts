import {
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { MAX_BREED_LENGTH, MAX_DOGS_PER_PHOTO } from '../src/limits.ts';
import { NotADogConfirmationError, UserFacingError } from '../src/refusals.ts';
import type { LabelCommandInput, LabelCommandOutcome } from '../src/features/labelling/types.ts';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import { parseMessageRef } from '../src/discord/message-ref.ts';
import { callerIsModerator } from '../src/discord/permissions.ts';
import { NO_BREED_MATCH_VALUE } from '../src/storage/breed-search.ts';
import { labelAnswer, rerenderLabelledReply } from '../src/discord/label-answer.ts';
import { askToConfirm } from '../src/discord/label-confirmation.ts';
import { NO_MENTIONS } from '../src/discord/render.ts';

const data = new SlashCommandBuilder()
  .setName('label')
  .setDescription(
    'Say which breed a photo shows (by default the newest dog photo I answered in this channel)',
  )
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName('breed')
      .setDescription('The breed (start typing to search)')
      .setRequired(true)
      .setAutocomplete(true)
      .setMaxLength(MAX_BREED_LENGTH),
  )
  .addStringOption((o) =>
    o.setName('message').setDescription('Link to (or id of) the photo or my reply to it').setMaxLength(200),
  )
  .addIntegerOption((o) =>
    o
      .setName('photo')
      .setDescription('Which photo, when a reply covers several')
      .setMinValue(1)
      .setMaxValue(10),
  )
  .addIntegerOption((o) =>
    o
      .setName('dog')
      .setDescription(
        'Which dog, when I found several in the photo (1 is the leftmost, as numbered in my reply)',
      )
      .setMinValue(1)
      .setMaxValue(MAX_DOGS_PER_PHOTO),
  );

async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const query = String(interaction.options.getFocused()).slice(0, MAX_BREED_LENGTH);
  const names = await ctx.app.autocompleteBreeds(query);
  if (names.length === 0) {
    // One entry that says so, instead of an empty list that looks broken. Its value is no breed: picking and
    // sending it is refused with a hint (it never labels a photo or creates a breed).
    const shown = query.replace(/\s+/g, ' ').trim().slice(0, 40);
    await interaction.respond([
      { name: `No breed matches "${shown}": check the spelling`.slice(0, 100), value: NO_BREED_MATCH_VALUE },
    ]);
    return;
  }
  await interaction.respond(
    names.slice(0, 25).map((n) => ({ name: n.slice(0, 100), value: n.slice(0, 100) })),
  );
}

/** Whether the link's channel is one of this server's channels that the bot may read. */
function botCanRead(interaction: ChatInputCommandInteraction, channelId: string): boolean {
  const channel = interaction.guild?.channels.cache.get(channelId);
  const me = interaction.client.user;
  return !!channel && !!me && !!channel.permissionsFor(me)?.has(PermissionFlagsBits.ViewChannel);
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const breed = interaction.options.getString('breed', true).trim();
  if (breed.length > MAX_BREED_LENGTH) {
    throw new UserFacingError('argument-too-long', `Breed names are at most ${MAX_BREED_LENGTH} characters.`);
  }
  if (!breed) throw new UserFacingError('bad-argument', 'Tell me the breed.');
  const messageText = interaction.options.getString('message');
  const messageRef = messageText ? parseMessageRef(messageText) : undefined;
  if (messageRef?.guildId && messageRef.guildId !== interaction.guildId) {
    throw new UserFacingError(
      'foreign-guild',
      'That message is in another server; I can only label photos from this one.',
    );
  }
  if (messageRef?.channelId && !botCanRead(interaction, messageRef.channelId)) {
    throw new UserFacingError(
      'not-found',
      "That link points to a channel I can't see in this server: copy the link of my reply in a channel I'm in.",
    );
  }
  const photo = interaction.options.getInteger('photo') ?? undefined;
  const dog = interaction.options.getInteger('dog') ?? undefined;
  // Acknowledge at once: under a burst of labels the answer can take longer than Discord's 3 s.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await ctx.afterAcknowledgements(async () => {
    const input: LabelCommandInput = {
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      userId: interaction.user.id,
      breed,
      ...(messageRef ? { messageRef } : {}),
      ...(photo ? { photo } : {}),
      ...(dog ? { dog } : {}),
      isModerator: await callerIsModerator(interaction, ctx.app),
    };
    await labelAndAnswer(interaction, ctx, input);
  });
}

async function labelAndAnswer(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  input: LabelCommandInput,
): Promise<void> {
  let outcome: LabelCommandOutcome;
  try {
    outcome = await ctx.app.labelByCommand(input);
  } catch (error) {
    if (!(error instanceof NotADogConfirmationError)) throw error;
    await interaction.editReply({ ...askToConfirm(input, error), allowedMentions: NO_MENTIONS });
    return;
  }
  await interaction.editReply({
    content: labelAnswer(outcome, interaction.guildId),
    allowedMentions: NO_MENTIONS,
  });
  await rerenderLabelledReply(interaction.client, ctx.app, outcome);
}

export default { data, autocomplete, execute } satisfies SlashCommand;
