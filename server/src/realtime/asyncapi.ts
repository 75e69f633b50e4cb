// The Socket.IO API as an AsyncAPI 3.0 document (/api/asyncapi.json), generated
// from the command() specs the gateway answers and the pushes it sends: each
// event name is a channel; a command is an operation Rinki receives, answered
// through the acknowledgement (the operation's reply), a push one it sends.
import { z, type ZodType } from 'zod';
import { SESSION_COOKIE } from '../auth/authenticate.ts';
import { commandRefusal, type SocketCommand } from './api.ts';
import { PUSHES } from './pushes.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: ZodType, io: 'input' | 'output'): JsonSchema {
  // AsyncAPI's default schema format is a superset of JSON Schema draft 7.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io });
  return rest;
}

/** Channel and operation ids: the event name with ':' as '.', as AsyncAPI ids allow letters, digits, '.', '-' and '_'. */
const idOf = (event: string) => event.replaceAll(':', '.');
const ref = (...path: string[]) => ({ $ref: `#/${path.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}` });

export function asyncApiDocument(publicUrl: string, commands: readonly SocketCommand[]) {
  const url = new URL(publicUrl);
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const add = (event: string, channel: { messages: Record<string, unknown> }, operation: JsonSchema) => {
    const id = idOf(event);
    if (channels[id]) throw new Error(`two socket events share the id ${id}`);
    channels[id] = { address: event, ...channel };
    operations[id] = { channel: ref('channels', id), ...operation };
  };

  for (const c of commands) {
    const id = idOf(c.name);
    const ack = z.union([z.object({ ok: z.literal(true) }).extend(c.reply.shape), commandRefusal]);
    add(
      c.name,
      {
        messages: {
          command: { name: c.name, title: `${c.name} payload`, payload: jsonSchema(c.payload, 'input') },
          ack: { name: `${c.name} acknowledgement`, title: `${c.name} acknowledgement`, payload: jsonSchema(ack, 'output') },
        },
      },
      {
        action: 'receive',
        summary: c.summary,
        description: `Who may call it: ${c.allowed}.`,
        messages: [ref('channels', id, 'messages', 'command')],
        reply: { channel: ref('channels', id), messages: [ref('channels', id, 'messages', 'ack')] },
      },
    );
  }
  for (const p of Object.values(PUSHES)) {
    add(
      p.name,
      { messages: { push: { name: p.name, title: p.name, payload: jsonSchema(p.payload, 'output') } } },
      { action: 'send', summary: p.summary, description: `Sent to ${p.to}.`, messages: [ref('channels', idOf(p.name), 'messages', 'push')] },
    );
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Rinki live API (Socket.IO)',
      version: '0.1.0',
      description:
        'Commands: the client emits the event with one payload object and an acknowledgement callback; the acknowledgement is ' +
        '{ok: true, …} or {ok: false, status, error, issues?}, status as REST answers the same refusal (400 a bad payload, nothing done; ' +
        '403 or 404 not allowed; 404 an unknown command). Pushes: events Rinki emits to the rooms a socket is in.',
    },
    defaultContentType: 'application/json',
    servers: {
      rinki: {
        host: url.host,
        protocol: url.protocol === 'https:' ? 'wss' : 'ws',
        pathname: '/socket.io',
        description: 'Socket.IO 4 (WebSocket or long polling) at /socket.io, from the public origin only',
        security: [ref('components', 'securitySchemes', 'session'), ref('components', 'securitySchemes', 'bearer')],
      },
    },
    channels,
    operations,
    components: {
      securitySchemes: {
        session: { type: 'httpApiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The web session cookie' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token, given as `auth: {token}` in the Socket.IO handshake' },
      },
    },
  };
}
