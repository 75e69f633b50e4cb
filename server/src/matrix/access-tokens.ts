// Matrix access-token look-ups: every /sync wake-up and every send needs one.
// Requests that arrive together share one query, and a live token's owner is
// kept in memory for a few seconds. Whatever removes a token or changes its
// owner's access (logout, device removal, a new login on the same device,
// deactivation) drops that person's entries on this node at once and on every
// other node through the bus; should a bus message be lost, an entry still
// lives at most TOKEN_CACHE_MS. An entry never outlives its token's expiry; an
// expired token is told apart from an unknown one (soft logout: renew it).
import type { Deps } from '../deps.ts';
import { ACCESS_REVOKED_CHANNEL, announceAccessRevoked, forgetReplacedToken, matrixTokenOwners, revokeReplacedRefreshToken, type MatrixTokenOwner } from '../auth/tokens.ts';
import { batchedLookup } from '../store/batched.ts';
import type { Caller } from './context.ts';
import type { MatrixIds } from './ids.ts';

/** What a token hash stands for: a caller, an expired token, or nothing known. */
export type TokenState = Caller | 'expired' | undefined;

export const TOKEN_CACHE_MS = 5_000;
/** Well inside the half of TOKEN_CACHE_MS left when a renewal starts. */
const RENEWAL_GATHER_MS = 250;

export class TokenOwners {
  /** By token hash: the caller the token stands for (one object, shared by the token's requests), or null for a token without a device. */
  private known = new Map<string, { staffId: string; caller: Caller | null; until: number; renewing?: boolean }>();
  /** Moves on every revocation: a look-up that began before one does not fill the cache. */
  private generation = 0;
  private readonly load: (hash: string) => Promise<{ row?: MatrixTokenOwner; generation: number }>;
  /** Renewals of entries still valid: nobody waits for them, so they gather for a while and share a query. */
  private readonly renew: (hash: string) => Promise<{ row?: MatrixTokenOwner; generation: number }>;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: Deps,
    private readonly ids: MatrixIds,
  ) {
    const lookUp = async (hashes: readonly string[]) => {
      const generation = this.generation;
      // Expired tokens are read too: their callers are told to renew them.
      const rows = await matrixTokenOwners(deps.directory, deps.db, hashes);
      const byHash = new Map(rows.map((r) => [r.hash, r]));
      return hashes.map((h) => ({ row: byHash.get(h), generation }));
    };
    this.load = batchedLookup(lookUp);
    this.renew = batchedLookup(lookUp, { gatherMs: RENEWAL_GATHER_MS });
    this.unsubscribe = deps.bus.subscribe(ACCESS_REVOKED_CHANNEL, (message) => {
      const { staffIds } = message as { staffIds?: unknown };
      if (Array.isArray(staffIds)) this.forget(staffIds.map(String));
    });
  }

  /** Who calls with a live Matrix access token of a device (by the token's hash, hex), 'expired', or undefined. */
  async caller(hash: string): Promise<TokenState> {
    const now = this.deps.clock.now().getTime();
    const hit = this.known.get(hash);
    if (hit && hit.until > now) {
      // In use and soon due: looked up again in the background, so a busy token never waits for its renewal.
      if (hit.until - now < TOKEN_CACHE_MS / 2 && !hit.renewing) {
        hit.renewing = true;
        void this.fetch(hash, now, this.renew).catch(() => undefined);
      }
      return hit.caller ?? undefined;
    }
    if (hit) this.known.delete(hash);
    return this.fetch(hash, now);
  }

  private async fetch(hash: string, now: number, load = this.load): Promise<TokenState> {
    const { row, generation } = await load(hash);
    const expires = row?.expiresAt ? row.expiresAt.getTime() : Infinity;
    if (!row || expires <= this.deps.clock.now().getTime()) {
      this.known.delete(hash);
      return row ? 'expired' : undefined;
    }
    if (row.replaces) await this.firstUse(row.replaces);
    const caller = row.deviceId ? { staffId: row.staffId, userId: this.ids.userId(row.staffId), deviceId: row.deviceId, rootOrganisationId: row.rootOrganisationId } : null;
    if (generation === this.generation) {
      if (this.known.size >= 50_000) for (const [h, e] of this.known) if (e.until <= now) this.known.delete(h);
      this.known.set(hash, { staffId: row.staffId, caller, until: Math.min(now + TOKEN_CACHE_MS, expires) });
    }
    return caller ?? undefined;
  }

  /** The first use of a refreshed pair: the refresh token it replaces is revoked (the spec's rotation). */
  private async firstUse(replacedHex: string): Promise<void> {
    const replaced = Buffer.from(replacedHex, 'hex');
    await this.deps.db.tx(async (q) => {
      await revokeReplacedRefreshToken(q, replaced);
      await forgetReplacedToken(q, replaced);
    });
  }

  /** Call after the change committed: drops the people's entries here, then tells the other nodes. */
  async revoked(staffIds: string[]): Promise<void> {
    this.forget(staffIds);
    await announceAccessRevoked(this.deps.bus, staffIds).catch((err: unknown) => this.deps.log.warn({ err }, 'access revocation not published'));
  }

  private forget(staffIds: string[]): void {
    this.generation++;
    const gone = new Set(staffIds);
    for (const [hash, entry] of this.known) if (gone.has(entry.staffId)) this.known.delete(hash);
  }

  close(): void {
    this.unsubscribe();
  }
}
