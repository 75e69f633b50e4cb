import type { Actor } from './auth/actor.ts';

declare global {
  namespace Express {
    interface Request {
      actor?: Actor;
    }
  }
}
export {};
