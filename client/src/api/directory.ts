// People and organisations as the views show them (name, organisation, title),
// read once per session and kept in memory; a signal re-renders when one arrives.
import { signal } from '@preact/signals';
import type { StaffView } from '../../../shared/src/directory.ts';
import { language } from '../i18n/index.ts';
import { api } from './http.ts';

export interface OrganisationView {
  id: string;
  kind: string;
  nameFi: string;
  nameSv: string;
}

export const directoryTick = signal(0);
const people = new Map<string, StaffView | null>();
let organisations: Promise<OrganisationView[]> | undefined;
let orgList: OrganisationView[] = [];

export function allOrganisations(): Promise<OrganisationView[]> {
  organisations ??= api<OrganisationView[]>('GET', '/api/organisations').then((list) => {
    orgList = list;
    directoryTick.value++;
    return list;
  });
  return organisations;
}

/** "Name · Organisation · Title" for a person, or undefined until it has been read. */
export function personLine(staffId: string): { name: string; organisation: string; title: string } | undefined {
  if (!people.has(staffId)) {
    people.set(staffId, null);
    void allOrganisations();
    api<StaffView>('GET', `/api/staff/${encodeURIComponent(staffId)}`).then(
      (p) => {
        people.set(staffId, p);
        directoryTick.value++;
      },
      () => undefined,
    );
  }
  const p = people.get(staffId);
  if (!p) return undefined;
  const org = orgList.find((o) => o.id === p.organisationId);
  const sv = language.value === 'sv';
  return { name: p.displayName, organisation: org ? (sv ? org.nameSv : org.nameFi) : p.organisationId, title: (sv ? p.titleSv : p.titleFi) ?? '' };
}

export function clearDirectoryCache(): void {
  people.clear();
  organisations = undefined;
  orgList = [];
}
