// The app's texts: a language signal and t(key, params). The language choice is
// kept in localStorage (it is not client data); Finnish is the default.
// Every key is typed: t() takes only keys of fi.ts, and sv.ts and en.ts must
// have each of them, so a missing or misspelt text fails the typecheck. Codes
// that arrive from elsewhere (the server, another browser) go through hasText
// and fall back to a readable text of their own kind (see words.ts).
import { signal } from '@preact/signals';
import { en } from './en.ts';
import { fi, type TextKey } from './fi.ts';
import { sv } from './sv.ts';

export type { TextKey };
export const LANGUAGES = ['fi', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const TEXTS = { fi, sv, en };
const STORAGE_KEY = 'rinki.language';

const stored = localStorage.getItem(STORAGE_KEY);
export const language = signal<Language>(LANGUAGES.find((l) => l === stored) ?? 'fi');

export function setLanguage(lang: Language): void {
  language.value = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
}
document.documentElement.lang = language.value;

export function t(key: TextKey, params: Record<string, unknown> = {}): string {
  return TEXTS[language.value][key].replace(/\{(\w+)\}/g, (_, name: string) => (params[name] === undefined ? `{${name}}` : String(params[name])));
}

/** Whether a key built from a code someone else sent names a text. */
export function hasText(key: string): key is TextKey {
  return Object.hasOwn(fi, key);
}

/** The text of a key built from a code someone else sent, or the readable fallback when this app has none. */
export function textOr(key: string, fallback: TextKey, params: Record<string, unknown> = {}): string {
  return t(hasText(key) ? key : fallback, params);
}

/** A name the server gives in Finnish and Swedish. */
export function localName(o: { nameFi: string; nameSv: string }): string {
  return language.value === 'sv' ? o.nameSv : o.nameFi;
}

/** A person's organisation, named in the reader's language. */
export function organisationName(p: { organisationNameFi: string; organisationNameSv: string }): string {
  return language.value === 'sv' ? p.organisationNameSv : p.organisationNameFi;
}

const locale = () => (language.value === 'en' ? 'en-GB' : `${language.value}-FI`);

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'short', timeStyle: 'short' });
}

/** When a team opens, as its hours are kept (Helsinki time): "ma 8.00", or with the date when it is a week or more away. */
export function formatOpening(iso: string, now = Date.now()): string {
  const at = new Date(iso);
  const far = at.getTime() - now >= 6 * 86_400_000;
  return at.toLocaleString(locale(), { timeZone: 'Europe/Helsinki', weekday: 'short', ...(far ? { day: 'numeric', month: 'numeric' } : {}), hour: 'numeric', minute: '2-digit' });
}
