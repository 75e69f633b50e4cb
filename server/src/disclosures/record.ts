// Disclosure records: who disclosed which categories of a client's data to whom,
// on which legal basis. The one function every disclosure goes through (routing's
// identity disclosure on accept, a caseworker sharing client data).
import { checkBasis } from '../../../shared/src/disclosures.ts';
import { HttpError } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
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

/**
 * Records one disclosure in the caller's transaction and appends it to the
 * 'disclosure' hash chain. Throws an HttpError (422) when the basis does not
 * allow the categories or the consent is missing, expired or withdrawn.
 */
export async function recordDisclosure(q: Queryable, input: DisclosureInput, signer: CheckpointSigner): Promise<DisclosureRecorded> {
  const refusal = checkBasis(input.basis, input.categories, input.consentId !== undefined);
  if (refusal) throw new DisclosureRefused(refusal.reason, refusal.categories);
  const disclosureId = crypto.randomUUID();
  const { lastSeq } = await appendAuditEntry(q, 'disclosure', { type: 'disclosure', disclosureId, ...input, at: undefined }, input.at, signer);
  return { disclosureId, seq: lastSeq };
}

/** 422: the basis does not allow what is being shared; nothing is disclosed. */
export class DisclosureRefused extends HttpError {
  constructor(
    readonly reason: string,
    readonly categories?: string[],
  ) {
    super(422, 'disclosure_refused', `Disclosure refused: ${reason}${categories ? ` (${categories.join(', ')})` : ''}`);
  }
}
