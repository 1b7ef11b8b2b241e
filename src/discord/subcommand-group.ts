/** A slash command made of subcommand files: registers them on the group's builder and routes to them by name. */
import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, CommandGroup, SlashCommand, Subcommand } from './command-types.ts';

/** `subcommands` by name (their file names), in the order Discord should list them unless the group says one. */
export function groupCommand(group: CommandGroup, subcommands: Map<string, Subcommand>): SlashCommand {
  const order = group.order ?? [...subcommands.keys()];
  const missing = [...subcommands.keys()].filter((name) => !order.includes(name));
  if (missing.length || order.length !== subcommands.size)
    throw new Error(
      `${group.data.name}: its order must list each subcommand file once (${[...subcommands.keys()].join(', ')})`,
    );
  for (const name of order) group.data.addSubcommand((s) => subcommands.get(name)!.data(s.setName(name)));

  const pick = (interaction: ChatInputCommandInteraction | AutocompleteInteraction): Subcommand => {
    const name = interaction.options.getSubcommand();
    const sub = subcommands.get(name);
    if (!sub) throw new Error(`/${group.data.name} has no subcommand ${name}`);
    return sub;
  };
  return {
    data: group.data,
    execute: (interaction: ChatInputCommandInteraction, ctx: CommandContext) =>
      pick(interaction).execute(interaction, ctx),
    async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext) {
      const sub = pick(interaction);
      if (sub.autocomplete) await sub.autocomplete(interaction, ctx);
      else await interaction.respond([]);
    },
  };
}
