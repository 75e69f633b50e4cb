// Deterministic synthetic directory for the demo (DEMO_DATA): Kela with its five
// insurance districts, three wellbeing services counties, ~60 staff, 1,000 clients
// with fictional henkilötunnus codes (individual number 900–999). Names of real
// organisations and municipalities appear only here, as demo data.
// Loaded through the same import path as real files; skipped when the directory
// already has organisations. Capabilities above the directory add their demo
// rows (escalation policy, on-call rota, concern notifications) through a
// DemoSeed, in the same transaction.
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/db.ts';
import { hashHetu } from './client-id.ts';
import { importDirectory, type RawBatch } from './import.ts';
import { addMunicipalityContact, clientIdByHetuHash, countOrganisations, createAbsence } from './repository.ts';

export const DEMO_PASSWORD = 'rinki-demo';

/** Local sign-in accounts of the demo; all use DEMO_PASSWORD. */
export const DEMO_ACCOUNTS = [
  { username: 'kela.kasittelija', staffId: 'kela.kasittelija', organisationId: 'kela-etelainen', description: 'Kela benefit handler (caseworker), Eteläinen turvatiimi 1; handles pending applications of Eksote clients' },
  { username: 'kela.yhteyshenkilo', staffId: 'kela.yhteyshenkilo', organisationId: 'kela-etelainen', description: 'Kela municipal liaison (kuntayhteyshenkilö) for the Eksote municipalities' },
  { username: 'kela.ruotsi', staffId: 'kela.ruotsi', organisationId: 'kela-lantinen', description: 'Kela Swedish-language handler, western district' },
  { username: 'eksote.sosiaalityontekija', staffId: 'eksote.sosiaalityontekija', organisationId: 'eksote', description: 'Eksote social worker, named worker (omatyöntekijä) of some demo clients' },
  { username: 'eksote.paivystaja', staffId: 'eksote.paivystaja', organisationId: 'eksote', description: 'Eksote on-call social worker (sosiaalipäivystys): works the urgent queue' },
  { username: 'eksote.admin', staffId: 'eksote.admin', organisationId: 'eksote', description: 'Admin of Eksote' },
  { username: 'keusote.sosiaalityontekija', staffId: 'keusote.sosiaalityontekija', organisationId: 'keusote', description: 'Keusote social worker' },
  { username: 'pohjanmaa.socialarbetare', staffId: 'pohjanmaa.socialarbetare', organisationId: 'pohjanmaa', description: 'Ostrobothnia social worker (Swedish)' },
  { username: 'kela.admin', staffId: 'kela.admin', organisationId: 'kela', description: 'Admin of Kela (all districts)' },
  { username: 'auditor', staffId: 'auditor', organisationId: 'kela', description: 'Auditor (reads logs and reports, not client records)' },
] as const;

const ORGANISATIONS = [
  { id: 'kela', kind: 'kela', nameFi: 'Kela', nameSv: 'FPA' },
  { id: 'kela-etelainen', kind: 'kela_district', parentId: 'kela', nameFi: 'Eteläinen vakuutuspiiri', nameSv: 'Södra försäkringsdistriktet' },
  { id: 'kela-itainen', kind: 'kela_district', parentId: 'kela', nameFi: 'Itäinen vakuutuspiiri', nameSv: 'Östra försäkringsdistriktet' },
  { id: 'kela-keskinen', kind: 'kela_district', parentId: 'kela', nameFi: 'Keskinen vakuutuspiiri', nameSv: 'Mellersta försäkringsdistriktet' },
  { id: 'kela-lantinen', kind: 'kela_district', parentId: 'kela', nameFi: 'Läntinen vakuutuspiiri', nameSv: 'Västra försäkringsdistriktet' },
  { id: 'kela-pohjoinen', kind: 'kela_district', parentId: 'kela', nameFi: 'Pohjoinen vakuutuspiiri', nameSv: 'Norra försäkringsdistriktet' },
  { id: 'eksote', kind: 'county', nameFi: 'Etelä-Karjalan hyvinvointialue (Eksote)', nameSv: 'Södra Karelens välfärdsområde (Eksote)' },
  { id: 'keusote', kind: 'county', nameFi: 'Keski-Uudenmaan hyvinvointialue (Keusote)', nameSv: 'Mellersta Nylands välfärdsområde (Keusote)' },
  { id: 'pohjanmaa', kind: 'county', nameFi: 'Pohjanmaan hyvinvointialue', nameSv: 'Österbottens välfärdsområde' },
];

/** [code, Finnish, Swedish, county, share of Swedish-speaking residents] */
const MUNICIPALITIES: [string, string, string, string, number][] = [
  ['405', 'Lappeenranta', 'Villmanstrand', 'eksote', 0.01],
  ['153', 'Imatra', 'Imatra', 'eksote', 0.01],
  ['416', 'Lemi', 'Lemi', 'eksote', 0],
  ['441', 'Luumäki', 'Luumäki', 'eksote', 0],
  ['580', 'Parikkala', 'Parikkala', 'eksote', 0],
  ['700', 'Ruokolahti', 'Ruokolax', 'eksote', 0],
  ['739', 'Savitaipale', 'Savitaipale', 'eksote', 0],
  ['831', 'Taipalsaari', 'Taipalsaari', 'eksote', 0],
  ['186', 'Järvenpää', 'Träskända', 'keusote', 0.02],
  ['543', 'Nurmijärvi', 'Nurmijärvi', 'keusote', 0.02],
  ['245', 'Kerava', 'Kervo', 'keusote', 0.02],
  ['858', 'Tuusula', 'Tusby', 'keusote', 0.02],
  ['505', 'Mäntsälä', 'Mäntsälä', 'keusote', 0.01],
  ['611', 'Pornainen', 'Borgnäs', 'keusote', 0.02],
  ['905', 'Vaasa', 'Vasa', 'pohjanmaa', 0.23],
  ['499', 'Mustasaari', 'Korsholm', 'pohjanmaa', 0.67],
  ['893', 'Uusikaarlepyy', 'Nykarleby', 'pohjanmaa', 0.9],
  ['598', 'Pietarsaari', 'Jakobstad', 'pohjanmaa', 0.55],
  ['280', 'Korsnäs', 'Korsnäs', 'pohjanmaa', 0.95],
  ['287', 'Kristiinankaupunki', 'Kristinestad', 'pohjanmaa', 0.55],
  ['599', 'Pedersören kunta', 'Pedersöre', 'pohjanmaa', 0.9],
  ['945', 'Vöyri', 'Vörå', 'pohjanmaa', 0.8],
  ['475', 'Maalahti', 'Malax', 'pohjanmaa', 0.9],
  ['545', 'Närpiö', 'Närpes', 'pohjanmaa', 0.9],
];

const OFFICE = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '16:00']]]));
const ALWAYS = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]));
// Christmas Eve and Midsummer Eve close offices anyway (hours.ts); New Year's Eve closes early.
const EVES = { '2026-12-31': [['08:00', '12:00']] };

const TEAMS = [
  { id: 'kela-etelainen-turvatiimi-1', organisationId: 'kela-etelainen', nameFi: 'Eteläinen turvatiimi 1', nameSv: 'Södra trygghetsteamet 1', segments: ['toimeentulotuki'], languages: ['fi'], hours: OFFICE, hourExceptions: EVES, supervisorId: 'kela.esihenkilo' },
  // One team per side open around the clock, so that someone trying Rinki can ring the demo accounts at any hour (README).
  { id: 'kela-etelainen-aina-auki', organisationId: 'kela-etelainen', nameFi: 'Kokeilutiimi, avoinna aina', nameSv: 'Provteamet, alltid öppet', segments: [], languages: ['fi', 'sv'], hours: ALWAYS, closedOnHolidays: false },
  { id: 'kela-itainen-tiimi-1', organisationId: 'kela-itainen', nameFi: 'Itäinen toimeentulotukitiimi', nameSv: 'Östra utkomststödsteamet', segments: ['toimeentulotuki'], languages: ['fi'], hours: OFFICE, hourExceptions: EVES },
  { id: 'kela-lantinen-svenska', organisationId: 'kela-lantinen', nameFi: 'Ruotsinkielinen palvelu', nameSv: 'Svenskspråkiga tjänsten', segments: ['toimeentulotuki'], languages: ['sv', 'fi'], hours: OFFICE, hourExceptions: EVES },
  { id: 'kela-lantinen-turvakielto', organisationId: 'kela-lantinen', nameFi: 'Turvakieltoasiakkaiden keskitetty tiimi', nameSv: 'Centraliserade teamet för spärrmarkering', segments: ['turvakielto'], languages: ['fi', 'sv'], hours: OFFICE, hourExceptions: EVES },
  { id: 'kela-keskinen-laakeasiantuntijat', organisationId: 'kela-keskinen', nameFi: 'Lääke- ja asiantuntijatiimi', nameSv: 'Läkemedels- och expertteamet', segments: ['laakkeet', 'asiantuntijalaakari'], languages: ['fi', 'sv'], hours: OFFICE, hourExceptions: EVES },
  { id: 'kela-pohjoinen-kansainvalinen', organisationId: 'kela-pohjoinen', nameFi: 'Kansainvälinen tiimi', nameSv: 'Internationella teamet', segments: ['kansainvalinen'], languages: ['en', 'fi', 'sv', 'se'], hours: OFFICE, hourExceptions: EVES },
  { id: 'eksote-aikuissosiaalityo', organisationId: 'eksote', nameFi: 'Aikuissosiaalityö', nameSv: 'Vuxensocialarbete', segments: ['aikuissosiaalityo'], languages: ['fi'], hours: OFFICE, hourExceptions: EVES, supervisorId: 'eksote.esihenkilo' },
  { id: 'eksote-aina-auki', organisationId: 'eksote', nameFi: 'Kokeilutiimi, avoinna aina', nameSv: 'Provteamet, alltid öppet', segments: [], languages: ['fi'], hours: ALWAYS, closedOnHolidays: false },
  { id: 'eksote-sosiaalipaivystys', organisationId: 'eksote', nameFi: 'Sosiaalipäivystys', nameSv: 'Socialjour', segments: ['kiireellinen'], languages: ['fi'], hours: ALWAYS, closedOnHolidays: false },
  { id: 'keusote-aikuissosiaalityo', organisationId: 'keusote', nameFi: 'Aikuissosiaalityö', nameSv: 'Vuxensocialarbete', segments: ['aikuissosiaalityo'], languages: ['fi'], hours: OFFICE, hourExceptions: EVES },
  { id: 'keusote-sosiaalipaivystys', organisationId: 'keusote', nameFi: 'Sosiaalipäivystys', nameSv: 'Socialjour', segments: ['kiireellinen'], languages: ['fi'], hours: ALWAYS, closedOnHolidays: false },
  { id: 'pohjanmaa-vuxensocialarbete', organisationId: 'pohjanmaa', nameFi: 'Aikuissosiaalityö', nameSv: 'Vuxensocialarbete', segments: ['aikuissosiaalityo'], languages: ['sv', 'fi'], hours: OFFICE, hourExceptions: EVES },
  { id: 'pohjanmaa-socialjour', organisationId: 'pohjanmaa', nameFi: 'Sosiaalipäivystys', nameSv: 'Socialjour', segments: ['kiireellinen'], languages: ['sv', 'fi'], hours: ALWAYS, closedOnHolidays: false },
];

const FIRST = ['Aino', 'Eero', 'Helmi', 'Juha', 'Kaisa', 'Lauri', 'Maria', 'Mikko', 'Noora', 'Olli', 'Pirjo', 'Risto', 'Sanna', 'Tuomas', 'Ulla', 'Ville', 'Elina', 'Jari', 'Minna', 'Petri'];
const LAST = ['Virtanen', 'Korhonen', 'Mäkinen', 'Nieminen', 'Mäkelä', 'Hämäläinen', 'Laine', 'Heikkinen', 'Koskinen', 'Järvinen', 'Lehtonen', 'Saarinen', 'Salminen', 'Heinonen', 'Niemi', 'Kinnunen', 'Salonen', 'Turunen', 'Laitinen', 'Tuominen', 'Rantanen', 'Karjalainen'];
const SV_FIRST = ['Anna', 'Erik', 'Johanna', 'Mikael', 'Sofia', 'Henrik', 'Linnea', 'Jonas'];
const SV_LAST = ['Holmström', 'Lindqvist', 'Nyberg', 'Sjöberg', 'Westerlund', 'Backman', 'Granholm', 'Forsman'];

type Person = {
  id: string;
  organisationId: string;
  displayName: string;
  titleFi?: string;
  titleSv?: string;
  username?: string;
  password?: string;
  languages: string[];
  segments?: string[];
  roles: { role: string; organisationId: string }[];
  teamIds?: string[];
  callbackPhone?: string;
};

function buildStaff(): Person[] {
  const staff: Person[] = [];
  let n = 0;
  const name = (sv = false) => {
    n++;
    return sv ? `${SV_FIRST[n % SV_FIRST.length]} ${SV_LAST[(n * 3) % SV_LAST.length]}` : `${FIRST[n % FIRST.length]} ${LAST[(n * 7) % LAST.length]}`;
  };
  const add = (p: Omit<Person, 'displayName' | 'languages' | 'roles'> & { displayName?: string; languages?: string[]; roleNames: string[]; sv?: boolean }) => {
    const { roleNames, sv, ...rest } = p;
    staff.push({
      displayName: rest.displayName ?? name(sv),
      languages: rest.languages ?? (sv ? ['sv', 'fi'] : ['fi']),
      ...rest,
      roles: roleNames.map((role) => ({ role, organisationId: p.organisationId })),
      callbackPhone: `+358 40 000 ${String(1000 + staff.length).slice(-4)}`,
    });
  };
  const account = (id: string) => ({ id, username: id, password: DEMO_PASSWORD });
  const handler = { titleFi: 'Etuuskäsittelijä', titleSv: 'Förmånshandläggare' };
  const socialWorker = { titleFi: 'Sosiaalityöntekijä', titleSv: 'Socialarbetare' };

  // Kela
  add({ ...account('kela.kasittelija'), displayName: 'Kaisa Käsittelijä', organisationId: 'kela-etelainen', roleNames: ['caseworker'], teamIds: ['kela-etelainen-turvatiimi-1', 'kela-etelainen-aina-auki'], segments: ['toimeentulotuki'], ...handler });
  add({ ...account('kela.yhteyshenkilo'), displayName: 'Jussi Yhteyshenkilö', organisationId: 'kela-etelainen', roleNames: ['liaison', 'caseworker'], teamIds: ['kela-etelainen-turvatiimi-1', 'kela-etelainen-aina-auki'], titleFi: 'Kuntayhteyshenkilö', titleSv: 'Kommunkontaktperson' });
  add({ id: 'kela.esihenkilo', organisationId: 'kela-etelainen', roleNames: ['supervisor'], teamIds: ['kela-etelainen-turvatiimi-1'], titleFi: 'Ryhmäpäällikkö', titleSv: 'Gruppchef' });
  for (let i = 1; i <= 5; i++) add({ id: `kela-etelainen-${i}`, organisationId: 'kela-etelainen', roleNames: ['caseworker'], teamIds: ['kela-etelainen-turvatiimi-1'], segments: ['toimeentulotuki'], ...handler });
  add({ id: 'kela-etelainen-paivystaja', organisationId: 'kela-etelainen', roleNames: ['caseworker', 'on_call'], teamIds: ['kela-etelainen-turvatiimi-1'], ...handler });
  for (let i = 1; i <= 4; i++) add({ id: `kela-itainen-${i}`, organisationId: 'kela-itainen', roleNames: i === 1 ? ['caseworker', 'liaison'] : ['caseworker'], teamIds: ['kela-itainen-tiimi-1'], ...handler });
  add({ ...account('kela.ruotsi'), displayName: 'Sofia Lindqvist', organisationId: 'kela-lantinen', roleNames: ['caseworker'], teamIds: ['kela-lantinen-svenska'], languages: ['sv', 'fi', 'en'], ...handler });
  for (let i = 1; i <= 4; i++) add({ id: `kela-lantinen-sv-${i}`, sv: true, organisationId: 'kela-lantinen', roleNames: i === 1 ? ['caseworker', 'liaison'] : ['caseworker'], teamIds: ['kela-lantinen-svenska'], ...handler });
  for (let i = 1; i <= 3; i++) add({ id: `kela-lantinen-turva-${i}`, organisationId: 'kela-lantinen', roleNames: ['caseworker'], teamIds: ['kela-lantinen-turvakielto'], languages: ['fi', 'sv'], segments: ['turvakielto'], ...handler });
  add({ id: 'kela-keskinen-proviisori', organisationId: 'kela-keskinen', roleNames: ['caseworker'], teamIds: ['kela-keskinen-laakeasiantuntijat'], segments: ['laakkeet'], titleFi: 'Asiantuntijaproviisori', titleSv: 'Expertprovisor' });
  add({ id: 'kela-keskinen-laakari', organisationId: 'kela-keskinen', roleNames: ['caseworker'], teamIds: ['kela-keskinen-laakeasiantuntijat'], segments: ['laakkeet', 'asiantuntijalaakari'], titleFi: 'Asiantuntijalääkäri', titleSv: 'Expertläkare' });
  add({ id: 'kela-pohjoinen-1', organisationId: 'kela-pohjoinen', roleNames: ['caseworker'], teamIds: ['kela-pohjoinen-kansainvalinen'], languages: ['fi', 'en'], segments: ['kansainvalinen'], ...handler });
  add({ id: 'kela-pohjoinen-2', organisationId: 'kela-pohjoinen', roleNames: ['caseworker'], teamIds: ['kela-pohjoinen-kansainvalinen'], languages: ['fi', 'se', 'en'], segments: ['kansainvalinen'], ...handler });
  add({ id: 'kela-pohjoinen-3', organisationId: 'kela-pohjoinen', roleNames: ['caseworker'], teamIds: ['kela-pohjoinen-kansainvalinen'], languages: ['en', 'sv', 'fi'], segments: ['kansainvalinen'], ...handler });
  add({ ...account('kela.admin'), displayName: 'Arto Ylläpitäjä', organisationId: 'kela', roleNames: ['admin'], titleFi: 'Pääkäyttäjä', titleSv: 'Huvudanvändare' });
  add({ ...account('auditor'), displayName: 'Aila Auditoija', organisationId: 'kela', roleNames: ['auditor'], titleFi: 'Tietosuojavastaava', titleSv: 'Dataskyddsansvarig' });

  // Counties
  add({ ...account('eksote.sosiaalityontekija'), displayName: 'Elina Sosiaalityöntekijä', organisationId: 'eksote', roleNames: ['caseworker'], teamIds: ['eksote-aikuissosiaalityo', 'eksote-aina-auki'], ...socialWorker });
  add({ ...account('eksote.admin'), displayName: 'Eetu Ylläpitäjä', organisationId: 'eksote', roleNames: ['admin'], titleFi: 'Pääkäyttäjä', titleSv: 'Huvudanvändare' });
  add({ id: 'eksote.esihenkilo', organisationId: 'eksote', roleNames: ['supervisor'], teamIds: ['eksote-aikuissosiaalityo'], titleFi: 'Sosiaalityön esihenkilö', titleSv: 'Förman för socialt arbete' });
  for (let i = 1; i <= 5; i++) add({ id: `eksote-${i}`, organisationId: 'eksote', roleNames: i <= 2 ? ['caseworker', 'liaison'] : ['caseworker'], teamIds: ['eksote-aikuissosiaalityo'], ...socialWorker });
  add({ ...account('eksote.paivystaja'), displayName: 'Päivi Päivystäjä', organisationId: 'eksote', roleNames: ['caseworker', 'on_call'], teamIds: ['eksote-sosiaalipaivystys'], ...socialWorker });
  for (let i = 1; i <= 3; i++) add({ id: `eksote-paivystys-${i}`, organisationId: 'eksote', roleNames: ['caseworker', 'on_call'], teamIds: ['eksote-sosiaalipaivystys'], ...socialWorker });
  add({ ...account('keusote.sosiaalityontekija'), displayName: 'Kalle Sosiaalityöntekijä', organisationId: 'keusote', roleNames: ['caseworker'], teamIds: ['keusote-aikuissosiaalityo'], ...socialWorker });
  add({ id: 'keusote.admin', organisationId: 'keusote', roleNames: ['admin'], titleFi: 'Pääkäyttäjä', titleSv: 'Huvudanvändare' });
  for (let i = 1; i <= 5; i++) add({ id: `keusote-${i}`, organisationId: 'keusote', roleNames: ['caseworker'], teamIds: ['keusote-aikuissosiaalityo'], ...socialWorker });
  for (let i = 1; i <= 2; i++) add({ id: `keusote-paivystys-${i}`, organisationId: 'keusote', roleNames: ['caseworker', 'on_call'], teamIds: ['keusote-sosiaalipaivystys'], ...socialWorker });
  add({ ...account('pohjanmaa.socialarbetare'), displayName: 'Johanna Westerlund', organisationId: 'pohjanmaa', roleNames: ['caseworker'], teamIds: ['pohjanmaa-vuxensocialarbete'], languages: ['sv', 'fi'], ...socialWorker });
  add({ id: 'pohjanmaa.admin', sv: true, organisationId: 'pohjanmaa', roleNames: ['admin'], titleFi: 'Pääkäyttäjä', titleSv: 'Huvudanvändare' });
  for (let i = 1; i <= 5; i++) add({ id: `pohjanmaa-${i}`, sv: i % 2 === 1, organisationId: 'pohjanmaa', roleNames: i <= 2 ? ['caseworker', 'liaison'] : ['caseworker'], teamIds: ['pohjanmaa-vuxensocialarbete'], ...socialWorker });
  for (let i = 1; i <= 3; i++) add({ id: `pohjanmaa-socialjour-${i}`, sv: true, organisationId: 'pohjanmaa', roleNames: ['caseworker', 'on_call'], teamIds: ['pohjanmaa-socialjour'], ...socialWorker });
  add({ id: 'pohjanmaa-granskare', sv: true, organisationId: 'pohjanmaa', roleNames: ['auditor'], titleFi: 'Tietosuojavastaava', titleSv: 'Dataskyddsansvarig' });
  return staff;
}

/** Who hands out contacts: Kela liaisons by county, county contacts (Keusote has none). */
/** The insurance district serving each demo county's municipalities. */
const KELA_DISTRICT_BY_COUNTY: Record<string, string> = { eksote: 'kela-etelainen', keusote: 'kela-itainen', pohjanmaa: 'kela-lantinen' };
const KELA_LIAISON_BY_COUNTY: Record<string, string> = { eksote: 'kela.yhteyshenkilo', keusote: 'kela-itainen-1', pohjanmaa: 'kela-lantinen-sv-1' };
const COUNTY_CONTACTS: Record<string, string[]> = { eksote: ['eksote-1', 'eksote-2'], keusote: [], pohjanmaa: ['pohjanmaa-1', 'pohjanmaa-2'] };
const KELA_HANDLERS_BY_COUNTY: Record<string, string[]> = {
  eksote: ['kela.kasittelija', 'kela-etelainen-1', 'kela-etelainen-2', 'kela-etelainen-3'],
  keusote: ['kela-etelainen-4', 'kela-etelainen-5', 'kela-itainen-2', 'kela-itainen-3'],
  pohjanmaa: ['kela.ruotsi', 'kela-lantinen-sv-2', 'kela-lantinen-sv-3', 'kela-lantinen-sv-4'],
};
const COUNTY_WORKERS: Record<string, string[]> = {
  eksote: ['eksote.sosiaalityontekija', 'eksote-3', 'eksote-4', 'eksote-5'],
  keusote: ['keusote.sosiaalityontekija', 'keusote-1', 'keusote-2', 'keusote-3'],
  pohjanmaa: ['pohjanmaa.socialarbetare', 'pohjanmaa-3', 'pohjanmaa-4', 'pohjanmaa-5'],
};
const COUNTIES = ['eksote', 'keusote', 'pohjanmaa'];
/** The demo's wellbeing services counties, by id. */
export const DEMO_COUNTIES: readonly string[] = COUNTIES;

export const DEMO_CLIENT_COUNT = 1000;

/** Deterministic PRNG (mulberry32) so every demo load is the same. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fictional code of demo client i: birth dates 19 days apart from 1950, so codes never collide. */
export function demoClientHetu(i: number): string {
  const d = new Date(Date.UTC(1950, 0, 1) + i * 19 * 86_400_000);
  return fictionalHetu(d, i);
}

interface DemoClient {
  hetu: string;
  municipalityCode: string;
  language: string;
  nonDisclosure: boolean;
  namedWorkers: { staffId: string; kind: string }[];
  applications: { id: string; handlerId: string; submittedAt: string; urgent: boolean }[];
}

function buildClients(now: Date): DemoClient[] {
  const rand = prng(20260101);
  const byCounty = Object.fromEntries(COUNTIES.map((c) => [c, MUNICIPALITIES.filter((m) => m[3] === c)]));
  const clients: DemoClient[] = [];
  for (let i = 0; i < DEMO_CLIENT_COUNT; i++) {
    const county = COUNTIES[i % 3];
    const munis = byCounty[county];
    // The first client of each county lives in its first municipality.
    const [code, , , , svShare] = i < 3 ? munis[0] : munis[Math.floor(rand() * munis.length)];
    const r = rand();
    const language = i < 3 ? (county === 'pohjanmaa' ? 'sv' : 'fi') : r < svShare ? 'sv' : r > 0.985 ? 'en' : 'fi';
    const workers = COUNTY_WORKERS[county];
    const handlers = KELA_HANDLERS_BY_COUNTY[county];
    const named = i < 3 || rand() < 0.4;
    const pending = i % 10 < 3;
    clients.push({
      hetu: demoClientHetu(i),
      municipalityCode: code,
      language,
      nonDisclosure: i % 50 === 49, // 2 %
      namedWorkers: named ? [{ staffId: i < 3 || i % 4 === 0 ? workers[0] : workers[1 + (i % 3)], kind: i % 7 === 0 ? 'vastuutyontekija' : 'omatyontekija' }] : [],
      applications: pending
        ? [
            {
              id: `KELA-TOTU-${String(100000 + i)}`,
              handlerId: i < 3 || i % 3 === 0 ? handlers[0] : handlers[1 + (i % 3)],
              submittedAt: new Date(now.getTime() - ((i % 7) + 1) * 86_400_000).toISOString(),
              urgent: i % 37 === 0,
            },
          ]
        : [],
    });
  }
  return clients;
}

/** The first client of each county: documented in the README, used by tests. */
export const DEMO_CLIENTS = COUNTIES.map((county, i) => ({
  county,
  hetu: demoClientHetu(i),
  municipalityCode: MUNICIPALITIES.find((m) => m[3] === county)![0],
  namedWorker: COUNTY_WORKERS[county][0],
  applicationId: `KELA-TOTU-${100000 + i}`,
  handler: KELA_HANDLERS_BY_COUNTY[county][0],
}));

export function demoBatch(now: Date): RawBatch {
  const rows = (list: unknown[]) => list.map((value, i) => ({ line: i + 1, value }));
  return {
    organisations: rows(ORGANISATIONS),
    municipalities: rows(MUNICIPALITIES.map(([code, nameFi, nameSv, countyId]) => ({ code, nameFi, nameSv, countyId, kelaDistrictId: KELA_DISTRICT_BY_COUNTY[countyId] }))),
    teams: rows(TEAMS),
    staff: rows(buildStaff()),
    clients: rows(buildClients(now)),
  };
}

/** Demo rows of a capability above the directory, written in the demo directory's transaction. */
export type DemoSeed = (
  q: Queryable,
  demo: { now: Date; clientId(i: number): Promise<string>; /** The demo client's newest pending Kela application, if any. */ newestApplicationOf(i: number): Promise<string | null> },
) => Promise<void>;

/** Loads the demo directory, and what `seeds` add, unless the directory already has organisations. */
export async function loadDemoData(deps: Pick<Deps, 'db' | 'keys' | 'log' | 'clock'>, seeds: DemoSeed[] = []): Promise<{ loaded: boolean }> {
  const { db, log } = deps;
  if ((await countOrganisations(db)) > 0) return { loaded: false };
  const now = deps.clock.now();
  // Argon2id is slow: one hash for every demo account.
  const sharedHash = hashPassword(DEMO_PASSWORD);
  const report = await importDirectory(db, deps.keys.clientIdKey, demoBatch(now), {
    dryRun: false,
    scope: { kind: 'system' },
    hashPassword: () => sharedHash,
  });
  if (!report.ok) throw new Error(`demo data is invalid: ${JSON.stringify(report.issues.slice(0, 5))}`);

  await db.tx(async (q) => {
    for (const [code, , , county] of MUNICIPALITIES) {
      await addMunicipalityContact(q, code, KELA_LIAISON_BY_COUNTY[county], 'liaison');
      for (const staffId of COUNTY_CONTACTS[county]) await addMunicipalityContact(q, code, staffId, 'contact');
    }
    await createAbsence(q, {
      staffId: 'kela-etelainen-1',
      startsAt: new Date(now.getTime() - 86_400_000).toISOString(),
      endsAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
      standInId: 'kela.kasittelija',
      reason: 'leave',
    });
    const clientId = async (i: number) => (await clientIdByHetuHash(q, await hashHetu(deps.keys.clientIdKey, demoClientHetu(i))))!;
    const newestApplicationOf = async (i: number) =>
      (await q.query<{ id: string }>(`SELECT id FROM kela_applications WHERE client_id = $1 AND status = 'pending' ORDER BY submitted_at DESC LIMIT 1`, [await clientId(i)]))[0]?.id ?? null;
    for (const seed of seeds) await seed(q, { now, clientId, newestApplicationOf });
  });
  log.info({ counts: report.counts }, 'demo data loaded');
  return { loaded: true };
}
