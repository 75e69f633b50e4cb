// The urgent queue's part of the demo data (DEMO_DATA), written with the demo
// directory (directory/demo-data.ts): Eksote's escalation policy and on-call
// rota, and a few open concern notifications from Kela.
import { randomUUID } from 'node:crypto';
import { DEMO_COUNTIES, type DemoSeed } from '../directory/index.ts';
import { storePolicy, type EscalationPolicy } from './escalation.ts';
import { saveSchedule } from './oncall.ts';

export const seedUrgentDemo: DemoSeed = async (q, { now, clientId, newestApplicationOf }) => {
  // Eksote's urgent queue escalates: the on-call team is alerted at once, the supervisor after 10 minutes unclaimed.
  const policy: EscalationPolicy = { levels: [{ targets: [{ teamId: 'eksote-sosiaalipaivystys' }], delayMinutes: 10 }, { targets: [{ staffId: 'eksote.esihenkilo' }], delayMinutes: 20 }], loops: 0 };
  await storePolicy(q, 'eksote', policy);
  // Eksote's on-call rota: a weekly hand-off on Mondays at 8:00 through the social on-call team.
  await saveSchedule(q, {
    id: 'eksote-sosiaalipaivystys',
    organisationId: 'eksote',
    name: 'Sosiaalipäivystys',
    definition: { layers: [{ name: 'Viikkovuoro', priority: 1, rotation: 'weekly', handoffTime: '08:00', start: '2026-01-05', participants: ['eksote.paivystaja', 'eksote-paivystys-1', 'eksote-paivystys-2', 'eksote-paivystys-3'] }], overrides: [] },
  });
  // A few open concern notifications from Kela to a county, each naming the client's newest application.
  for (let i = 3; i < 60; i += 6) {
    await q.query(
      `INSERT INTO concern_notifications (id, client_id, from_organisation_id, to_organisation_id, sender_id, status, created_at, client_reference)
       VALUES ($1, $2, 'kela-etelainen', $3, 'kela.kasittelija', $4, $5, $6)`,
      [randomUUID(), await clientId(i), DEMO_COUNTIES[Math.floor(i / 6) % 3], i % 12 === 3 ? 'received' : 'taken_charge', new Date(now.getTime() - i * 3600_000), await newestApplicationOf(i)],
    );
  }
};
