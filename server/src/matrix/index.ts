// The Matrix layer's public face for the rest of Rinki.
export { matrixMounts } from './routes.ts';
export { grantConferenceAccess } from './rooms.ts';
export { issueMatrixLoginToken } from './login.ts';
