// The admin console: routing rules, people, urgency criteria and disclosure
// rules of the regions this admin runs (a Kela admin: Kela's districts and the
// default rules). Tabs are buttons with aria-selected; every change goes
// through the same REST API with the same checks.
import { useEffect, useState } from 'preact/hooks';
import { allOrganisations, directoryTick, type OrganisationView } from '../api/directory.ts';
import { localName, t } from '../i18n/index.ts';
import { session } from '../state.ts';
import { DisclosureRules } from './DisclosureRules.tsx';
import { PeopleAdmin } from './People.tsx';
import { RulesEditor } from './RulesEditor.tsx';
import { UrgencyAdmin } from './Urgency.tsx';
import { TeamsAdmin } from './Teams.tsx';
import { SchedulesAdmin } from './Schedules.tsx';
import { ChangeHistory } from './Changes.tsx';
import { ContactsAdmin } from './Contacts.tsx';

const TABS = ['rules', 'people', 'urgency', 'disclosure', 'changes'] as const;
type Tab = (typeof TABS)[number];

export function adminOrganisations(): string[] {
  return (session.value?.user.roles ?? []).filter((r) => r.role === 'admin').map((r) => r.organisationId);
}

export function AdminView() {
  void directoryTick.value;
  const [orgs, setOrgs] = useState<OrganisationView[]>([]);
  const [tab, setTab] = useState<Tab>('rules');
  const [region, setRegion] = useState('');
  useEffect(() => {
    allOrganisations().then(setOrgs, () => undefined);
  }, []);
  const mine = adminOrganisations();
  // Regions are counties and Kela districts; a Kela admin also keeps the default rules.
  const regions: { id: string; name: string }[] = [];
  for (const id of mine) {
    const org = orgs.find((o) => o.id === id);
    if (!org) continue;
    if (org.kind === 'county' || org.kind === 'kela_district') regions.push({ id, name: localName(org) });
    if (org.kind === 'kela') {
      regions.push({ id: 'default', name: t('admin.defaultRules') });
      for (const d of orgs.filter((o) => o.kind === 'kela_district')) regions.push({ id: d.id, name: localName(d) });
    }
  }
  const current = region || regions[0]?.id || '';
  const peopleOrg = current === 'default' ? mine[0] : current;

  return (
    <>
      <h1 tabIndex={-1}>{t('admin.title')}</h1>
      {regions.length > 1 && (
        <label class="inline">
          {t('admin.region')}{' '}
          <select value={current} onChange={(e) => setRegion(e.currentTarget.value)}>
            {regions.map((r) => (
              <option value={r.id}>{r.name}</option>
            ))}
          </select>
        </label>
      )}
      {regions.length === 1 && <p>{t('admin.regionIs', { name: regions[0].name })}</p>}
      <div role="tablist" aria-label={t('admin.title')} class="tabs">
        {TABS.map((k) => (
          <button type="button" role="tab" id={`tab-${k}`} aria-selected={tab === k} aria-controls={`panel-${k}`} tabIndex={tab === k ? 0 : -1} onClick={() => setTab(k)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(k);
              const next = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
              if (next) {
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
          >
            {t(`admin.tab.${k}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {current && tab === 'rules' && <RulesEditor region={current} />}
        {peopleOrg && tab === 'people' && (
          <>
            <PeopleAdmin organisationId={peopleOrg} />
            <TeamsAdmin organisationId={peopleOrg} />
            <ContactsAdmin organisationId={peopleOrg} countyId={orgs.find((o) => o.id === peopleOrg)?.kind === 'county' ? peopleOrg : undefined} />
          </>
        )}
        {current && tab === 'urgency' && (
          <>
            {/* Urgency criteria and escalation are a county's: its urgent queue. */}
            {orgs.find((o) => o.id === current)?.kind === 'county' && <UrgencyAdmin region={current} />}
            {peopleOrg && <SchedulesAdmin organisationId={peopleOrg} />}
          </>
        )}
        {tab === 'disclosure' && <DisclosureRules />}
        {peopleOrg && tab === 'changes' && <ChangeHistory organisationId={peopleOrg} />}
      </div>
    </>
  );
}
