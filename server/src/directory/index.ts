// The directory as other capabilities see it: they import it from here only,
// and read its tables (people, organisations, teams, municipalities, clients)
// through it, never in SQL of their own (server/src/store/table-owners.json).
//
// - People, organisations, teams, roots and names: Deps.directory.snapshot(q),
//   the copy in memory (Directory: person, people, rootOf, organisationRoot,
//   organisationName, team, rolesOf, ...).
// - Clients: a checked, logged read (lookUpClient), the record routing reads
//   (readClientRecord), or only where a client is (clientPlacement).
// - What the directory needs from the capabilities above it (task relations,
//   concern notifications, what the rules reach) it receives as ClientFactSources.
export type { ClientFactSources, RulesReachQuestion, StoredRelation, TaskRelationQuestion, TaskRelationSource } from './client-facts.ts';
export { NO_CLIENT_FACTS } from './client-facts.ts';
export { DEMO_COUNTIES, loadDemoData, type DemoSeed } from './demo-data.ts';
export { helsinkiLocal, isFinnishDayOff, isOpenAt, nextOpeningAt } from './hours.ts';
export {
  DIRECTORY_VERSION_SQL,
  activeStaffOf,
  clientPlacement,
  kelaDistrictsByMunicipality,
  organisationScope,
  readClientRecord,
  type ClientPlacement,
  type OrganisationScope,
  type StaffAccount,
} from './repository.ts';
export { directoryMounts } from './routes.ts';
export { EXCEPTIONAL_READ_ACTIONS, clientIdOf, lookUpClient, readClientForRuleVerification, reasonOfPurpose } from './service.ts';
export { DirectoryCache, loadDirectory, type Directory, type NameLanguage, type StaffFacts, type TeamFacts } from './snapshot.ts';
