/** Routes slash commands, autocomplete and the message context menu to the command files. */
import { MessageFlags, type Interaction, type RepliableInteraction } from 'discord.js';
import { isUserFacing } from '../../refusals.ts';
import { refusalText } from '../refusal-text.ts';
import { log } from '../../log.ts';
import type { CommandSet } from '../command-loader.ts';
import type { CommandContext } from '../command-types.ts';
import type { EventDeduper } from '../event-dedupe.ts';
import { handleExplainButton, isExplainButton } from '../explain-answer.ts';
import { handleLabelConfirmation, isLabelConfirmationButton } from '../label-confirmation.ts';
import { NO_MENTIONS, safeText } from '../render.ts';

export interface InteractionHandlerDeps {
  commands: CommandSet;
  ctx: CommandContext;
  dedupe: EventDeduper;
}

/** What people see when a command fails unexpectedly: which command, never why (that goes to the log). */
export function commandFailureMessage(interaction: RepliableInteraction): string {
  if (!interaction.isCommand()) return 'Something went wrong. It has been logged; please try again.';
  const sub = interaction.isChatInputCommand() ? interaction.options.getSubcommand(false) : null;
  const name = interaction.isChatInputCommand()
    ? `/${[interaction.commandName, sub].filter(Boolean).join(' ')}`
    : `"${interaction.commandName}"`;
  return `Something went wrong with ${safeText(name, 60)}. It has been logged; please try again.`;
}

/** Answers with the refusal (or a generic apology naming the command), whether or not the command had deferred. */
export async function answerWithError(interaction: RepliableInteraction, error: unknown): Promise<void> {
  const content = isUserFacing(error) ? refusalText(error) : commandFailureMessage(interaction);
  if (isUserFacing(error)) log.info({ code: error.code, command: interaction.id }, 'command refused');
  else log.error({ err: error, interactionId: interaction.id }, 'command failed');
  try {
    if (interaction.deferred || interaction.replied) {
      await interaction.editReply({ content, embeds: [], allowedMentions: NO_MENTIONS });
    } else {
      await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    }
  } catch (replyError) {
    log.warn({ err: replyError }, 'could not send the error reply');
  }
}

export async function handleInteraction(
  interaction: Interaction,
  { commands, ctx, dedupe }: InteractionHandlerDeps,
) {
  if (!dedupe.firstTime(`interaction:${interaction.id}`)) return;

  if (interaction.isAutocomplete()) {
    const command = commands.slash.get(interaction.commandName);
    try {
      if (command?.autocomplete) await command.autocomplete(interaction, ctx);
      else await interaction.respond([]);
    } catch (error) {
      log.warn({ err: error, command: interaction.commandName }, 'autocomplete failed');
      if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
    }
    return;
  }

  if (interaction.isChatInputCommand()) {
    const command = commands.slash.get(interaction.commandName);
    return answering(interaction, () => command?.execute(interaction, ctx) ?? unknownCommand(interaction));
  }

  if (interaction.isButton()) {
    if (isExplainButton(interaction.customId))
      return answering(interaction, () => handleExplainButton(interaction, ctx));
    if (!isLabelConfirmationButton(interaction.customId)) return;
    return answering(interaction, () => handleLabelConfirmation(interaction, ctx));
  }

  if (interaction.isMessageContextMenuCommand()) {
    const command = commands.message.get(interaction.commandName);
    return answering(interaction, () => command?.execute(interaction, ctx) ?? unknownCommand(interaction));
  }
}

/** Runs `work`; whatever it throws is answered to the person (a refusal, or an apology naming the command). */
async function answering(interaction: RepliableInteraction, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await answerWithError(interaction, error);
  }
}

const unknownCommand = (interaction: RepliableInteraction & { commandName: string }): Promise<never> =>
  Promise.reject(new Error(`unknown command ${interaction.commandName}`));
