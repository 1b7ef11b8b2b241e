import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Interaction } from 'discord.js';
import { AckFirst } from '../src/discord/ack-first.ts';

/** The part of an interaction AckFirst wraps: an acknowledging method that settles when Discord answers. */
function interactionAnsweredBy(answer: Promise<void>) {
  return { deferReply: () => answer } as unknown as Interaction & { deferReply(): Promise<void> };
}

const tick = () => new Promise((r) => setImmediate(r));

test('work waits while an interaction is unacknowledged and runs once it is acknowledged', async () => {
  const acks = new AckFirst(10_000);
  let discordAnswers!: () => void;
  const interaction = interactionAnsweredBy(new Promise((r) => (discordAnswers = r)));
  const done = acks.track(interaction);
  let ran = false;
  const waiting = acks.yieldToAcknowledgements().then(() => (ran = true));
  const deferring = interaction.deferReply();
  await tick();
  assert.equal(ran, false, 'work ran before the interaction was acknowledged');
  assert.equal(acks.pending, 1);
  discordAnswers();
  await deferring;
  await waiting;
  assert.equal(ran, true);
  assert.equal(acks.pending, 0);
  done(); // the handler finishing afterwards counts nothing twice
  assert.equal(acks.pending, 0);
});

test('an interaction that never acknowledges stops counting when its handler is done', async () => {
  const acks = new AckFirst(10_000);
  const done = acks.track(interactionAnsweredBy(Promise.resolve()));
  const waiting = acks.yieldToAcknowledgements();
  done();
  await waiting;
  assert.equal(acks.pending, 0);
});

test('the wait is capped, so a stream of interactions cannot starve other work', async () => {
  const acks = new AckFirst(50);
  acks.track(interactionAnsweredBy(new Promise(() => undefined)));
  const started = Date.now();
  await acks.yieldToAcknowledgements();
  assert.ok(Date.now() - started >= 45, 'released before the cap');
  assert.equal(acks.pending, 1);
});
