/**
 * Many people label many photos at once through the fake Discord: half by reaction (1️⃣–5️⃣ on the bot's reply),
 * half by `/label breed: message:<link>`, every one in flight together. Afterwards the database must hold
 * exactly one label per (person, photo) with the breed that person chose: none lost, none duplicated.
 * Each (person, photo) pair gets exactly one action, so the expected end state does not depend on ordering.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  snowflakeTime,
  startFakeDiscord,
  type FakeDiscord,
  type InteractionHandle,
} from '../../src/sandbox/fake-discord/index.ts';
import { log } from '../../src/log.ts';
import { listedBreeds, startBotProcess, type BotProcess } from './bot-process.ts';
import { labelsInFile } from './integrity.ts';
import { dogPhotos } from '../helpers/shared-data.ts';

export interface ConcurrentLabelOptions {
  /** How many labels to give at once (default 1000). */
  labels: number;
  /** How many people give them (default: 25 for 500+ labels, else 10). */
  people?: number;
  /** How long to wait for everything to settle (default 120 s). */
  settleTimeoutMs?: number;
}

export interface ConcurrentLabelReport {
  concurrentLabels: number;
  byReaction: number;
  byCommand: number;
  /** `/label` commands the bot answered with "Thanks!". */
  acknowledged: number;
  /** `/label` commands the bot acknowledged (deferred) within Discord's 3 s (the fake refuses later ones). */
  acknowledgedWithin3s: number;
  /** From the interaction's creation to the fake receiving its first callback (Infinity: none). */
  ackDelayMs: { p50: number; p90: number; max: number };
  /** Labels in the database for the photos of the run. */
  stored: number;
  /** Actions whose label is missing or holds another breed. */
  labelsLost: number;
  /** Rows beyond one per action, plus commands answered more than once. */
  labelsDuplicated: number;
  people: number;
  photos: number;
  durationMs: number;
}

const NUMBERS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'] as const;

interface Photo {
  replyId: string;
  imageId: string;
  top5: string[];
}

/** Posts distinct real photos and keeps those the bot answered with a top-5 and vote reactions. */
async function postPhotos(fake: FakeDiscord, bot: BotProcess, wanted: number): Promise<Photo[]> {
  const channelId = fake.channel('dog-photos').id;
  const files = dogPhotos(Math.ceil(wanted * 1.3) + 2);
  const posted = await Promise.all(
    files.map((file, i) =>
      fake.postMessage({
        channelId,
        userId: 'alice',
        files: [{ filename: `dog-${i}.jpg`, bytes: readFileSync(file), contentType: 'image/jpeg' }],
      }),
    ),
  );
  const replies = [];
  for (const message of posted) {
    const reply = await fake.waitForBotReply(message.id, 0, 60_000);
    if (reply.embeds.length === 0) continue; // not a dog: no reactions to vote with
    replies.push(await fake.waitForBotReply(message.id, 6, 60_000));
    if (replies.length === wanted) break;
  }
  const imageIds = bot.imageIdsOfReplies();
  const photos: Photo[] = [];
  for (const reply of replies) {
    const imageId = imageIds.get(reply.id);
    const top5 = listedBreeds(reply);
    if (imageId && top5.length === 5) photos.push({ replyId: reply.id, imageId, top5 });
  }
  if (photos.length < wanted)
    throw new Error(`only ${photos.length} of ${wanted} photos were taken for dogs`);
  return photos;
}

/** CPU time (user + system, all threads) a process has used so far, from /proc; 0 where /proc is absent. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export async function runConcurrentLabels(options: ConcurrentLabelOptions): Promise<ConcurrentLabelReport> {
  const total = options.labels;
  const peopleCount = options.people ?? (total >= 500 ? 25 : 10);
  const photoCount = Math.ceil(total / peopleCount);
  // The fake runs here and the bot in its own process, so the fake keeps Discord's 3 s deadline for
  // acknowledging an interaction: a /label deferred later is refused (10062), as Discord would.
  const fake = await startFakeDiscord();
  const bot = await startBotProcess(fake).catch(async (error: unknown) => {
    await fake.close();
    throw error;
  });
  const channelId = fake.channel('dog-photos').id;
  const link = (messageId: string) =>
    `https://discord.com/channels/${fake.guild.guild.id}/${channelId}/${messageId}`;
  try {
    const people = Array.from({ length: peopleCount }, (_, i) => fake.addPerson(`labeller${i}`));
    const photos = await postPhotos(fake, bot, photoCount);
    log.info({ people: peopleCount, photos: photoCount, labels: total }, 'abuse: concurrent labels start');

    const started = Date.now();
    const fakeLoopDelay = monitorEventLoopDelay({ resolution: 10 });
    fakeLoopDelay.enable();
    const cpuAtStart = { test: process.cpuUsage(), bot: processCpuMs(bot.child.process.pid) };
    const expected = new Map<string, string>();
    const commands: InteractionHandle[] = [];
    const pending: Promise<InteractionHandle>[] = [];
    let byReaction = 0;
    for (let n = 0; n < total; n++) {
      const person = people[n % peopleCount]!;
      const photo = photos[Math.floor(n / peopleCount)]!;
      const position = (n * 7 + Math.floor(n / peopleCount)) % 5;
      const breed = photo.top5[position]!;
      expected.set(`${person.id} ${photo.imageId}`, breed);
      if (n % 2 === 0) {
        fake.addReaction({ messageId: photo.replyId, userId: person.id, emoji: NUMBERS[position]! });
        byReaction++;
      } else {
        pending.push(
          fake.runCommand({
            name: 'label',
            userId: person.id,
            channelId,
            options: { breed, message: link(photo.replyId) },
          }),
        );
      }
    }
    commands.push(...(await Promise.all(pending)));

    const timeout = options.settleTimeoutMs ?? 120_000;
    const answers = await Promise.all(
      commands.map((c) =>
        c.reply(timeout).then(
          (m) => m.content,
          (e: unknown) => `no answer: ${String(e)}`,
        ),
      ),
    );
    const acknowledged = answers.filter((a) => a.startsWith('Thanks!')).length;
    const testCpu = process.cpuUsage(cpuAtStart.test);
    log.info(
      {
        wallMs: Date.now() - started,
        testProcessCpuMs: Math.round((testCpu.user + testCpu.system) / 1000),
        botProcessCpuMs: processCpuMs(bot.child.process.pid) - cpuAtStart.bot,
        fakeLoopDelayP99Ms: Math.round(fakeLoopDelay.percentile(99) / 1e6),
        fakeLoopDelayMaxMs: Math.round(fakeLoopDelay.max / 1e6),
      },
      'abuse: burst CPU until every /label was answered',
    );
    const firstCallbackAt = new Map<string, number>();
    for (const r of fake.requests)
      if (r.route?.startsWith('/interactions/') && !firstCallbackAt.has(r.path.split('/')[2]!))
        firstCallbackAt.set(r.path.split('/')[2]!, r.at);
    const ackDelays = commands.map((c) => {
      const at = firstCallbackAt.get(c.interaction.id);
      return at === undefined ? Infinity : at - Number(snowflakeTime(c.interaction.id));
    });
    const within3s = ackDelays.filter((d) => d <= 3000).length;
    const sorted = [...ackDelays].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const ackDelayMs = { p50: at(0.5)!, p90: at(0.9)!, max: at(1)! };
    const imageIds = new Set(photos.map((p) => p.imageId));
    const runLabels = () =>
      new Map([...labelsInFile(bot.dbFile)].filter(([key]) => imageIds.has(key.split(' ')[1]!)));
    // Reactions have no answer to wait for: wait until every expected label is there (or the time is up).
    let stored = runLabels();
    const deadline = Date.now() + timeout;
    while ([...expected].some(([k, b]) => stored.get(k) !== b) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stored = runLabels();
    }
    const durationMs = Date.now() - started;

    const labelsLost = [...expected].filter(([k, b]) => stored.get(k) !== b).length;
    const extraRows = [...stored.keys()].filter((k) => !expected.has(k)).length;
    const callbacks = new Map<string, number>();
    for (const r of fake.requests) {
      if (r.route?.startsWith('/interactions/') && r.status < 300) {
        const id = r.path.split('/')[2]!;
        callbacks.set(id, (callbacks.get(id) ?? 0) + 1);
      }
    }
    const answeredTwice = [...callbacks.values()].filter((n) => n > 1).length;
    if (acknowledged < commands.length) {
      log.warn(
        { unanswered: answers.filter((a) => !a.startsWith('Thanks!')).slice(0, 3) },
        'abuse: some /label commands were not answered',
      );
    }
    return {
      concurrentLabels: total,
      byReaction,
      byCommand: commands.length,
      acknowledged,
      acknowledgedWithin3s: within3s,
      ackDelayMs,
      stored: stored.size,
      labelsLost,
      labelsDuplicated: extraRows + answeredTwice,
      people: peopleCount,
      photos: photos.length,
      durationMs,
    };
  } finally {
    await bot.close();
    await fake.close();
  }
}
