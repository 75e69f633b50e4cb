// Client lookup: by henkilötunnus (hashed at once, never stored or logged) or
// by Kela application id. Need to know (docs/access-model.md): a record is read
// only with a task relation that allows the declared purpose, or as an
// emergency read with a reason. Every read and every refused read of an
// existing client is written to the access log (disclosures/access.ts).
import type { ClientLookupRequest, ClientRecord, ClientRecordView } from '../../../shared/src/directory.ts';
import type { Actor } from '../auth/actor.ts';
import { canLookUpClients, canReadClient, canSeeClientLocation, canSimulateWithRealClient, require, type TaskRelation } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { hashHetu } from './client-id.ts';
import { clientIdByApplicationId, clientIdByHetuHash, clientPlacement, clientScope, readClientRecord } from './repository.ts';
import type { Directory } from './snapshot.ts';
import { recordAccess } from '../disclosures/access.ts';
import { auditSigner } from '../disclosures/store.ts';

/** 404 for a client that is not there and for one the reader may not read alike: nobody learns that a person is a client elsewhere. */
const unknownClient = () => new HttpError(404, 'unknown_client', 'No such client');

type LookupDeps = Pick<Deps, 'db' | 'keys' | 'log' | 'clock' | 'config' | 'directory'>;

/** The access-log action of each kind of read. */
export const ACCESS_ACTIONS = {
  read: 'client.read',
  refused: 'client.read.refused',
  emergency: 'client.read.emergency',
  ruleVerification: 'client.read.rule_verification',
} as const;
/** The exceptional reads the auditor lists (GET /api/audit/emergency-access). */
export const EXCEPTIONAL_READ_ACTIONS: string[] = [ACCESS_ACTIONS.emergency, ACCESS_ACTIONS.ruleVerification];

/** An exceptional read's purpose in the access log: the fixed code, ': ', then the reader's reason (hash-chained with the entry). */
export const purposeWithReason = (code: 'emergency' | 'rule_verification', reason: string) => `${code}: ${reason}`;
/** The reason written by purposeWithReason. */
export const reasonOfPurpose = (purpose: string) => (purpose.includes(': ') ? purpose.slice(purpose.indexOf(': ') + 2) : '');

/**
 * The record with what locates a non-disclosure client removed, unless the
 * viewer is in the central non-disclosure team: no municipality, no county, no
 * concern notifications (sent to the county), and of the people only the
 * viewer themselves (a county's named worker or a district's handler would
 * locate the client).
 */
export function clientRecordView(record: ClientRecord, viewer: { staffId: string; inNonDisclosureTeam: boolean }): ClientRecordView {
  if (canSeeClientLocation(record, viewer)) return record;
  return {
    ...record,
    municipality: null,
    county: null,
    namedWorkers: record.namedWorkers.filter((w) => w.staffId === viewer.staffId),
    pendingApplications: record.pendingApplications.map((a) => ({ ...a, handler: a.handler?.staffId === viewer.staffId ? a.handler : null })),
    openConcernNotifications: [],
  };
}

/** The client's full record for the server's own use (routing needs the municipality), and the view the reader may receive. */
export async function readClient(deps: LookupDeps, actor: Actor, req: ClientLookupRequest): Promise<{ record: ClientRecord; view: ClientRecordView }> {
  const { db } = deps;
  require(canLookUpClients(actor), 'Your roles do not include reading client records');
  const now = deps.clock.now();
  const clientId = await clientIdOf(deps, req);
  const scope = clientId ? await clientScope(db, clientId, actor.staffId, now, deps.config.accessAfterRequestMs, deps.directory.clientFacts.taskRelations) : undefined;
  if (!clientId || !scope) {
    deps.log.info({ staffId: actor.staffId, outcome: 'no_match', by: req.hetu ? 'hetu' : 'application' }, 'client lookup found nothing');
    throw unknownClient();
  }
  // Read through the Db (the node's directory copy stays warm).
  const { client, directory } = (await readClientRecord(db, deps.directory, clientId))!;
  const record: ClientRecord = { ...client, openConcernNotifications: await deps.directory.clientFacts.openConcerns(db, clientId) };
  const relations: TaskRelation[] = [...scope.relations];
  if (req.purpose === 'routing' && !canReadClient(actor, { relations }, req.purpose) && (await rulesReach(deps, actor, record, directory))) relations.push('routing_reach');
  const allowed = canReadClient(actor, { relations }, req.purpose);
  const action = !allowed ? ACCESS_ACTIONS.refused : req.purpose === 'emergency' ? ACCESS_ACTIONS.emergency : ACCESS_ACTIONS.read;
  await db.tx((q) =>
    recordAccess(
      q,
      {
        actorId: actor.staffId,
        actorOrganisationId: actor.organisationId,
        clientId,
        action,
        purpose: req.purpose === 'emergency' ? purposeWithReason('emergency', req.reason!) : req.purpose,
        at: now,
      },
      auditSigner(deps),
    ),
  );
  // A refused read answers exactly like a missing client (404): nobody learns
  // that a person is a client elsewhere.
  if (!allowed) {
    deps.log.info({ staffId: actor.staffId, outcome: 'no_relation', purpose: req.purpose, by: req.hetu ? 'hetu' : 'application' }, 'client lookup refused');
    throw unknownClient();
  }
  if (action === ACCESS_ACTIONS.emergency) deps.log.warn({ staffId: actor.staffId, clientId }, 'emergency client read');
  return { record, view: clientRecordView(record, { staffId: actor.staffId, inNonDisclosureTeam: scope.inNonDisclosureTeam }) };
}

/** The client an identity code (hashed at once, never kept) or a Kela application id names, if any. */
export async function clientIdOf(deps: Pick<Deps, 'db' | 'keys'>, ref: { hetu?: string; applicationId?: string }): Promise<string | undefined> {
  return ref.hetu ? clientIdByHetuHash(deps.db, await hashHetu(deps.keys.clientIdKey, ref.hetu)) : clientIdByApplicationId(deps.db, ref.applicationId!);
}

/** The full record for the server's own use; the read is checked and logged as readClient does. */
export async function lookUpClient(deps: LookupDeps, actor: Actor, req: ClientLookupRequest): Promise<ClientRecord> {
  return (await readClient(deps, actor, req)).record;
}

/**
 * A routing admin verifies the rules of `region` for a real client (a
 * simulation): the admin has no task relation, so the read is allowed only for
 * this purpose, with a reason, for a client the region's rules route; it is
 * logged and listed to the auditor. Anything else answers 404 (a refusal of an
 * existing client is logged too).
 */
export async function readClientForRuleVerification(
  deps: LookupDeps,
  actor: Actor,
  region: { id: string; rootId: string } | 'default',
  ref: { hetu?: string; applicationId?: string },
  reason: string,
): Promise<ClientRecord> {
  const { db } = deps;
  const clientId = await clientIdOf(deps, ref);
  if (!clientId) throw unknownClient();
  const where = (await clientPlacement(db, clientId))!;
  const allowed = canSimulateWithRealClient(actor, region, where);
  const { client } = (await readClientRecord(db, deps.directory, clientId))!;
  await db.tx((q) =>
    recordAccess(
      q,
      {
        actorId: actor.staffId,
        actorOrganisationId: actor.organisationId,
        clientId,
        action: allowed ? ACCESS_ACTIONS.ruleVerification : ACCESS_ACTIONS.refused,
        purpose: allowed ? purposeWithReason('rule_verification', reason) : 'rule_verification',
        at: deps.clock.now(),
      },
      auditSigner(deps),
    ),
  );
  if (!allowed) throw unknownClient();
  return client;
}

/** Whether routing's published rules could ring this person for this client, when a requester of the other side asks. */
function rulesReach(deps: LookupDeps, actor: Actor, client: ClientRecord, directory: Directory): Promise<boolean> {
  const requesterKind = actor.organisationKind === 'kela' ? 'county' : 'kela';
  return deps.directory.clientFacts.rulesReach(deps.db, { staffId: actor.staffId, requesterKind, client, directory, at: deps.clock.now() });
}
