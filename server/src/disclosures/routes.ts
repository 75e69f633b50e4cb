// Consents, explicit disclosures and the client report over REST. Client
// identifiers travel in bodies only (never in a URL).
import { Router } from 'express';
import { z } from 'zod';
import { clientReportInput, clientReportView, consentInput, consentView, dataCategoryInput, disclosureExportInput, emergencyAccessQuery, emergencyAccessRow, disclosureInput, legalBasisInput, logSearchInput, logSearchRow } from '../../../shared/src/disclosures.ts';
import { basesInForce, saveDataCategory, saveLegalBasis } from './legal-bases.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { auditScope, canRunClientReport, require } from '../auth/policies.ts';
import { exportLogLines, rootEntryScope, verifyDatabaseLog } from './export.ts';
import { disclosureBundle, disclosureCsv } from './fhir.ts';
import { clientReport, discloseExplicitly, exportDisclosures, listEmergencyAccess, recordConsent, reportCsv, reportHtml, searchLogs, withdrawConsent } from './service.ts';

const TAG = 'disclosures';
const codeParams = z.strictObject({ code: z.string().regex(/^[a-z0-9_]{1,60}$/) });

export function disclosureMounts(deps: Deps): Mount[] {
  const api = Router();
  route(api, {
    method: 'get', path: '/api/legal-bases', tag: TAG, summary: 'The legal bases in force (or at `at`), the data categories, and which basis allows which categories',
    query: z.strictObject({ at: z.iso.datetime({ offset: true }).optional() }),
    response: z.object({
      categories: z.array(z.object({ code: z.string(), nameFi: z.string(), nameSv: z.string() })),
      bases: z.array(z.object({ code: z.string(), requiresConsent: z.boolean(), allows: z.array(z.string()), nameFi: z.string(), nameSv: z.string(), effectiveFrom: z.string() })),
    }),
    handler: async ({ query }) => ({
      categories: (await deps.db.query<{ code: string; name_fi: string; name_sv: string }>('SELECT code, name_fi, name_sv FROM data_categories ORDER BY code')).map((c) => ({ code: c.code, nameFi: c.name_fi, nameSv: c.name_sv })),
      bases: await basesInForce(deps.db, query.at ? new Date(query.at) : deps.clock.now()),
    }),
  });
  route(api, {
    method: 'put', path: '/api/legal-bases/:code', tag: TAG, summary: 'Add a version of a legal basis from its effective date on (Kela administrators)',
    params: codeParams, body: legalBasisInput,
    handler: ({ actor, params, body }) => saveLegalBasis(deps, actor, params.code, body),
  });
  route(api, {
    method: 'put', path: '/api/data-categories/:code', tag: TAG, summary: 'Add or rename a data category (Kela administrators)',
    params: codeParams, body: dataCategoryInput,
    handler: ({ actor, params, body }) => saveDataCategory(deps, actor, params.code, body),
  });
  route(api, {
    method: 'post', path: '/api/consents', tag: TAG, status: 201, summary: 'Record a consent (who gave it, how, when, which categories, until when)',
    body: consentInput, response: consentView,
    handler: ({ actor, body }) => recordConsent(deps, actor, body),
  });
  route(api, {
    method: 'post', path: '/api/consents/:id/withdraw', tag: TAG, summary: 'Withdraw a consent from now on (the recording organisation)',
    params: z.strictObject({ id: z.uuid() }), response: consentView,
    handler: ({ actor, params }) => withdrawConsent(deps, actor, params.id),
  });
  route(api, {
    method: 'post', path: '/api/disclosures', tag: TAG, status: 201,
    summary: 'Record a disclosure before sharing client data; refused (422, with the reason) when the basis or consent does not allow it',
    body: disclosureInput, response: z.object({ disclosureId: z.string(), seq: z.number() }),
    handler: ({ actor, body }) => discloseExplicitly(deps, actor, body),
  });
  route(api, {
    method: 'post', path: '/api/disclosures/client-report', tag: TAG,
    summary: 'The 11 § client report: accesses and disclosures of one client in a period (auditors; the run is logged). JSON, CSV or printable HTML in fi/sv/en',
    body: clientReportInput, response: clientReportView,
    handler: async ({ actor, body, res }) => {
      const report = await clientReport(deps, actor, body);
      if (body.format === 'json') return report;
      res.setHeader('cache-control', 'no-store');
      if (body.format === 'csv') res.type('text/csv; charset=utf-8').setHeader('content-disposition', 'attachment; filename="client-report.csv"').send(reportCsv(report, body.language));
      else res.type('text/html; charset=utf-8').send(reportHtml(report, body.language));
      return undefined;
    },
  });
  route(api, {
    method: 'post', path: '/api/disclosures/export', tag: TAG,
    summary: 'The disclosure log for a period (and one client): a FHIR R4 Bundle of IHE BALP PrivacyDisclosure AuditEvents, or CSV (auditors)',
    body: disclosureExportInput,
    handler: async ({ actor, body, res }) => {
      const rows = await exportDisclosures(deps, actor, body);
      res.setHeader('cache-control', 'no-store');
      if (body.format === 'csv') res.type('text/csv; charset=utf-8').setHeader('content-disposition', 'attachment; filename="disclosures.csv"').send(disclosureCsv(rows));
      else res.type('application/fhir+json; charset=utf-8').send(JSON.stringify(disclosureBundle(rows, deps.clock.now())));
      return undefined;
    },
  });
  route(api, {
    method: 'get', path: '/api/disclosures/logs/:log/export', tag: TAG,
    summary: 'The hash chain of the access or disclosure log with its signed checkpoints, as JSON lines for offline verification (auditors; entries of other organisations sealed)',
    params: z.strictObject({ log: z.enum(['access', 'disclosure']) }),
    handler: async ({ actor, params, res }) => {
      require(canRunClientReport(actor), 'Only an auditor can export a log');
      // Other organisations' entries are sealed: their links stay, their content does not leave.
      const scope = rootEntryScope((await deps.directory.snapshot()).organisationAndUnits(auditScope(actor).rootOrganisationId));
      res.type('application/x-ndjson; charset=utf-8').setHeader('content-disposition', `attachment; filename="rinki-${params.log}-log.jsonl"`);
      res.setHeader('cache-control', 'no-store');
      for await (const chunk of exportLogLines(deps.db, params.log, deps.keys.auditSigning.publicKey, scope)) res.write(chunk);
      res.end();
      return undefined;
    },
  });
  route(api, {
    method: 'post', path: '/api/disclosures/logs/search', tag: TAG,
    summary: 'Search the access or disclosure log by client, person, organisation and period, newest first, at most 500 (auditors; a search by client is logged)',
    body: logSearchInput, response: z.array(logSearchRow),
    handler: ({ actor, body }) => searchLogs(deps, actor, body),
  });
  route(api, {
    method: 'get', path: '/api/disclosures/logs/:log/verify', tag: TAG,
    summary: 'Check the access or disclosure log’s hash chain and signed checkpoints with the public key, as audit:verify does (auditors)',
    params: z.strictObject({ log: z.enum(['access', 'disclosure']) }),
    response: z.object({
      log: z.string(),
      ok: z.boolean(),
      entries: z.number().optional(),
      checkpoints: z.number().optional(),
      unsignedTail: z.number().optional(),
      firstBad: z.object({ seq: z.number(), reason: z.string() }).optional(),
    }),
    handler: async ({ actor, params }) => {
      require(canRunClientReport(actor), 'Only an auditor can verify a log');
      // The whole chain is checked (each hash covers all before it); the count is of the auditor's own organisation's entries.
      const scope = rootEntryScope((await deps.directory.snapshot()).organisationAndUnits(auditScope(actor).rootOrganisationId));
      const r = await verifyDatabaseLog(deps.db, params.log, deps.keys.auditSigning.publicKey, [], scope);
      return r.ok ? { log: params.log, ok: true, entries: r.entries, checkpoints: r.checkpoints, unsignedTail: r.unsignedTail } : { log: params.log, ok: false, firstBad: r.firstBad };
    },
  });
  route(api, {
    method: 'get', path: '/api/audit/emergency-access', tag: TAG,
    summary: 'Emergency reads of client records (“break the glass”) by the staff of the auditor’s own organisation, with their reasons, newest first, at most 500 (auditors)',
    query: emergencyAccessQuery, response: z.array(emergencyAccessRow),
    handler: ({ actor, query }) => listEmergencyAccess(deps, actor, query),
  });
  return [{ path: '/', router: api }];
}
