// The shipped default rule set (region 'default'), installed as version 1 when
// no default exists. It follows "What decides the right counterpart" in the
// domain brief, seen from each side, and names no organisation or team, so it
// fits any directory:
// - non-disclosure clients: only the central non-disclosure service (segment turvakielto);
// - urgent requests: the urgent queue;
// - a county asking Kela: the handler of the pending application, the client's
//   asiakkuusvastaava, the Kela liaison of the client's municipality, then Kela's
//   social-assistance staff (Swedish speakers for a Swedish-speaking client);
// - Kela asking a county: the client's omatyöntekijä / vastuutyöntekijä, the
//   county's named contact persons, then the county's social work (Swedish
//   speakers first for a Swedish-speaking client);
// - then a callback request due the next working day.
import type { RuleSet, Step } from './routing.ts';

const ring = (id: string, select: Step['select'], extra: Partial<Step> = {}): Step => ({
  id, select, strategy: 'simultaneous', ringTimeoutSeconds: 30, ...extra,
});
const towardsKela = [
  ring('application-handler', { relation: 'application_handler' }),
  ring('named-worker', { relation: 'named_worker' }),
  ring('municipality-liaison', { relation: 'municipality_liaison' }),
];
const towardsCounty = [ring('named-worker', { relation: 'named_worker' }), ring('county-contacts', { relation: 'county_contacts' })];
const swedish = { language: 'client' } as const;
const callback = { action: 'callback', dueWorkingDays: 1 } as const;

export const DEFAULT_RULE_SET: RuleSet = {
  region: 'default',
  filters: [
    {
      id: 'non-disclosure',
      name: 'Turvakielto: keskitetty palvelu',
      match: { nonDisclosure: true },
      steps: [ring('central-team', { segment: 'turvakielto' }, { ringTimeoutSeconds: 60 })],
      final: callback,
    },
    { id: 'urgent', name: 'Kiireellinen', match: { urgency: 'urgent' }, steps: [], final: { action: 'urgent_queue' } },
    { id: 'urgent-type', name: 'Kiireellinen pyyntötyyppi', match: { requestTypes: ['kiireellinen'] }, steps: [], final: { action: 'urgent_queue' } },
    {
      id: 'kela-to-county-swedish',
      name: 'Kelasta hyvinvointialueelle, ruotsinkielinen asiakas',
      match: { requesterOrganisationKind: 'kela', languages: ['sv'] },
      steps: [
        ...towardsCounty,
        ring('county-social-work-swedish', { segment: 'aikuissosiaalityo' }, { constraints: swedish, ringTimeoutSeconds: 60 }),
        ring('county-social-work', { segment: 'aikuissosiaalityo' }, { ringTimeoutSeconds: 60 }),
      ],
      final: callback,
    },
    {
      id: 'kela-to-county',
      name: 'Kelasta hyvinvointialueelle',
      match: { requesterOrganisationKind: 'kela' },
      steps: [...towardsCounty, ring('county-social-work', { segment: 'aikuissosiaalityo' }, { ringTimeoutSeconds: 60 })],
      final: callback,
    },
    {
      id: 'county-to-kela-swedish',
      name: 'Hyvinvointialueelta Kelaan, ruotsinkielinen asiakas',
      match: { languages: ['sv'] },
      steps: [...towardsKela, ring('kela-swedish-service', { segment: 'toimeentulotuki' }, { constraints: swedish, ringTimeoutSeconds: 60 })],
      final: callback,
    },
    {
      id: 'county-to-kela',
      name: 'Hyvinvointialueelta Kelaan',
      match: {},
      steps: [...towardsKela, ring('kela-social-assistance', { segment: 'toimeentulotuki' }, { ringTimeoutSeconds: 60 })],
      final: callback,
    },
  ],
};
