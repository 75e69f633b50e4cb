// Which published rule set routes a request, kept in memory: rule sets change
// a few times a year and are read on every ring. Publishing or rolling back
// on any node clears the region everywhere through the bus (and at once on the
// node that did it); a short time-to-live bounds staleness should a bus
// message be lost.
//
// The rules of the side being reached apply: a Kela requester reaches the
// county, so the county's rules route; a county requester reaches Kela, so the
// rules of the Kela district serving the client's municipality route, falling
// back to the county's, then to the default.
import type { ClientRecord } from '../../../shared/src/directory.ts';
import type { RuleSetVersionView } from '../../../shared/src/routing.ts';
import type { Bus } from '../bus/bus.ts';
import { kelaDistrictsByMunicipality } from '../directory/index.ts';
import type { Queryable } from '../store/db.ts';
import * as store from './repository.ts';

export const RULES_CHANGED_CHANNEL = 'routing:rules-changed';
const TTL_MS = 30_000;

interface Entry<T> {
  value: T;
  loadedAt: number;
}

export class RuleSetCache {
  private published = new Map<string, Entry<RuleSetVersionView | undefined>>();
  private districts: Entry<Map<string, string>> | undefined;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly bus?: Bus,
  ) {
    this.unsubscribe = bus?.subscribe(RULES_CHANGED_CHANNEL, (m) => this.forget((m as { region?: string })?.region));
  }

  /** Drops a region's rule set (all regions when none is named). */
  forget(region?: string): void {
    if (region) this.published.delete(region);
    else this.published.clear();
    this.districts = undefined;
  }

  /** Called after a publish or rollback commits: every node forgets the region. */
  async changed(region: string): Promise<void> {
    this.forget(region);
    await this.bus?.publish(RULES_CHANGED_CHANNEL, { region });
  }

  close(): void {
    this.unsubscribe?.();
  }

  async forClient(q: Queryable, client: Pick<ClientRecord, 'county' | 'municipality'>, requesterKind: 'kela' | 'county', at: Date): Promise<RuleSetVersionView> {
    if (requesterKind === 'county') {
      const district = (await this.districtOf(client.municipality.code)) ?? undefined;
      const rules = district ? await this.publishedVersion(q, district) : undefined;
      if (rules) return rules;
    }
    return (await this.publishedVersion(q, client.county.id)) ?? (await this.publishedVersion(q, 'default')) ?? store.defaultRuleSet(q, at);
  }

  private async publishedVersion(q: Queryable, region: string): Promise<RuleSetVersionView | undefined> {
    const hit = this.published.get(region);
    if (hit && Date.now() - hit.loadedAt < TTL_MS) return hit.value;
    const value = await store.publishedVersion(q, region);
    this.published.set(region, { value, loadedAt: Date.now() });
    return value;
  }

  private async districtOf(municipalityCode: string): Promise<string | undefined> {
    if (!this.districts || Date.now() - this.districts.loadedAt >= TTL_MS) {
      this.districts = { value: await kelaDistrictsByMunicipality(this.db), loadedAt: Date.now() };
    }
    return this.districts.value.get(municipalityCode);
  }
}
