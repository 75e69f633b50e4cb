// The Matrix layer's one face for the rest of Rinki, built once per node by
// the composition root (rinki.ts). Other capabilities import nothing else from
// matrix/: eslint.config.js holds them to it.
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { type Admission, type OpenConference, admitToConference, openConference } from './conference.ts';
import { createMatrixContext } from './context.ts';
import { matrixMounts } from './routes.ts';

export type { Admission, OpenConference };

export interface Matrix {
  /** The Client-Server API under /_matrix. */
  readonly mounts: Mount[];
  /** Creates a conference room on behalf of its creator, with the invitees granted access and invited. */
  openConference(input: OpenConference): Promise<{ roomId: string }>;
  /** Grants one more person access to a conference and has a member invite them. */
  admitToConference(admission: Admission): Promise<void>;
  /** Ends the bus subscriptions the node's Matrix context holds. */
  close(): void;
}

export function createMatrix(deps: Deps): Matrix {
  // One context for the node: its notifier and token cache listen on the bus for the node's lifetime.
  const ctx = createMatrixContext(deps);
  return {
    mounts: matrixMounts(ctx),
    openConference: (input) => openConference(ctx, input),
    admitToConference: (admission) => admitToConference(ctx, admission),
    close: () => ctx.close(),
  };
}
