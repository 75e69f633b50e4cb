// Declaring a REST endpoint once: its zod schemas validate the request at the
// edge and the same schemas describe it in /api/openapi.json.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import type { ZodType } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { invalid, unauthorized } from './errors.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<B, Q, P> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: P;
}

export interface RouteSpec<B, Q, P, R> {
  method: Method;
  /** Express path, e.g. /api/clients/:id */
  path: string;
  tag: string;
  summary: string;
  /** 'public' routes need no sign-in; all others require an actor. */
  auth?: 'public' | 'signed-in';
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  response?: ZodType<R>;
  /** Status for a successful answer (default 200; 204 sends no body). */
  status?: number;
  handler: (ctx: RouteContext<B, Q, P> & { actor: Actor }) => Promise<R | void>;
}

export const openApiRegistry = new OpenAPIRegistry();

export function route<B = undefined, Q = undefined, P = undefined, R = unknown>(
  router: Router,
  spec: RouteSpec<B, Q, P, R>,
): void {
  const publicRoute = spec.auth === 'public';
  openApiRegistry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:(\w+)/g, '{$1}'),
    tags: [spec.tag],
    summary: spec.summary,
    ...(publicRoute ? {} : { security: [{ session: [] }, { bearer: [] }] }),
    request: {
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.params ? { params: spec.params as never } : {}),
    },
    responses: {
      [spec.status ?? 200]: spec.response
        ? { description: 'OK', content: { 'application/json': { schema: spec.response } } }
        : { description: 'OK' },
      400: { description: 'Invalid request: the message names each bad field' },
      ...(publicRoute ? {} : { 401: { description: 'Sign-in required' }, 403: { description: 'Not allowed' } }),
    },
  });

  router[spec.method](spec.path, async (req, res) => {
    const actor = req.actor;
    if (!publicRoute && !actor) throw unauthorized();
    const parse = <T>(schema: ZodType<T> | undefined, value: unknown, where: 'body' | 'query' | 'params'): T => {
      if (!schema) return undefined as T;
      const r = schema.safeParse(value ?? {});
      if (!r.success) throw invalid(r.error, where);
      return r.data;
    };
    const params = parse(spec.params, req.params, 'params');
    const query = parse(spec.query, req.query, 'query');
    const body = parse(spec.body, req.body, 'body');
    const result = await spec.handler({ req, res, body, query, params, actor: actor as Actor });
    if (res.headersSent) return;
    const status = spec.status ?? 200;
    if (status === 204 || result === undefined) res.status(status === 200 ? 204 : status).end();
    else res.status(status).json(result);
  });
}

export function openApiDocument(publicUrl: string) {
  openApiRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  openApiRegistry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'rinki_session' });
  return new OpenApiGeneratorV31(openApiRegistry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Rinki control plane API', version: '0.1.0' },
    servers: [{ url: publicUrl }],
  });
}
