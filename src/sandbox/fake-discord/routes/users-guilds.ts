import type { RESTGetAPIGatewayBotResult } from 'discord-api-types/v10';
import { unknownMember, unknownUser } from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import type { Route } from '../router.ts';
import { application } from './commands.ts';
import { ok, route, type Body, type RouteKit } from './kit.ts';

/** The gateway address, users (and opening a DM), the bot's application. */
export function userRoutes(fake: FakeDiscordState): Route[] {
  return [
    route('GET', '/gateway', () => ok({ url: fake.gatewayUrl })),
    route('GET', '/gateway/bot', () =>
      ok({
        url: fake.gatewayUrl,
        shards: fake.options.shards,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      } satisfies RESTGetAPIGatewayBotResult),
    ),
    route('GET', '/users/@me', () => ok(fake.users.bot)),
    route('GET', '/users/:user', (req) => {
      const u = Object.values(fake.users).find((x) => x.id === req.params.user);
      if (!u) throw unknownUser();
      return ok(u);
    }),
    route('POST', '/users/@me/channels', (req) => {
      const recipientId = String(((req.body ?? {}) as Body).recipient_id ?? '');
      const recipient = Object.values(fake.users).find((u) => u.id === recipientId);
      if (!recipient) throw unknownUser();
      return ok(fake.directMessages.open(recipient));
    }),
    route('GET', '/applications/@me', () => ok(application(fake))),
  ];
}

/** Guilds, their channels, roles and members. */
export function guildRoutes(fake: FakeDiscordState, { guildOf }: RouteKit): Route[] {
  return [
    route('GET', '/guilds/:guild', (req) => ok(guildOf(req.params.guild!).guild)),
    route('GET', '/guilds/:guild/channels', (req) => ok(guildOf(req.params.guild!).channels)),
    route('GET', '/guilds/:guild/roles', (req) => ok(guildOf(req.params.guild!).guild.roles)),
    route('GET', '/guilds/:guild/members', (req) => {
      const limit = Math.min(Number(req.query.get('limit') ?? 1), 1000);
      return ok([...guildOf(req.params.guild!).members.values()].slice(0, limit));
    }),
    route('GET', '/guilds/:guild/members/:user', (req) => {
      const member = guildOf(req.params.guild!).members.get(req.params.user!);
      if (!member) throw unknownMember();
      return ok(member);
    }),
  ];
}
