// The permission matrix: one row per REST route (method + Express path) and per
// Socket.IO command, saying how to build a valid request for it and what each
// actor gets back, by docs/access-model.md. tests/permission-matrix.test.ts
// fails when a live route or command has no row here, or a row names none.
//
// Reading a row. The target of every row lives in county A unless the row says
// otherwise, so the actor columns read as: A = own organisation, B = another
// organisation of the same side, K = the other side (Kela). `expect` gives the
// answer per actor; the most specific key wins:
//   'A.admin' (one actor)  >  'admin' (that role everywhere)  >  'A' (that organisation)  >  all
// The few rows whose target is Kela's own (the national legal bases) read K as the own side.
// `ok` is any 2xx; a 4xx is compared exactly. Anonymous callers get 401 unless a row says otherwise.
import { fictionalHetu } from '../shared/src/hetu.ts';
import { FIXTURE } from '../server/src/directory/fixtures.ts';

const s = FIXTURE.staff;

/** The people who call every row: each role of the own, a peer and the other side's organisation. */
export const ACTORS = {
  'A.caseworker': s.countyAWorker, // the client's named worker (a task relation to client A)
  'A.liaison': s.countyAContact, // caseworker + liaison, member of county A's team
  'A.on_call': s.countyAOnCall, // on_call + caseworker, member of county A's team
  'A.admin': s.countyAAdmin,
  'A.auditor': 'county-a-auditor',
  'B.caseworker': s.countyBWorker,
  'B.on_call': 'county-b-on-call',
  'B.admin': s.countyBAdmin,
  'B.auditor': 'county-b-auditor',
  'K.caseworker': s.kelaHandler, // handles client A's pending Kela application (a task relation)
  'K.liaison': s.kelaLiaison, // liaison of county A's municipality 991, no relation to the clients
  'K.supervisor': s.kelaSupervisor,
  'K.on_call': 'kela-on-call',
  'K.admin': s.kelaAdmin, // at Kela's root
  'K.auditor': s.auditor,
} as const;
export type ActorKey = keyof typeof ACTORS;
export type Caller = ActorKey | 'anon';
export const CALLERS: Caller[] = ['anon', ...(Object.keys(ACTORS) as ActorKey[])];

/** Rows added to the fixture directory for this suite: the missing auditors and on-call staff, and client U of the urgent rows. */
export const EXTRA = {
  staff: [
    { id: 'county-a-auditor', organisationId: FIXTURE.orgs.countyA, displayName: 'Aarne Auditoija', roles: [{ role: 'auditor', organisationId: FIXTURE.orgs.countyA }] },
    { id: 'county-b-auditor', organisationId: FIXTURE.orgs.countyB, displayName: 'Birgit Auditoija', roles: [{ role: 'auditor', organisationId: FIXTURE.orgs.countyB }] },
    {
      id: 'county-b-on-call', organisationId: FIXTURE.orgs.countyB, displayName: 'Bengt Päivystäjä',
      roles: [{ role: 'on_call', organisationId: FIXTURE.orgs.countyB }, { role: 'caseworker', organisationId: FIXTURE.orgs.countyB }], teamIds: [FIXTURE.teams.countyB],
    },
    {
      id: 'kela-on-call', organisationId: FIXTURE.orgs.kelaSouth, displayName: 'Kalle Päivystäjä',
      roles: [{ role: 'on_call', organisationId: FIXTURE.orgs.kelaSouth }, { role: 'caseworker', organisationId: FIXTURE.orgs.kelaSouth }],
    },
  ],
  /** Client U: county A, application handled by K.caseworker; only the urgent rows use it, so claims there create no relation to client A. */
  clientU: { hetu: fictionalHetu('1979-06-30', 3), municipalityCode: FIXTURE.municipalities.a1, applications: [{ id: 'app-u-1', handlerId: s.kelaHandler, submittedAt: '2026-01-07T09:00:00Z' }] },
};

export type Status = 'ok' | 400 | 401 | 403 | 404 | 409;
export type Expect = Partial<Record<Caller | 'all' | 'A' | 'B' | 'K' | Role, Status>>;
type Role = 'caseworker' | 'liaison' | 'supervisor' | 'on_call' | 'admin' | 'auditor';

/** What the suite gives a row to build its request: fresh targets and REST/socket access as anyone. */
export interface World {
  clientA: { hetu: string };
  clientU: { hetu: string };
  /** The published draft version of county A's rules (PUT on a draft, rollback, diff). */
  draftVersion: number;
  /** A fresh ring request by A.caseworker about client A, ringing K.caseworker. */
  ringRequest(): Promise<{ requestId: string; offerId: string }>;
  /** A fresh urgent item of county A's queue (client U), optionally claimed by A.on_call. */
  urgentItem(claimedByAOnCall?: boolean): Promise<string>;
  /** A fresh callback asked by A.caseworker of K.caseworker (no client), optionally claimed by K.caseworker. */
  callback(claimed?: boolean): Promise<string>;
  /** A fresh concern sent by K.caseworker (kela-south) about client A to county A. */
  concern(): Promise<string>;
  /** A fresh consent of client A recorded by A.caseworker (county A). */
  consent(): Promise<string>;
  /** A fresh team / person / absence / municipality contact in county A. */
  team(): Promise<string>;
  person(): Promise<string>;
  absence(): Promise<string>;
  contact(): Promise<{ code: string; staffId: string; kind: 'contact' }>;
  /** A fresh draft of county A's rules. */
  draft(): Promise<number>;
  /** Declines every offer still ringing K.caseworker, so open rings do not pile up between rows. */
  endRings(): Promise<void>;
  /** Puts a person's roles back (rows whose success today would change them). */
  setRoles(staffId: string, roles: { role: Role; organisationId: string }[]): Promise<void>;
}

export interface RestCall {
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  body?: unknown;
  /** A raw text body (the import), instead of JSON. */
  text?: string;
}
export interface SocketCall {
  payload: unknown;
}

export interface Row {
  /** 'GET /api/teams/:id', or 'socket ring:accept'. */
  route: string;
  /** Which rule of docs/access-model.md the row checks. */
  rule: string;
  /** A second row for the same route checks another rule. */
  variant?: string;
  call?: (w: World, caller: Caller) => RestCall | SocketCall | Promise<RestCall | SocketCall>;
  expect: Expect;
  /** The request depends on the caller (e.g. oneself as the target): built for each caller, not shared by the refused ones. */
  perCaller?: boolean;
  /** Restores what a successful call changed that later rows rely on. */
  after?: (w: World) => Promise<void>;
  /** The call revokes the caller's tokens (sign-out): the suite issues new ones afterwards. */
  revokesTokens?: boolean;
}

const A = FIXTURE.orgs.countyA;
const region = { region: A };
const selfId = (c: Caller) => (c === 'anon' ? 'nobody' : ACTORS[c]);

/** Anyone signed in. */
const anyone: Expect = { all: 'ok' };
/** Only the admins of county A. */
const adminOfA: Expect = { all: 403, 'A.admin': 'ok' };
/** Auditors of every organisation (each sees their own organisation's processing). */
const auditors: Expect = { all: 403, auditor: 'ok' };
/**
 * Reading client A by need to know: the named worker (A.caseworker) and the
 * application's handler (K.caseworker) have a task relation; other client
 * workers get the same 404 as for a non-client; admins and auditors never read
 * client records (403).
 */
const needToKnowA: Expect = { all: 404, 'A.caseworker': 'ok', 'K.caseworker': 'ok', admin: 403, auditor: 403 };
/** The on-call staff who share county A's urgent queue: its own and Kela's. */
const onCallOfA: Expect = { all: 404, 'A.on_call': 'ok', 'K.on_call': 'ok' };
/** An item claimed by A.on_call: its owner acts; Kela's on-call shares the queue but is not the owner (409); others do not see it. */
const ownerOfItem: Expect = { all: 404, 'A.on_call': 'ok', 'K.on_call': 409 };

/** A ring request of A.caseworker: the person rung (K.caseworker) sees it but may not call it off. */
const requesterOnly: Expect = { all: 404, 'A.caseworker': 'ok', 'K.caseworker': 403 };

const ringInput = (w: World) => ({ client: w.clientA, request: { type: 'konsultaatio', urgency: 'normal' }, basis: 'totul_18' });
const window = { from: '2026-11-19T08:00:00Z', to: '2026-11-19T10:00:00Z' };
const teamBody = (id?: string) => ({ ...(id ? { id } : {}), organisationId: A, nameFi: 'Matriisitiimi', nameSv: 'Matristeam' });
const personBody = (id?: string, roles: { role: Role; organisationId: string }[] = [{ role: 'caseworker', organisationId: A }]) => ({
  ...(id ? { id } : {}), organisationId: A, displayName: 'Matti Matriisi', roles,
});
let seq = 0;
/** Ids unique within the suite run. */
export const freshId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export const ROWS: Row[] = [
  // ---- sign-in (public) ----
  { route: 'GET /api/auth/providers', rule: 'public: the sign-in page', expect: { all: 'ok', anon: 'ok' } },
  { route: 'POST /api/auth/login', rule: 'public; wrong credentials are 401 for everyone (one username per caller: failures are rate-limited per username)', call: (_w, c) => ({ body: { username: `no-such-user-${c}`, password: 'wrong password' } }), expect: { all: 401, anon: 401 }, perCaller: true },
  { route: 'GET /api/auth/oidc/:provider/login', rule: 'public; no such provider', call: () => ({ params: { provider: 'none' } }), expect: { all: 404, anon: 404 } },
  { route: 'GET /api/auth/oidc/:provider/callback', rule: 'public; no such provider', call: () => ({ params: { provider: 'none' } }), expect: { all: 404, anon: 404 } },
  { route: 'GET /api/auth/me', rule: 'oneself', expect: anyone },
  { route: 'POST /api/auth/tokens', rule: 'API tokens only from a browser session: a bearer token cannot mint one', call: () => ({ body: {} }), expect: { all: 403 } },
  { route: 'POST /api/auth/matrix-login-token', rule: 'oneself', call: () => ({ body: {} }), expect: anyone },

  // ---- presence ----
  { route: 'PUT /api/presence/me', rule: 'oneself', call: () => ({ body: { status: 'available' } }), expect: anyone },
  { route: 'GET /api/presence', rule: 'presence is visible to everyone signed in', call: () => ({ query: { staffIds: s.countyAWorker } }), expect: anyone },
  { route: 'socket presence:set', rule: 'oneself', call: () => ({ payload: { status: 'available' } }), expect: anyone },
  { route: 'socket presence:watch', rule: 'presence is visible to everyone signed in', call: () => ({ payload: { staffIds: [s.countyAWorker] } }), expect: anyone },
  { route: 'socket subscribe', rule: 'a team’s live updates reach its members only', call: () => ({ payload: { team: FIXTURE.teams.countyA } }), expect: { all: 403, 'A.caseworker': 'ok', 'A.liaison': 'ok', 'A.on_call': 'ok' } },
  { route: 'socket unsubscribe', rule: 'leaving a room is always allowed', call: () => ({ payload: { team: FIXTURE.teams.countyA } }), expect: anyone },

  // ---- directory reads: open to everyone signed in (people, not clients) ----
  { route: 'GET /api/organisations', rule: 'directory', expect: anyone },
  { route: 'GET /api/organisations/:id', rule: 'directory', call: () => ({ params: { id: A } }), expect: anyone },
  { route: 'GET /api/municipalities', rule: 'directory', expect: anyone },
  { route: 'GET /api/municipalities/:code', rule: 'directory', call: () => ({ params: { code: FIXTURE.municipalities.a1 } }), expect: anyone },
  { route: 'GET /api/teams', rule: 'directory', expect: anyone },
  { route: 'GET /api/teams/:id', rule: 'directory', call: () => ({ params: { id: FIXTURE.teams.countyA } }), expect: anyone },
  { route: 'GET /api/staff', rule: 'directory', expect: anyone },
  { route: 'GET /api/staff/:id', rule: 'directory (private fields for admins and oneself)', call: () => ({ params: { id: s.countyAWorker } }), expect: anyone },
  { route: 'GET /api/staff/:id/absences', rule: 'oneself and the admins of the person’s organisation', call: () => ({ params: { id: s.countyAWorker } }), expect: { all: 403, 'A.caseworker': 'ok', 'A.admin': 'ok' } },

  // ---- directory changes: admins of the organisation concerned ----
  { route: 'POST /api/municipalities/:code/contacts', rule: 'admins of the person’s organisation', call: async (w) => ({ params: { code: FIXTURE.municipalities.a2 }, body: { staffId: await w.person(), kind: 'contact' } }), expect: adminOfA },
  {
    route: 'DELETE /api/municipalities/:code/contacts/:staffId/:kind', rule: 'admins of the person’s organisation',
    call: async (w) => ({ params: await w.contact() }), expect: adminOfA,
  },
  { route: 'POST /api/teams', rule: 'admins of the team’s organisation', call: () => ({ body: teamBody(freshId('mx-team')) }), expect: adminOfA },
  { route: 'PUT /api/teams/:id', rule: 'admins of the team’s organisation', call: async (w) => ({ params: { id: await w.team() }, body: teamBody() }), expect: adminOfA },
  { route: 'DELETE /api/teams/:id', rule: 'admins of the team’s organisation', call: async (w) => ({ params: { id: await w.team() } }), expect: adminOfA },
  { route: 'POST /api/staff', rule: 'admins place people in organisations they administer', call: () => ({ body: personBody(freshId('mx-person')) }), expect: adminOfA },
  { route: 'PUT /api/staff/:id', rule: 'admins of the person’s organisation', call: async (w) => ({ params: { id: await w.person() }, body: personBody() }), expect: adminOfA },
  { route: 'DELETE /api/staff/:id', rule: 'admins of the person’s organisation', call: async (w) => ({ params: { id: await w.person() } }), expect: adminOfA },
  {
    route: 'POST /api/absences', rule: 'admins of the person’s organisation',
    call: async (w) => ({ body: { staffId: await w.person(), startsAt: '2027-02-01T06:00:00Z', endsAt: '2027-02-05T14:00:00Z' } }), expect: adminOfA,
  },
  { route: 'DELETE /api/absences/:id', rule: 'admins of the person’s organisation', call: async (w) => ({ params: { id: await w.absence() } }), expect: adminOfA },
  {
    route: 'POST /api/directory/import', rule: 'admins import into organisations they administer; rows elsewhere are refused row by row (400)',
    call: () => ({ query: { kind: 'teams', dryRun: 'true' }, text: JSON.stringify([teamBody(freshId('mx-import'))]) }),
    expect: { all: 403, 'A.admin': 'ok', 'B.admin': 400, 'K.admin': 400 },
  },
  { route: 'GET /api/admin/changes', rule: 'admins of the organisation read its change history', call: () => ({ query: { organisationId: A } }), expect: adminOfA },

  // ---- client records: need to know ----
  {
    route: 'POST /api/clients/lookup', rule: 'need to know: a task relation allowing the purpose; otherwise 404; admins and auditors never',
    call: (w) => ({ body: { hetu: w.clientA.hetu, purpose: 'case_handling' } }), expect: needToKnowA,
  },
  {
    route: 'POST /api/clients/lookup', variant: 'emergency access', rule: 'emergency access: any client worker, no relation, a reason of at least 20 characters; never admins or auditors',
    call: (w) => ({ body: { hetu: w.clientA.hetu, purpose: 'emergency', reason: 'Asiakas soittaa, kiireellinen tilanne ilman tehtäväsuhdetta' } }),
    expect: { all: 'ok', admin: 403, auditor: 403 },
  },

  // ---- routing rules: admins of the region ----
  { route: 'GET /api/routing/regions/:region/rule-sets', rule: 'admins of the region', call: () => ({ params: region }), expect: adminOfA },
  { route: 'GET /api/routing/regions/:region/rule-sets/:version', rule: 'admins of the region', call: () => ({ params: { ...region, version: 1 } }), expect: adminOfA },
  { route: 'POST /api/routing/regions/:region/rule-sets', rule: 'admins of the region', call: (w) => ({ params: region, body: { body: RULES(w) } }), expect: adminOfA },
  { route: 'PUT /api/routing/regions/:region/rule-sets/:version', rule: 'admins of the region', call: async (w) => ({ params: { ...region, version: await w.draft() }, body: { body: RULES(w) } }), expect: adminOfA },
  { route: 'POST /api/routing/regions/:region/validate', rule: 'admins of the region', call: (w) => ({ params: region, body: { body: RULES(w) } }), expect: adminOfA },
  { route: 'POST /api/routing/regions/:region/rule-sets/:version/publish', rule: 'admins of the region', call: async (w) => ({ params: { ...region, version: await w.draft() }, body: {} }), expect: adminOfA },
  { route: 'POST /api/routing/regions/:region/rollback', rule: 'admins of the region', call: () => ({ params: region, body: { version: 1 } }), expect: adminOfA },
  { route: 'GET /api/routing/regions/:region/diff', rule: 'admins of the region', call: (w) => ({ params: region, query: { from: '1', to: String(w.draftVersion) } }), expect: adminOfA },
  { route: 'GET /api/routing/regions/:region/changes', rule: 'admins of the region', call: () => ({ params: region }), expect: adminOfA },
  {
    route: 'POST /api/routing/regions/:region/simulate', rule: 'admins of the region simulate',
    call: () => ({ params: region, body: { client: { kind: 'profile', municipalityCode: FIXTURE.municipalities.a1 }, request: { type: 'konsultaatio', urgency: 'normal' } } }), expect: adminOfA,
  },
  {
    route: 'POST /api/routing/regions/:region/simulate', variant: 'a real client', rule: 'a real client only for rule verification, by an admin of the region',
    call: (w) => ({ params: region, body: { client: { kind: 'real', ...w.clientA, purpose: 'rule_verification', reason: 'Uuden säännön tarkistus ennen julkaisua' }, request: { type: 'konsultaatio', urgency: 'normal' } } }),
    expect: adminOfA,
  },

  // ---- ringing ----
  { route: 'POST /api/ringing/requests', rule: 'need to know: starting a ring reads the client record', call: (w) => ({ body: ringInput(w) }), expect: needToKnowA },
  { route: 'socket ring:request', rule: 'need to know: starting a ring reads the client record', call: (w) => ({ payload: ringInput(w) }), expect: needToKnowA },
  { route: 'GET /api/ringing/requests', rule: 'one’s own requests', expect: anyone },
  { route: 'GET /api/ringing/offers', rule: 'one’s own offers', expect: anyone },
  {
    route: 'GET /api/ringing/requests/:requestId', rule: 'its requester and the people it rang',
    call: async (w) => ({ params: { requestId: (await w.ringRequest()).requestId } }), expect: { all: 404, 'A.caseworker': 'ok', 'K.caseworker': 'ok' },
  },
  { route: 'POST /api/ringing/requests/:requestId/cancel', rule: 'the requester only', call: async (w) => ({ params: { requestId: (await w.ringRequest()).requestId } }), expect: requesterOnly },
  { route: 'socket ring:cancel', rule: 'the requester only', call: async (w) => ({ payload: { requestId: (await w.ringRequest()).requestId } }), expect: requesterOnly },
  {
    route: 'POST /api/ringing/requests/:requestId/leave-callback', rule: 'the requester only',
    call: async (w) => ({ params: { requestId: (await w.ringRequest()).requestId }, body: { windows: [window] } }), expect: requesterOnly,
  },
  {
    route: 'socket ring:leave-callback', rule: 'the requester only',
    call: async (w) => ({ payload: { requestId: (await w.ringRequest()).requestId, windows: [window] } }), expect: requesterOnly,
  },
  { route: 'POST /api/ringing/offers/:offerId/accept', rule: 'the person rung only', call: async (w) => ({ params: { offerId: (await w.ringRequest()).offerId } }), expect: { all: 404, 'K.caseworker': 'ok' } },
  { route: 'socket ring:accept', rule: 'the person rung only', call: async (w) => ({ payload: { offerId: (await w.ringRequest()).offerId } }), expect: { all: 404, 'K.caseworker': 'ok' } },
  {
    route: 'POST /api/ringing/offers/:offerId/decline', rule: 'the person rung only',
    call: async (w) => ({ params: { offerId: (await w.ringRequest()).offerId }, body: { reason: 'busy_with_client' } }), expect: { all: 404, 'K.caseworker': 'ok' },
  },
  {
    route: 'socket ring:decline', rule: 'the person rung only',
    call: async (w) => ({ payload: { offerId: (await w.ringRequest()).offerId, reason: 'busy_with_client' } }), expect: { all: 404, 'K.caseworker': 'ok' },
  },

  // ---- callbacks: their parties; admins and auditors ask for none ----
  {
    route: 'POST /api/callbacks', rule: 'client workers ask for callbacks; admins and auditors do not work with clients',
    call: () => ({ body: { target: { staffId: s.kelaHandler }, requestType: 'konsultaatio', windows: [window] } }), expect: { all: 'ok', admin: 403, auditor: 403 },
  },
  { route: 'GET /api/callbacks', rule: 'one’s own lists', expect: anyone },
  { route: 'GET /api/callbacks/:id', rule: 'its requester, owner and addressee', call: async (w) => ({ params: { id: await w.callback() } }), expect: { all: 404, 'A.caseworker': 'ok', 'K.caseworker': 'ok' } },
  { route: 'POST /api/callbacks/:id/claim', rule: 'the addressee (or the addressed team)', call: async (w) => ({ params: { id: await w.callback() } }), expect: { all: 404, 'A.caseworker': 403, 'K.caseworker': 'ok' } },
  { route: 'POST /api/callbacks/:id/done', rule: 'the owner', call: async (w) => ({ params: { id: await w.callback(true) } }), expect: { all: 404, 'A.caseworker': 403, 'K.caseworker': 'ok' } },
  { route: 'POST /api/callbacks/:id/not-reached', rule: 'the owner', call: async (w) => ({ params: { id: await w.callback(true) } }), expect: { all: 404, 'A.caseworker': 403, 'K.caseworker': 'ok' } },
  { route: 'POST /api/callbacks/:id/cancel', rule: 'the requester', call: async (w) => ({ params: { id: await w.callback() } }), expect: { all: 404, 'A.caseworker': 'ok', 'K.caseworker': 403 } },

  // ---- urgent queue ----
  { route: 'GET /api/urgent/regions/:region/criteria', rule: 'requesters cite them: everyone signed in', call: () => ({ params: region }), expect: anyone },
  {
    route: 'PUT /api/urgent/regions/:region/criteria', rule: 'admins of the region',
    call: () => ({ params: region, body: { criteria: [{ code: 'no_food_or_medicine', nameFi: 'Ei ruokaa tai lääkkeitä', nameSv: 'Ingen mat eller medicin' }] } }), expect: adminOfA,
  },
  { route: 'GET /api/urgent/regions/:region/escalation-policy', rule: 'admins of the region', call: () => ({ params: region }), expect: adminOfA },
  { route: 'PUT /api/urgent/regions/:region/escalation-policy', rule: 'admins of the region', call: () => ({ params: region, body: ESCALATION }), expect: adminOfA },
  { route: 'GET /api/urgent/regions/:region/queue', rule: 'on-call staff of the county and of Kela', call: () => ({ params: region }), expect: onCallOfA },
  { route: 'socket urgent:subscribe', rule: 'on-call staff of the county and of Kela', call: () => ({ payload: region }), expect: onCallOfA },
  { route: 'POST /api/urgent/items/:id/claim', rule: 'on-call staff of the county and of Kela', call: async (w) => ({ params: { id: await w.urgentItem() } }), expect: onCallOfA },
  {
    route: 'POST /api/urgent/items/:id/assess', rule: 'the owner among the queue’s on-call staff',
    call: async (w) => ({ params: { id: await w.urgentItem(true) }, body: { assessment: 'urgent', criteria: ['no_food_or_medicine'] } }), expect: ownerOfItem,
  },
  {
    route: 'POST /api/urgent/items/:id/hand-over', rule: 'the owner among the queue’s on-call staff',
    call: async (w) => ({ params: { id: await w.urgentItem(true) }, body: { toStaffId: ACTORS['K.on_call'] } }), expect: ownerOfItem,
  },
  { route: 'POST /api/urgent/items/:id/resolve', rule: 'the owner among the queue’s on-call staff', call: async (w) => ({ params: { id: await w.urgentItem(true) } }), expect: ownerOfItem },

  // ---- on-call schedules: the organisation’s own people, and on-call staff of either side ----
  { route: 'PUT /api/urgent/schedules/:id', rule: 'admins of the organisation', call: (w) => ({ params: { id: freshId('mx-schedule') }, body: SCHEDULE(w) }), expect: adminOfA },
  { route: 'GET /api/urgent/schedules', rule: 'own organisation and on-call staff', call: () => ({ query: { organisationId: A } }), expect: { all: 404, A: 'ok', on_call: 'ok' } },
  { route: 'GET /api/urgent/schedules/:id/on-call', rule: 'own organisation and on-call staff', call: () => ({ params: { id: SCHEDULE_ID } }), expect: { all: 404, A: 'ok', on_call: 'ok' } },
  { route: 'GET /api/urgent/schedules/:id/calendar', rule: 'own organisation and on-call staff', call: () => ({ params: { id: SCHEDULE_ID } }), expect: { all: 404, A: 'ok', on_call: 'ok' } },

  // ---- concern notifications ----
  { route: 'POST /api/concerns', rule: 'need to know: sending reads the client record', call: (w) => ({ body: { client: w.clientA } }), expect: needToKnowA },
  { route: 'GET /api/concerns', rule: 'one’s own organisation’s lists', expect: anyone },
  {
    route: 'GET /api/concerns/:id', rule: 'the sending unit and the receiving county follow it',
    call: async (w) => ({ params: { id: await w.concern() } }), expect: { all: 404, A: 'ok', 'K.caseworker': 'ok', 'K.liaison': 'ok', 'K.supervisor': 'ok', 'K.on_call': 'ok' },
  },
  {
    route: 'POST /api/concerns/:id/status', rule: 'the receiving county’s client workers give the status; admins and auditors change no client matter',
    call: async (w) => ({ params: { id: await w.concern() }, body: { status: 'client_reached' } }),
    expect: { all: 404, A: 'ok', 'A.admin': 403, 'A.auditor': 403, 'K.caseworker': 403, 'K.liaison': 403, 'K.supervisor': 403, 'K.on_call': 403 },
    // Its own concern per caller: a caller wrongly let in would otherwise take the shared one and blur the others' answers.
    perCaller: true,
  },

  // ---- legal bases, consents, disclosures ----
  { route: 'GET /api/legal-bases', rule: 'everyone signed in', expect: anyone },
  {
    route: 'PUT /api/legal-bases/:code', rule: 'Kela’s root admins keep the national legal bases',
    call: () => ({ params: { code: 'matrix_basis' }, body: { requiresConsent: true, allows: ['identity'], nameFi: 'Testiperuste', nameSv: 'Testgrund' } }), expect: { all: 403, 'K.admin': 'ok' },
  },
  { route: 'PUT /api/data-categories/:code', rule: 'Kela’s root admins', call: () => ({ params: { code: 'matrix_category' }, body: { nameFi: 'Testiluokka', nameSv: 'Testkategori' } }), expect: { all: 403, 'K.admin': 'ok' } },
  {
    route: 'POST /api/consents', rule: 'need to know: recording a consent reads the client record',
    call: (w) => ({ body: { client: w.clientA, givenBy: 'client', method: 'present', givenAt: '2026-11-18T07:00:00Z', categories: ['identity'] } }), expect: needToKnowA,
  },
  {
    route: 'POST /api/consents/:id/withdraw', rule: 'the recording organisation’s client workers; admins and auditors change no client matter',
    call: async (w) => ({ params: { id: await w.consent() } }), expect: { all: 404, A: 'ok', admin: 403, auditor: 403 },
    perCaller: true,
  },
  {
    route: 'POST /api/disclosures', rule: 'need to know: disclosing reads the client record',
    call: (w) => ({ body: { client: w.clientA, recipients: [{ staffId: s.countyAWorker }], categories: ['identity'], basis: 'totul_18' } }), expect: needToKnowA,
  },
  { route: 'POST /api/disclosures/client-report', rule: 'auditors (11 § report of their own organisation’s processing)', call: (w) => ({ body: { client: w.clientA } }), expect: auditors },
  { route: 'POST /api/disclosures/export', rule: 'auditors', call: () => ({ body: { from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', format: 'csv' } }), expect: auditors },
  { route: 'GET /api/disclosures/logs/:log/export', rule: 'auditors', call: () => ({ params: { log: 'access' } }), expect: auditors },
  { route: 'GET /api/disclosures/logs/:log/verify', rule: 'auditors', call: () => ({ params: { log: 'disclosure' } }), expect: auditors },
  { route: 'POST /api/disclosures/logs/search', rule: 'auditors', call: (w) => ({ body: { log: 'access', client: w.clientA } }), expect: auditors },
  {
    route: 'POST /api/disclosures/logs/search', variant: 'another organisation’s logs', rule: 'auditors read the logs of their own root organisation only: the answer keeps to it (separation.test.ts checks the rows)',
    call: () => ({ body: { log: 'access', organisationId: A } }), expect: auditors,
  },
  { route: 'GET /api/audit/emergency-access', rule: 'emergency reads are listed to the auditors of the reader’s organisation', expect: auditors },

  // ---- separation of duties (last: today some of these succeed and change roles, which `after` puts back) ----
  {
    route: 'POST /api/staff', variant: 'granting admin', rule: 'admin and auditor are granted only by an admin at the root organisation',
    call: () => ({ body: personBody(freshId('mx-admin'), [{ role: 'admin', organisationId: A }]) }), expect: adminOfA,
  },
  {
    route: 'POST /api/staff', variant: 'admin and auditor together', rule: 'nobody holds admin and auditor in the same root organisation',
    call: () => ({ body: personBody(freshId('mx-both'), [{ role: 'admin', organisationId: A }, { role: 'auditor', organisationId: A }]) }),
    // Not a question of who asks: no one may hold both, so the combination itself is bad input (400) for the admin of A.
    expect: { all: 403, 'A.admin': 400 },
  },
  {
    route: 'PUT /api/staff/:id', variant: 'one’s own roles', rule: 'nobody grants a role of their own',
    call: (_w, c) => ({ params: { id: selfId(c) }, body: { ...personBody(undefined, [{ role: 'admin', organisationId: A }, { role: 'caseworker', organisationId: A }]), displayName: 'Itse' } }),
    expect: { all: 403 },
    perCaller: true,
    after: (w) => w.setRoles(s.countyAAdmin, [{ role: 'admin', organisationId: A }]),
  },

  // ---- signing out (last: they revoke the caller's tokens) ----
  { route: 'POST /api/auth/logout', rule: 'oneself', call: () => ({ body: {} }), expect: anyone, revokesTokens: true },
  { route: 'POST /api/auth/logout-all', rule: 'oneself', call: () => ({ body: {} }), expect: anyone, revokesTokens: true },
  { route: 'DELETE /api/auth/tokens/current', rule: 'oneself', expect: anyone, revokesTokens: true },
];

/** County A's rules: urgent requests to the urgent queue; others ring the application's handler, then a callback to a team none of the actors is in. */
export const RULES = (_w?: World) => ({
  region: A,
  filters: [
    { id: 'urgent', name: 'Kiireelliset päivystykseen', match: { urgency: 'urgent' }, steps: [], final: { action: 'urgent_queue' } },
    {
      id: 'main', name: 'Käsittelijä', match: {},
      steps: [{ id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 60 }],
      final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: FIXTURE.teams.kelaWestSwedish },
    },
  ],
});
export const ESCALATION = { levels: [{ targets: [{ staffId: s.countyAOnCall }], delayMinutes: 5 }], loops: 1 };
export const SCHEDULE_ID = 'county-a-oncall';
export const SCHEDULE = (_w?: World) => ({
  organisationId: A,
  name: 'A päivystys',
  definition: { layers: [{ name: 'Päivystys', priority: 1, rotation: 'daily', handoffTime: '16:00', start: '2026-11-16', participants: [s.countyAOnCall] }], overrides: [] },
});
