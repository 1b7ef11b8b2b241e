/**
 * The history of breed-head versions (files under models/<id>/). Exactly one is "active" at a time: activation
 * retires the previous one in the same serializable transaction, retried when two activations collide.
 */
import type { Prisma } from '../generated/prisma/sqlite/client.ts';
import type { ModelVersionInfo } from '../features/model/types.ts';
import type { Database } from './database.ts';
import { NotFoundError, retryOnConflict } from './errors.ts';

export type ModelStatus = 'candidate' | 'active' | 'rejected' | 'retired';
export const MODEL_STATUSES: readonly ModelStatus[] = ['candidate', 'active', 'rejected', 'retired'];

/** A stored head version; `/model info` shows it as the model feature's ModelVersionInfo (see toModelVersionInfo). */
export interface ModelVersionRecord extends Pick<ModelVersionInfo, 'metrics' | 'reason' | 'createdAt'> {
  id: string;
  parentId: string | null;
  backboneId: string | null;
  status: ModelStatus;
  path: string;
  activatedAt: Date | null;
}

export const toModelVersionInfo = (v: ModelVersionRecord): ModelVersionInfo => ({
  version: v.id,
  status: v.status,
  createdAt: v.createdAt,
  parent: v.parentId,
  metrics: v.metrics,
  reason: v.reason,
});

export interface NewModelVersion {
  id: string;
  path: string;
  parentId?: string | null;
  backboneId?: string | null;
  metrics?: Record<string, unknown> | null;
  /** Default "candidate". "active" activates it (retiring the current one). */
  status?: ModelStatus;
  reason?: string | null;
}

type Row = Omit<ModelVersionRecord, 'status' | 'metrics'> & { status: string; metrics: unknown };
const toRecord = (row: Row): ModelVersionRecord => ({
  ...row,
  status: (MODEL_STATUSES as readonly string[]).includes(row.status)
    ? (row.status as ModelStatus)
    : 'retired',
  metrics: row.metrics && typeof row.metrics === 'object' ? (row.metrics as Record<string, unknown>) : null,
});

/** JSON-safe metrics: NaN/Infinity (which JSON cannot hold) become null rather than failing the write. */
const cleanMetrics = (metrics: Record<string, unknown>): Prisma.InputJsonObject =>
  JSON.parse(
    JSON.stringify(metrics, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
  ) as Prisma.InputJsonObject;

export async function recordModelVersion(
  db: Database,
  version: NewModelVersion,
): Promise<ModelVersionRecord> {
  const status = version.status ?? 'candidate';
  if (!MODEL_STATUSES.includes(status)) throw new Error(`unknown model status "${status}"`);
  await db.prisma.modelVersion.create({
    data: {
      id: version.id,
      path: version.path,
      parentId: version.parentId ?? null,
      backboneId: version.backboneId ?? null,
      metrics: version.metrics ? cleanMetrics(version.metrics) : undefined,
      status: status === 'active' ? 'candidate' : status,
      reason: version.reason ?? null,
    },
  });
  if (status === 'active') return activateModelVersion(db, version.id, version.reason ?? undefined);
  return (await getModelVersion(db, version.id))!;
}

export async function getModelVersion(db: Database, id: string): Promise<ModelVersionRecord | null> {
  const row = await db.prisma.modelVersion.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

/** Newest first. */
export async function listModelVersions(db: Database, limit = 20): Promise<ModelVersionRecord[]> {
  const rows = await db.prisma.modelVersion.findMany({
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(toRecord);
}

export async function activeModelVersion(db: Database): Promise<ModelVersionRecord | null> {
  const row = await db.prisma.modelVersion.findFirst({
    where: { status: 'active' },
    orderBy: { activatedAt: 'desc' },
  });
  return row ? toRecord(row) : null;
}

/** Whether a version may serve again: it passed its checks once (active or retired); a candidate or a rejected one never. */
export const passedItsChecks = (record: Pick<ModelVersionRecord, 'status'>): boolean =>
  record.status === 'active' || record.status === 'retired';

/** A rollback to the base model: the active version (if any) becomes retired, with the reason shown in /model. */
export async function retireActiveVersion(db: Database, reason: string): Promise<void> {
  const current = await activeModelVersion(db);
  if (current) await setModelVersionStatus(db, current.id, 'retired', reason);
}

/** Marks a version candidate, rejected or retired (with the reason shown in /model). Use activate for "active". */
export async function setModelVersionStatus(
  db: Database,
  id: string,
  status: Exclude<ModelStatus, 'active'>,
  reason?: string,
): Promise<ModelVersionRecord> {
  if (!MODEL_STATUSES.includes(status) || (status as string) === 'active') {
    throw new Error(`setModelVersionStatus: "${status}" (use activateModelVersion to activate)`);
  }
  const { count } = await db.prisma.modelVersion.updateMany({
    where: { id },
    data: { status, ...(reason !== undefined ? { reason } : {}) },
  });
  if (count === 0) throw new NotFoundError(`model version ${id}`);
  return (await getModelVersion(db, id))!;
}

/** Makes `id` the one active version; the previously active one becomes "retired". */
export async function activateModelVersion(
  db: Database,
  id: string,
  reason?: string,
): Promise<ModelVersionRecord> {
  if (!(await getModelVersion(db, id))) throw new NotFoundError(`model version ${id}`);
  await retryOnConflict(() =>
    db.prisma.$transaction(
      async (tx) => {
        await tx.modelVersion.updateMany({
          where: { status: 'active', NOT: { id } },
          data: { status: 'retired' },
        });
        await tx.modelVersion.update({
          where: { id },
          data: { status: 'active', activatedAt: new Date(), ...(reason !== undefined ? { reason } : {}) },
        });
      },
      { isolationLevel: 'Serializable' },
    ),
  );
  return (await getModelVersion(db, id))!;
}
