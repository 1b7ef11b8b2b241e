import type { APIApplication, RESTPostAPIApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { DiscordApiError, unknownCommand } from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import type { Route, RouteRequest } from '../router.ts';
import { noContent, ok, route, type Body, type RouteKit } from './kit.ts';

/** Global and guild application commands (what `deploy-commands` and discord.js's command manager call). */
export function commandRoutes(fake: FakeDiscordState, { guildOf }: RouteKit): Route[] {
  const appCheck = (req: RouteRequest) => {
    if (req.params.app !== fake.applicationId) throw new DiscordApiError(403, 50001, 'Missing Access');
    return req.params.guild ? guildOf(req.params.guild).guild.id : undefined;
  };
  const routesUnder = (prefix: string): Route[] => [
    route('GET', prefix, (req) => ok(fake.commands(appCheck(req)))),
    route('PUT', prefix, (req) => {
      const result = fake.commandStore.overwrite(
        req.body as RESTPostAPIApplicationCommandsJSONBody[],
        appCheck(req),
      );
      fake.emit('commands');
      return ok(result);
    }),
    route('POST', prefix, (req) => {
      const { command, created } = fake.commandStore.upsert(
        req.body as RESTPostAPIApplicationCommandsJSONBody,
        appCheck(req),
      );
      fake.emit('commands');
      return ok(command, created ? 201 : 200);
    }),
    route('GET', `${prefix}/:command`, (req) => {
      appCheck(req);
      const c = fake.commandStore.get(req.params.command!);
      if (!c) throw unknownCommand();
      return ok(c);
    }),
    route('PATCH', `${prefix}/:command`, (req) => {
      appCheck(req);
      const c = fake.commandStore.patch(req.params.command!, req.body as Body);
      if (!c) throw unknownCommand();
      fake.emit('commands');
      return ok(c);
    }),
    route('DELETE', `${prefix}/:command`, (req) => {
      appCheck(req);
      if (!fake.commandStore.delete(req.params.command!)) throw unknownCommand();
      fake.emit('commands');
      return noContent;
    }),
  ];

  return [
    ...routesUnder('/applications/:app/commands'),
    ...routesUnder('/applications/:app/guilds/:guild/commands'),
  ];
}

/** GET /applications/@me: the bot's application, as discord.js reads it at login. */
export function application(fake: FakeDiscordState): APIApplication {
  return {
    id: fake.applicationId,
    name: fake.users.bot.username,
    icon: null,
    description: 'breedbot on a local fake Discord',
    bot_public: true,
    bot_require_code_grant: false,
    bot: fake.users.bot,
    summary: '',
    verify_key: '0'.repeat(64),
    team: null,
    flags: fake.applicationFlags,
    owner: fake.users.owner,
    approximate_guild_count: fake.guilds.length,
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    redirect_uris: [],
    event_webhooks_status: 1,
    flags_new: String(fake.applicationFlags),
  } as APIApplication;
}
