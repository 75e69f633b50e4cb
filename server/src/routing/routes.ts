// Rule administration REST API, per region (a county, a Kela district, or
// 'default'): list versions, draft, validate, simulate, publish, roll back,
// diff, change log. Admins of the region only (canAdministerRouting).
import { Router } from 'express';
import { z } from 'zod';
import {
  decisionView,
  diffQuery,
  publishInput,
  regionId,
  rollbackInput,
  ruleChangeView,
  ruleDiffEntry,
  ruleIssue,
  ruleSetVersionView,
  simulateInput,
  DEFAULT_REGION,
} from '../../../shared/src/routing.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { notFound } from '../http/errors.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { diffJson } from './diff.ts';
import * as store from './repository.ts';
import type { RuleSetCache } from './rule-cache.ts';
import { RuleSetInvalid, checkBody, publish, requireRoutingAdmin, rollback, simulate } from './service.ts';

const TAG = 'routing';
const regionParams = z.strictObject({ region: regionId });
const versionParams = z.strictObject({ region: regionId, version: z.coerce.number().int().min(1) });
/** The rule set itself is checked by validateRuleSet, so its errors carry JSON paths inside the rule set. */
const bodyEnvelope = z.strictObject({ body: z.unknown(), comment: z.string().max(1000).optional() });
const checkedVersion = ruleSetVersionView.extend({ issues: z.array(ruleIssue) });

export function routingMounts(deps: Deps, realtime: () => Realtime, ruleSets: RuleSetCache): Mount[] {
  const { db } = deps;
  const api = Router();
  const base = '/api/routing/regions/:region';

  route(api, {
    method: 'get', path: `${base}/rule-sets`, tag: TAG, summary: 'Versions of a region’s rule set, newest first (admin of the region)',
    params: regionParams,
    response: z.object({ region: z.string(), publishedVersion: z.number().nullable(), versions: z.array(ruleSetVersionView) }),
    handler: async ({ actor, params }) => {
      await requireRoutingAdmin(db, actor, params.region);
      if (params.region === DEFAULT_REGION) await store.ensureDefaultRuleSet(db, deps.clock.now());
      const versions = await store.listVersions(db, params.region);
      return { region: params.region, publishedVersion: versions.find((v) => v.status === 'published')?.version ?? null, versions };
    },
  });

  route(api, {
    method: 'get', path: `${base}/rule-sets/:version`, tag: TAG, summary: 'One version (admin of the region)',
    params: versionParams, response: ruleSetVersionView,
    handler: async ({ actor, params }) => {
      await requireRoutingAdmin(db, actor, params.region);
      const v = await store.getVersion(db, params.region, params.version);
      if (!v) throw notFound('No such version');
      return v;
    },
  });

  route(api, {
    method: 'post', path: `${base}/validate`, tag: TAG,
    summary: 'Validate a rule set: schema, directory references, duplicate ids, unreachable filters, empty selectors',
    params: regionParams, body: bodyEnvelope, response: z.object({ ok: z.boolean(), issues: z.array(ruleIssue) }),
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      const { ok, issues } = checkBody(await deps.directory.snapshot(db), params.region, body.body);
      return { ok, issues };
    },
  });

  route(api, {
    method: 'post', path: `${base}/rule-sets`, tag: TAG,
    summary: 'Save a draft (must pass the schema; directory problems are reported and block only publishing)',
    params: regionParams, body: bodyEnvelope, response: checkedVersion, status: 201,
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      return db.tx(async (q) => {
        const check = checkBody(await deps.directory.snapshot(q), params.region, body.body);
        if (!check.ruleSet || check.issues.some((i) => i.code === 'routing.rule.region_mismatch')) throw new RuleSetInvalid(check.issues);
        const saved = await store.createDraft(q, { region: params.region, body: check.ruleSet, actorId: actor.staffId, comment: body.comment, at: deps.clock.now() });
        return { ...saved, issues: check.issues };
      });
    },
  });

  route(api, {
    method: 'put', path: `${base}/rule-sets/:version`, tag: TAG, summary: 'Replace a draft’s body',
    params: versionParams, body: bodyEnvelope, response: checkedVersion,
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      return db.tx(async (q) => {
        const check = checkBody(await deps.directory.snapshot(q), params.region, body.body);
        if (!check.ruleSet || check.issues.some((i) => i.code === 'routing.rule.region_mismatch')) throw new RuleSetInvalid(check.issues);
        const saved = await store.updateDraft(q, {
          region: params.region, version: params.version, body: check.ruleSet, actorId: actor.staffId, comment: body.comment, at: deps.clock.now(),
        });
        if (!saved) throw notFound('No such draft');
        return { ...saved, issues: check.issues };
      });
    },
  });

  route(api, {
    method: 'post', path: `${base}/rule-sets/:version/publish`, tag: TAG,
    summary: 'Publish a draft as the region’s current rules; an invalid one is refused with every problem and nothing changes',
    params: versionParams, body: publishInput, response: ruleSetVersionView,
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      const published = await publish(deps, actor, params.region, params.version, body.comment);
      await ruleSets.changed(params.region);
      deps.log.info({ staffId: actor.staffId, region: params.region, version: published.version }, 'routing rules published');
      return published;
    },
  });

  route(api, {
    method: 'post', path: `${base}/rollback`, tag: TAG, summary: 'Republish an earlier version’s rules as a new version',
    params: regionParams, body: rollbackInput, response: ruleSetVersionView,
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      const published = await rollback(deps, actor, params.region, body.version, body.comment);
      await ruleSets.changed(params.region);
      deps.log.info({ staffId: actor.staffId, region: params.region, version: published.version, fromVersion: body.version }, 'routing rules rolled back');
      return published;
    },
  });

  route(api, {
    method: 'get', path: `${base}/diff`, tag: TAG, summary: 'What changed between two versions, as JSON paths',
    params: regionParams, query: diffQuery, response: z.array(ruleDiffEntry),
    handler: async ({ actor, params, query }) => {
      await requireRoutingAdmin(db, actor, params.region);
      const [from, to] = await Promise.all([store.getVersion(db, params.region, query.from), store.getVersion(db, params.region, query.to)]);
      if (!from || !to) throw notFound(`No such version: ${!from ? query.from : query.to}`);
      return diffJson(from.body, to.body);
    },
  });

  route(api, {
    method: 'get', path: `${base}/changes`, tag: TAG, summary: 'Every change to the region’s rules: who, when, what',
    params: regionParams, response: z.array(ruleChangeView),
    handler: async ({ actor, params }) => {
      await requireRoutingAdmin(db, actor, params.region);
      return store.listChanges(db, params.region);
    },
  });

  route(api, {
    method: 'post', path: `${base}/simulate`, tag: TAG,
    summary: 'For a made-up client (or a real one only for rule verification with a reason, logged) and a request: who would ring at each step, who was left out and why, and the final action',
    params: regionParams, body: simulateInput,
    response: z.object({ decision: decisionView, appliesToClient: z.object({ region: z.string(), version: z.number() }) }),
    handler: async ({ actor, params, body }) => {
      await requireRoutingAdmin(db, actor, params.region);
      return simulate(deps, actor, params.region, body, (ids) => realtime().getPresence(ids));
    },
  });

  return [{ path: '/', router: api }];
}
