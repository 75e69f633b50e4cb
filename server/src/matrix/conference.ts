// Conferences the control plane opens (routing on accept, callbacks): the room
// is created on behalf of its first member, the others are granted access
// (a cross-organisation conference exists only because routing put them there)
// and invited. Each step is its own Matrix write, like a client's would be.
import type { Caller, MatrixContext } from './context.ts';
import { createRoom, grantConferenceAccess, invite } from './rooms.ts';

/** Who the server acts as: the person, on no device (state events carry no device). */
async function serverSideCaller(ctx: MatrixContext, staffId: string): Promise<Caller> {
  const root = (await ctx.deps.directory.snapshot()).rootOf(staffId);
  if (!root) throw new Error(`no staff member ${staffId}`);
  return { staffId, userId: ctx.ids.userId(staffId), deviceId: '', rootOrganisationId: root };
}

export interface OpenConference {
  creatorId: string;
  inviteeIds: string[];
  /** Shown as the room name: a code such as the request type, never client data. */
  name: string;
  /** Why the invitees may join (stored with the grant), e.g. 'routing:<request id>'. */
  grantReason: string;
}

/** `ctx` is the node's one Matrix context (rinki.ts). */
export async function openConference(ctx: MatrixContext, input: OpenConference): Promise<{ roomId: string }> {
  const creator = await serverSideCaller(ctx, input.creatorId);
  const { room_id: roomId } = await createRoom(ctx, creator, { name: input.name, preset: 'private_chat' });
  for (const staffId of input.inviteeIds) {
    await grantConferenceAccess(ctx.deps.db, roomId, staffId, input.grantReason, input.creatorId);
    await invite(ctx, creator, roomId, ctx.ids.userId(staffId));
  }
  return { roomId };
}
