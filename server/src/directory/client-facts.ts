// What other capabilities know about a client that a client read needs. They
// hand over functions (wired in rinki.ts), so the directory depends on none of
// them: the task relations need to know counts (routing requests, callbacks,
// urgent items), whether the routing rules reach the reader, and the open
// concern notifications the record shows.
import type { ClientRecord } from '../../../shared/src/directory.ts';
import type { TaskRelation } from '../auth/policies.ts';
import type { Queryable } from '../store/db.ts';
import type { Directory } from './snapshot.ts';

/** The task relations the database can show between a person and a client (docs/access-model.md, "Need to know"). */
export type StoredRelation = Exclude<TaskRelation, 'routing_reach'>;

export interface TaskRelationQuestion {
  clientId: string;
  staffId: string;
  /** The person's teams: work addressed to one of them counts. */
  teamIds: string[];
  /** Work that ended before this no longer counts. */
  since: Date;
}

/** One capability's answer to "does this person have this kind of task about this client". */
export interface TaskRelationSource {
  relation: StoredRelation;
  holds(q: Queryable, ask: TaskRelationQuestion): Promise<boolean>;
}

export interface RulesReachQuestion {
  staffId: string;
  /** The side whose requests would ring the person: the other side than theirs. */
  requesterKind: 'kela' | 'county';
  client: ClientRecord;
  directory: Directory;
  at: Date;
}

export interface ClientFactSources {
  /** Asked in this order; the relations found are listed in it. */
  taskRelations: TaskRelationSource[];
  /** Whether the published routing rules could ring the person for this client (the relation routing_reach). */
  rulesReach(q: Queryable, ask: RulesReachQuestion): Promise<boolean>;
  openConcerns(q: Queryable, clientId: string): Promise<ClientRecord['openConcernNotifications']>;
}

/** A directory on its own (tests of the directory, benchmarks): no other capability's facts. */
export const NO_CLIENT_FACTS: ClientFactSources = { taskRelations: [], rulesReach: async () => false, openConcerns: async () => [] };
