// Disclosure records: who disclosed which categories of a client's data to whom,
// on which legal basis. The one function every disclosure goes through (routing's
// identity disclosure on accept, a caseworker sharing client data). A basis that
// does not allow the categories, or a consent that is missing, not yet given,
// expired, withdrawn, of another client or too narrow, is refused: nothing is
// written and the caller's transaction fails with the reason.
import { randomUUID } from 'node:crypto';
import { HttpError } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
import { judgeDisclosure } from './legal-bases.ts';
import { appendAuditEntry, type CheckpointSigner } from './store.ts';

export interface DisclosureInput {
  at: Date;
  discloser: { staffId: string; organisationId: string };
  recipients: { staffId?: string; organisationId: string }[];
  /** Internal client record id (never the henkilötunnus). */
  clientId: string;
  /** Data category codes, e.g. 'identity'. */
  categories: string[];
  /** Legal basis code, e.g. 'totul_18'. */
  basis: string;
  /** Required when the basis is a consent. */
  consentId?: string;
  conferenceId?: string;
  routingRequestId?: string;
  eventId?: string;
}

export interface DisclosureRecorded {
  disclosureId: string;
  seq: number;
}

export async function recordDisclosure(q: Queryable, input: DisclosureInput, signer: CheckpointSigner): Promise<DisclosureRecorded> {
  const refusal = await judgeDisclosure(q, { basis: input.basis, categories: input.categories, hasConsent: input.consentId !== undefined, at: input.at });
  if (refusal) throw new DisclosureRefused(refusal.reason, refusal.categories);
  if (input.consentId) await checkConsent(q, input);
  const disclosureId = randomUUID();
  const { lastSeq } = await appendAuditEntry(q, 'disclosure', { type: 'disclosure', disclosureId, ...input, at: undefined }, input.at, signer);
  await q.query(
    `INSERT INTO disclosures (id, at, discloser_id, discloser_organisation_id, recipients, client_id, categories, basis, consent_id,
       conference_id, routing_request_id, chain_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      disclosureId, input.at, input.discloser.staffId, input.discloser.organisationId, JSON.stringify(input.recipients), input.clientId,
      input.categories, input.basis, input.consentId ?? null, input.conferenceId ?? null, input.routingRequestId ?? null, lastSeq,
    ],
  );
  return { disclosureId, seq: lastSeq };
}

async function checkConsent(q: Queryable, input: DisclosureInput): Promise<void> {
  const [c] = await q.query<{ client_id: string; given_at: Date; expires_at: Date | null; withdrawn_at: Date | null; categories: string[] }>(
    'SELECT client_id, given_at, expires_at, withdrawn_at, categories FROM consents WHERE id = $1 FOR SHARE',
    [input.consentId],
  );
  const at = input.at.getTime();
  if (!c || c.client_id !== input.clientId) throw new DisclosureRefused('consent_missing');
  if (c.withdrawn_at && new Date(c.withdrawn_at).getTime() <= at) throw new DisclosureRefused('consent_withdrawn');
  if (new Date(c.given_at).getTime() > at || (c.expires_at && new Date(c.expires_at).getTime() <= at)) throw new DisclosureRefused('consent_expired');
  const outside = input.categories.filter((k) => !c.categories.includes(k));
  if (outside.length) throw new DisclosureRefused('consent_scope', outside);
}

/** 422: the basis does not allow what is being shared; nothing is disclosed. */
export class DisclosureRefused extends HttpError {
  constructor(
    readonly reason: string,
    readonly categories?: string[],
  ) {
    super(422, 'disclosure_refused', `Disclosure refused: ${reason}${categories ? ` (${categories.join(', ')})` : ''}`, [{ path: 'basis', message: reason }]);
  }
}
