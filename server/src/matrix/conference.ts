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

/** One more person let into a conference by one of its members. */
export interface Admission {
  roomId: string;
  staffId: string;
  /** The member who invites them; the grant names them too. */
  inviterId: string;
  /** Why they may join (stored with the grant), e.g. 'callback:<callback id>'. */
  grantReason: string;
}

/** `ctx` is the node's one Matrix context (index.ts). */
export async function openConference(ctx: MatrixContext, input: OpenConference): Promise<{ roomId: string }> {
  const creator = await serverSideCaller(ctx, input.creatorId);
  const { room_id: roomId } = await createRoom(ctx, creator, { name: input.name, preset: 'private_chat' });
  for (const staffId of input.inviteeIds) await admit(ctx, creator, roomId, staffId, input.grantReason);
  return { roomId };
}

export async function admitToConference(ctx: MatrixContext, a: Admission): Promise<void> {
  await admit(ctx, await serverSideCaller(ctx, a.inviterId), a.roomId, a.staffId, a.grantReason);
}

async function admit(ctx: MatrixContext, inviter: Caller, roomId: string, staffId: string, grantReason: string): Promise<void> {
  await grantConferenceAccess(ctx.deps.db, roomId, staffId, grantReason, inviter.staffId);
  await invite(ctx, inviter, roomId, ctx.ids.userId(staffId));
}
