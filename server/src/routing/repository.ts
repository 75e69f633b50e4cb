// Storage of rule set versions and of every change to them. Versions are
// numbered per region; creating a draft reserves the next number, publishing
// makes that version current (the previous one is archived), and a rollback
// republishes an old body as a new version. Callers pass a transaction.
import { DEFAULT_REGION, type RuleChangeView, type RuleSet, type RuleSetStatus, type RuleSetVersionView } from '../../../shared/src/routing.ts';
import type { Queryable } from '../store/db.ts';
import { DEFAULT_RULE_SET } from '../../../shared/src/default-rules.ts';
import { diffJson } from './diff.ts';

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
const RULES_LOCK = 72_110_008;

const versionView = (r: Row): RuleSetVersionView => ({
  region: r.region as string,
  version: r.version as number,
  status: r.status as RuleSetStatus,
  body: (typeof r.body === 'string' ? JSON.parse(r.body) : r.body) as RuleSet,
  createdBy: (r.created_by as string | null) ?? null,
  createdAt: iso(r.created_at)!,
  publishedBy: (r.published_by as string | null) ?? null,
  publishedAt: iso(r.published_at),
  comment: (r.comment as string | null) ?? null,
});

export async function listVersions(q: Queryable, region: string): Promise<RuleSetVersionView[]> {
  return (await q.query('SELECT * FROM routing_rule_sets WHERE region = $1 ORDER BY version DESC', [region])).map(versionView);
}

export async function getVersion(q: Queryable, region: string, version: number): Promise<RuleSetVersionView | undefined> {
  const [r] = await q.query('SELECT * FROM routing_rule_sets WHERE region = $1 AND version = $2', [region, version]);
  return r ? versionView(r) : undefined;
}

export async function publishedVersion(q: Queryable, region: string): Promise<RuleSetVersionView | undefined> {
  const [r] = await q.query(`SELECT * FROM routing_rule_sets WHERE region = $1 AND status = 'published'`, [region]);
  return r ? versionView(r) : undefined;
}

/** Serialises version numbering and publishing per region, across nodes. */
async function lockRegion(q: Queryable, region: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RULES_LOCK, region]);
}

async function nextVersion(q: Queryable, region: string): Promise<number> {
  const [r] = await q.query<{ v: number }>('SELECT COALESCE(max(version), 0)::int + 1 AS v FROM routing_rule_sets WHERE region = $1', [region]);
  return r.v;
}

export type ChangeAction = 'draft_created' | 'draft_updated' | 'published' | 'rolled_back' | 'archived' | 'default_installed';

export async function recordChange(
  q: Queryable,
  c: { actorId: string | null; region: string; version: number | null; action: ChangeAction; comment?: string | null; details?: unknown; at: Date },
): Promise<void> {
  await q.query(
    'INSERT INTO routing_rule_changes (at, actor_id, region, version, action, comment, details) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)',
    [c.at, c.actorId, c.region, c.version, c.action, c.comment ?? null, JSON.stringify(c.details ?? {})],
  );
}

export async function listChanges(q: Queryable, region: string): Promise<RuleChangeView[]> {
  const rows = await q.query('SELECT * FROM routing_rule_changes WHERE region = $1 ORDER BY id DESC', [region]);
  return rows.map((r) => ({
    id: r.id as number,
    at: iso(r.at)!,
    actorId: (r.actor_id as string | null) ?? null,
    region: r.region as string,
    version: (r.version as number | null) ?? null,
    action: r.action as string,
    comment: (r.comment as string | null) ?? null,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));
}

export async function createDraft(
  q: Queryable,
  d: { region: string; body: RuleSet; actorId: string; comment?: string; at: Date },
): Promise<RuleSetVersionView> {
  await lockRegion(q, d.region);
  const version = await nextVersion(q, d.region);
  const [r] = await q.query(
    `INSERT INTO routing_rule_sets (region, version, status, body, created_by, created_at, comment)
     VALUES ($1, $2, 'draft', $3::jsonb, $4, $5, $6) RETURNING *`,
    [d.region, version, JSON.stringify(d.body), d.actorId, d.at, d.comment ?? null],
  );
  await recordChange(q, { actorId: d.actorId, region: d.region, version, action: 'draft_created', comment: d.comment, at: d.at });
  return versionView(r);
}

/** Replaces a draft's body; undefined when there is no such draft. */
export async function updateDraft(
  q: Queryable,
  d: { region: string; version: number; body: RuleSet; actorId: string; comment?: string; at: Date },
): Promise<RuleSetVersionView | undefined> {
  await lockRegion(q, d.region);
  const [r] = await q.query(
    `UPDATE routing_rule_sets SET body = $3::jsonb, comment = COALESCE($4, comment)
      WHERE region = $1 AND version = $2 AND status = 'draft' RETURNING *`,
    [d.region, d.version, JSON.stringify(d.body), d.comment ?? null],
  );
  if (!r) return undefined;
  await recordChange(q, { actorId: d.actorId, region: d.region, version: d.version, action: 'draft_updated', comment: d.comment, at: d.at });
  return versionView(r);
}

/** Archives the published version, if any, and returns it: what the new one is compared with. */
async function archivePublished(q: Queryable, region: string, actorId: string | null, at: Date): Promise<RuleSetVersionView | undefined> {
  const rows = await q.query(`UPDATE routing_rule_sets SET status = 'archived' WHERE region = $1 AND status = 'published' RETURNING *`, [region]);
  for (const r of rows) await recordChange(q, { actorId, region, version: r.version as number, action: 'archived', at });
  return rows[0] ? versionView(rows[0]) : undefined;
}

/** What a change record keeps of a publication: the version it replaced and the difference. */
const publicationDetails = (previous: RuleSetVersionView | undefined, body: RuleSet) => ({
  replacedVersion: previous?.version ?? null,
  diff: diffJson(previous?.body ?? { region: body.region, filters: [] }, body),
});

/** Makes a draft the region's current version. Undefined when there is no such draft. */
export async function publishDraft(
  q: Queryable,
  p: { region: string; version: number; actorId: string; comment?: string; at: Date },
): Promise<RuleSetVersionView | undefined> {
  await lockRegion(q, p.region);
  const draft = await getVersion(q, p.region, p.version);
  if (!draft || draft.status !== 'draft') return undefined;
  const previous = await archivePublished(q, p.region, p.actorId, p.at);
  const [r] = await q.query(
    `UPDATE routing_rule_sets SET status = 'published', published_by = $3, published_at = $4, comment = COALESCE($5, comment)
      WHERE region = $1 AND version = $2 RETURNING *`,
    [p.region, p.version, p.actorId, p.at, p.comment ?? null],
  );
  await recordChange(q, {
    actorId: p.actorId, region: p.region, version: p.version, action: 'published', comment: p.comment, details: publicationDetails(previous, draft.body), at: p.at,
  });
  return versionView(r);
}

/** Republishes `body` (an old version's) as a new version. */
export async function publishCopy(
  q: Queryable,
  p: { region: string; body: RuleSet; fromVersion: number; actorId: string; comment?: string; at: Date },
): Promise<RuleSetVersionView> {
  await lockRegion(q, p.region);
  const previous = await archivePublished(q, p.region, p.actorId, p.at);
  const version = await nextVersion(q, p.region);
  const [r] = await q.query(
    `INSERT INTO routing_rule_sets (region, version, status, body, created_by, created_at, published_by, published_at, comment)
     VALUES ($1, $2, 'published', $3::jsonb, $4, $5, $4, $5, $6) RETURNING *`,
    [p.region, version, JSON.stringify(p.body), p.actorId, p.at, p.comment ?? null],
  );
  await recordChange(q, {
    actorId: p.actorId, region: p.region, version, action: 'rolled_back', comment: p.comment, details: { fromVersion: p.fromVersion, ...publicationDetails(previous, p.body) }, at: p.at,
  });
  return versionView(r);
}

/** Installs the shipped default rule set as version 1 when the default region has no version yet. */
export async function ensureDefaultRuleSet(q: Queryable, at: Date): Promise<void> {
  const [exists] = await q.query(`SELECT 1 FROM routing_rule_sets WHERE region = $1 LIMIT 1`, [DEFAULT_REGION]);
  if (exists) return;
  await lockRegion(q, DEFAULT_REGION);
  const rows = await q.query(
    `INSERT INTO routing_rule_sets (region, version, status, body, created_at, published_at, comment)
     VALUES ($1, 1, 'published', $2::jsonb, $3, $3, 'shipped default')
     ON CONFLICT DO NOTHING RETURNING version`,
    [DEFAULT_REGION, JSON.stringify(DEFAULT_RULE_SET), at],
  );
  if (rows.length) await recordChange(q, { actorId: null, region: DEFAULT_REGION, version: 1, action: 'default_installed', at });
}

/**
 * The rule set that applies to a client: the published one of the client's
 * county, else the published default (installed on first use).
 */
export async function ruleSetForCounty(q: Queryable, countyId: string, at: Date): Promise<RuleSetVersionView> {
  return (await publishedVersion(q, countyId)) ?? defaultRuleSet(q, at);
}

/** The published default rule set, installing the shipped one on first use. */
export async function defaultRuleSet(q: Queryable, at: Date): Promise<RuleSetVersionView> {
  let fallback = await publishedVersion(q, DEFAULT_REGION);
  if (!fallback) {
    await ensureDefaultRuleSet(q, at);
    fallback = await publishedVersion(q, DEFAULT_REGION);
  }
  // Only if someone removed the rows by hand: the shipped body, as an unstored version 0.
  return fallback ?? {
    region: DEFAULT_REGION, version: 0, status: 'published', body: DEFAULT_RULE_SET, createdBy: null,
    createdAt: at.toISOString(), publishedBy: null, publishedAt: null, comment: 'shipped default',
  };
}
