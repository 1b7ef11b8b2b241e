import type { FakeDiscordState } from './fake-state.ts';
import type { Route } from './router.ts';
import { channelRoutes } from './routes/channels.ts';
import { commandRoutes } from './routes/commands.ts';
import { interactionRoutes } from './routes/interactions.ts';
import { routeKit } from './routes/kit.ts';
import { reactionRoutes } from './routes/reactions.ts';
import { guildRoutes, userRoutes } from './routes/users-guilds.ts';

/** Every REST route the fake serves under /api/v10, in match order (static segments before parameters). */
export function buildRoutes(fake: FakeDiscordState): Route[] {
  const kit = routeKit(fake);
  return [
    ...userRoutes(fake),
    ...commandRoutes(fake, kit),
    ...channelRoutes(fake, kit),
    ...reactionRoutes(fake, kit),
    ...interactionRoutes(fake, kit),
    ...guildRoutes(fake, kit),
  ];
}
