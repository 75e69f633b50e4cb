// The shipped default rule set on the demo directory: the counterpart found
// from the client record, each side's way, with presence injected.
import { expect } from 'chai';
import type { ClientRecord } from '../../../shared/src/directory.ts';
import { startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { DEMO_CLIENTS } from '../directory/demo-data.ts';
import { lookUpClient } from '../directory/service.ts';
import type { Actor } from '../auth/actor.ts';
import { decideForClient } from './service.ts';
import type { PresenceLookup } from './decide.ts';
import { validateRuleSet } from './validate.ts';
import { DEFAULT_RULE_SET } from '../../../shared/src/default-rules.ts';
import { EXAMPLE_RULE_SET } from '../../../shared/src/routing.ts';

/** Wednesday 18 November 2026, 10:00 in Helsinki. */
const OPEN = new Date('2026-11-18T08:00:00Z');
const everyoneAvailable: PresenceLookup = async (list) => new Map(list.map((id) => [id, { status: 'available' as const, until: null }]));
const ids = (list: { staffId: string }[]) => list.map((c) => c.staffId);

describe('default routing rules on the demo directory', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  /** The handler of the client's pending application: a task relation that allows reading for routing. */
  const handlerOf = (i: number): Actor => ({
    staffId: DEMO_CLIENTS[i].handler, displayName: 'test', organisationId: 'kela', rootOrganisationId: 'kela', organisationKind: 'kela',
    roles: [{ role: 'caseworker', organisationId: 'kela' }], via: 'bearer', tokenKind: 'api', tokenHash: Buffer.alloc(32),
  });
  const client = (i: number): Promise<ClientRecord> => lookUpClient(rinki.deps, handlerOf(i), { hetu: DEMO_CLIENTS[i].hetu, purpose: 'routing' });

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { DEMO_DATA: 'true' } });
  });
  after(() => rinki.cleanup());

  it('validates against the demo directory without errors or warnings, as does the documented Eksote example', async () => {
    expect((validateRuleSet(await rinki.deps.directory.snapshot(rinki.deps.db), DEFAULT_RULE_SET)).issues).to.deep.equal([]);
    expect((validateRuleSet(await rinki.deps.directory.snapshot(rinki.deps.db), EXAMPLE_RULE_SET)).issues).to.deep.equal([]);
  });

  it('a county worker asking about a Swedish-speaking client reaches the handler, the Kela liaison, then the Swedish-language service', async () => {
    const record = await client(2);
    expect(record.language).to.equal('sv');
    const d = await decideForClient(rinki.deps.db, record, {
      type: 'lisaselvityspyynto', urgency: 'normal',
      requester: { staffId: 'pohjanmaa.socialarbetare', organisationId: 'pohjanmaa', organisationKind: 'county' },
    }, everyoneAvailable, OPEN);
    expect(d.ruleSet).to.deep.equal({ region: 'default', version: 1 });
    expect(d.filter).to.include({ id: 'county-to-kela-swedish' });
    expect(ids(d.steps[0].candidates)).to.deep.equal([DEMO_CLIENTS[2].handler]);
    expect(ids(d.steps[2].candidates)).to.deep.equal(['kela-lantinen-sv-1']);
    const swedishTeam = (await rinki.deps.db.query<{ staff_id: string }>(`SELECT staff_id FROM team_members WHERE team_id = 'kela-lantinen-svenska'`)).map((r) => r.staff_id);
    const last = d.steps[3];
    expect(last.candidates.length).to.be.greaterThan(0);
    expect(ids(last.candidates).every((id) => swedishTeam.includes(id))).to.equal(true);
    expect(last.excluded.some((e) => e.reason === 'language')).to.equal(true);
  });

  it('a Kela handler asking about an Eksote client reaches the omatyöntekijä, then the county’s contacts and social work', async () => {
    const record = await client(0);
    const d = await decideForClient(rinki.deps.db, record, {
      type: 'lausuntopyynto', urgency: 'normal',
      requester: { staffId: 'kela.kasittelija', organisationId: 'kela-etelainen', organisationKind: 'kela' },
    }, everyoneAvailable, OPEN);
    expect(d.filter).to.include({ id: 'kela-to-county' });
    expect(ids(d.steps[0].candidates)).to.deep.equal([DEMO_CLIENTS[0].namedWorker]);
    expect(ids(d.steps[1].candidates)).to.have.members(['eksote-1', 'eksote-2']);
    expect(d.steps[2].candidates.every((c) => c.organisationId === 'eksote')).to.equal(true);
    expect(d.steps[2].candidates.length).to.be.greaterThan(0);
  });

  it('a non-disclosure client reaches only the central non-disclosure team, and no municipality appears', async () => {
    const rows = await rinki.deps.db.query<{ id: string }>('SELECT id FROM clients WHERE non_disclosure ORDER BY id LIMIT 1');
    const { getClientRecord } = await import('../directory/repository.ts');
    const record = (await getClientRecord(rinki.deps.db, rinki.deps.directory, rows[0].id))!;
    const d = await decideForClient(rinki.deps.db, record, {
      type: 'konsultaatio', urgency: 'normal',
      requester: { staffId: 'eksote.sosiaalityontekija', organisationId: 'eksote', organisationKind: 'county' },
    }, everyoneAvailable, OPEN);
    expect(d.filter).to.include({ id: 'non-disclosure' });
    const central = (await rinki.deps.db.query<{ staff_id: string }>(`SELECT staff_id FROM team_members WHERE team_id = 'kela-lantinen-turvakielto'`)).map((r) => r.staff_id);
    expect(ids(d.steps[0].candidates)).to.have.members(central);
    const text = JSON.stringify(d);
    for (const secret of [record.municipality.code, record.municipality.nameFi, record.municipality.nameSv]) expect(text).not.to.contain(secret);
  });
});
