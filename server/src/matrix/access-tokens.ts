// Matrix access-token look-ups, batched: every /sync wake-up and every send
// needs one, so the requests that arrive together share one query. Each
// answer still comes from the database at the time of the request: a token
// revoked or a person deactivated is refused at once, as without batching.
import { batchedLookup } from '../store/batched.ts';
import type { Deps } from '../deps.ts';

export interface TokenOwner {
  staffId: string;
  deviceId: string | null;
  rootOrganisationId: string;
}

/** Returns the owner of a live Matrix access token (by its hash), or undefined. */
export function tokenOwners(deps: Deps): (tokenHash: Buffer) => Promise<TokenOwner | undefined> {
  const load = batchedLookup<string, TokenOwner | undefined>(async (hashes) => {
    const rows = await deps.db.query<{ hash: string; staff_id: string; device_id: string | null; root_organisation_id: string }>(
      `SELECT encode(t.token_hash, 'hex') AS hash, t.staff_id, t.device_id, COALESCE(o.parent_id, o.id) AS root_organisation_id
         FROM access_tokens t JOIN staff s ON s.id = t.staff_id JOIN organisations o ON o.id = s.organisation_id
        WHERE t.token_hash = ANY (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)
          AND t.kind = 'matrix' AND s.active AND (t.expires_at IS NULL OR t.expires_at > $2)`,
      [hashes, deps.clock.now()],
    );
    const byHash = new Map(rows.map((r) => [r.hash, { staffId: r.staff_id, deviceId: r.device_id, rootOrganisationId: r.root_organisation_id }]));
    return hashes.map((h) => byHash.get(h));
  });
  return (tokenHash) => load(tokenHash.toString('hex'));
}
