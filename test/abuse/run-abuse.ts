/**
 * The abuse suite: image fuzz, SSRF cases, concurrent labels through the fake Discord, kill -9 tests. Returns
 * the figures `npm run test:abuse -- --json` prints and the targets each must meet.
 */
import { runImageFuzz } from '../rigs/fuzz.ts';
import { runSsrfCases } from '../rigs/ssrf-cases.ts';
import { log } from '../../src/log.ts';
import { runConcurrentLabels, type ConcurrentLabelReport } from './concurrent-labels.ts';
import { runKillTests, type KillTestReport } from './kill-tests.ts';
import { runExtraSsrfCases } from './ssrf-extra.ts';

export interface AbuseOptions {
  fuzzCount: number;
  fuzzSeed: number;
  concurrentLabels: number;
  /** Skip the kill tests (they spawn bot processes). */
  killTests: boolean;
}

export const fullAbuseOptions: AbuseOptions = {
  fuzzCount: 1000,
  fuzzSeed: 6,
  concurrentLabels: 1000,
  killTests: true,
};

/** What `--json` prints, and nothing else. */
export interface AbuseFigures {
  fuzzedImages: number;
  crashes: number;
  hangs: number;
  ssrfCases: number;
  ssrfRefused: number;
  concurrentLabels: number;
  labelsLost: number;
  labelsDuplicated: number;
  /** `/label` interactions of the burst, all in flight together. */
  interactions: number;
  /** Of those, acknowledged within Discord's 3 s (the fake, in its own process, refuses later ones). */
  interactionsAckedWithin3s: number;
  killTests: number;
  killTestsPassed: number;
}

export interface AbuseReport {
  figures: AbuseFigures;
  /** Each target missed, in words; empty when the suite passed. */
  failures: string[];
  details: {
    fuzz: Omit<Awaited<ReturnType<typeof runImageFuzz>>, 'crashSamples'> & { crashSamples: unknown[] };
    ssrfFailures: unknown[];
    labels: ConcurrentLabelReport;
    kill: KillTestReport | null;
  };
}

/** Share of the burst's interactions that must be acknowledged within Discord's 3 s. */
export const ACKED_WITHIN_3S_TARGET = 0.95;

export function missedTargets(f: AbuseFigures, options: AbuseOptions): string[] {
  const missed: string[] = [];
  if (f.fuzzedImages < options.fuzzCount)
    missed.push(`fuzzed ${f.fuzzedImages} of ${options.fuzzCount} images`);
  if (f.crashes > 0) missed.push(`${f.crashes} fuzzed images crashed`);
  if (f.hangs > 0) missed.push(`${f.hangs} fuzzed images hung`);
  if (f.ssrfRefused !== f.ssrfCases)
    missed.push(`${f.ssrfCases - f.ssrfRefused} SSRF cases not refused as expected`);
  if (f.concurrentLabels < options.concurrentLabels)
    missed.push(`only ${f.concurrentLabels} concurrent labels`);
  if (f.labelsLost > 0) missed.push(`${f.labelsLost} labels lost`);
  if (f.labelsDuplicated > 0) missed.push(`${f.labelsDuplicated} labels duplicated`);
  if (f.interactionsAckedWithin3s < ACKED_WITHIN_3S_TARGET * f.interactions)
    missed.push(
      `only ${f.interactionsAckedWithin3s} of ${f.interactions} /label interactions acknowledged within 3 s`,
    );
  if (options.killTests && (f.killTests === 0 || f.killTestsPassed !== f.killTests))
    missed.push(`${f.killTests - f.killTestsPassed} of ${f.killTests} kill tests failed`);
  return missed;
}

export async function runAbuseSuite(options: AbuseOptions = fullAbuseOptions): Promise<AbuseReport> {
  log.info({ count: options.fuzzCount }, 'abuse: image fuzz');
  const fuzz = await runImageFuzz({ count: options.fuzzCount, seed: options.fuzzSeed });
  log.info('abuse: SSRF cases');
  const ssrf = await runSsrfCases();
  const extra = await runExtraSsrfCases();
  log.info({ labels: options.concurrentLabels }, 'abuse: concurrent labels');
  const labels = await runConcurrentLabels({ labels: options.concurrentLabels });
  const kill = options.killTests ? await runKillTests() : null;

  const figures: AbuseFigures = {
    fuzzedImages: fuzz.fuzzedImages,
    crashes: fuzz.crashes,
    hangs: fuzz.hangs,
    ssrfCases: ssrf.ssrfCases + extra.ssrfCases,
    ssrfRefused: ssrf.ssrfRefused + extra.ssrfRefused,
    concurrentLabels: labels.concurrentLabels,
    labelsLost: labels.labelsLost,
    labelsDuplicated: labels.labelsDuplicated,
    interactions: labels.byCommand,
    interactionsAckedWithin3s: labels.acknowledgedWithin3s,
    killTests: kill?.killTests ?? 0,
    killTestsPassed: kill?.killTestsPassed ?? 0,
  };
  return {
    figures,
    failures: missedTargets(figures, options),
    details: { fuzz, ssrfFailures: [...ssrf.failures, ...extra.failures], labels, kill },
  };
}
