/** A /label definition as raw REST JSON: one required breed option with autocomplete, for tests that register it. */
import { ApplicationCommandOptionType } from 'discord.js';

export const labelCommandJson = {
  name: 'label',
  description: 'Name the breed',
  options: [
    {
      name: 'breed',
      description: 'breed',
      type: ApplicationCommandOptionType.String,
      required: true,
      autocomplete: true,
    },
  ],
};
