// Client lookup: by henkilötunnus (hashed at once, never stored or logged) or
// by Kela application id. Every successful read is recorded in the access log (disclosures/access.ts).
import type { ClientLookupRequest, ClientRecord } from '../../../shared/src/directory.ts';
import type { Actor } from '../auth/actor.ts';
import { canLookUpClients, canReadClient, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import { hashHetu } from './client-id.ts';
import { clientIdByApplicationId, clientIdByHetuHash, clientScope, getClientRecord } from './repository.ts';
import { recordAccess } from '../disclosures/access.ts';
import { auditSigner } from '../disclosures/store.ts';

export async function lookUpClient(deps: Pick<Deps, 'db' | 'keys' | 'log' | 'clock' | 'config' | 'directory'>, actor: Actor, req: ClientLookupRequest): Promise<ClientRecord> {
  const { db } = deps;
  require(canLookUpClients(actor), 'Your roles do not include reading client records');
  const clientId = req.hetu
    ? await clientIdByHetuHash(db, await hashHetu(deps.keys.clientIdKey, req.hetu))
    : await clientIdByApplicationId(db, req.applicationId!);
  const scope = clientId ? await clientScope(db, clientId, actor.staffId) : undefined;
  // A record outside the actor's reach answers exactly like a missing one (404):
  // a county's staff must not learn that a person is a client elsewhere.
  if (!clientId || !scope || !canReadClient(actor, scope)) {
    deps.log.info({ staffId: actor.staffId, outcome: clientId ? 'outside_scope' : 'no_match', by: req.hetu ? 'hetu' : 'application' }, 'client lookup found nothing');
    throw notFound('No such client');
  }
  // Read through the Db (the node's directory copy stays warm), logged in a transaction of its own.
  const record = (await getClientRecord(db, deps.directory, clientId))!;
  return db.tx(async (q) => {
    await recordAccess(
      q,
      {
        actorId: actor.staffId,
        actorOrganisationId: actor.organisationId,
        clientId,
        action: 'client.read',
        purpose: req.purpose,
        at: deps.clock.now(),
      },
      auditSigner(deps),
    );
    return record;
  });
}
