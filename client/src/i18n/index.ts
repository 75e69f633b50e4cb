// The app's texts: a language signal and t(key, params). The language choice is
// kept in localStorage (it is not client data); Finnish is the default.
import { signal } from '@preact/signals';
import { en } from './en.ts';
import { fi, type TextKey } from './fi.ts';
import { sv } from './sv.ts';

export const LANGUAGES = ['fi', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const TEXTS = { fi, sv, en };
const STORAGE_KEY = 'rinki.language';

const stored = localStorage.getItem(STORAGE_KEY);
export const language = signal<Language>(LANGUAGES.includes(stored as Language) ? (stored as Language) : 'fi');

export function setLanguage(lang: Language): void {
  language.value = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
}
document.documentElement.lang = language.value;

export function t(key: TextKey, params: Record<string, unknown> = {}): string {
  const text: string = TEXTS[language.value][key] ?? fi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (params[name] === undefined ? `{${name}}` : String(params[name])));
}

/** A server explanation ({key, params}) in the reader's language; unknown keys still say something. */
export function explain(text: { key: string; params?: Record<string, unknown> } | null | undefined): string {
  if (!text) return '';
  const key = `explain.${text.key}` as TextKey;
  if (!(key in fi)) return t('explain.unknown', { key: text.key });
  // Times and codes in the parameters read in the reader's language too.
  const params = Object.fromEntries(
    Object.entries(text.params ?? {}).map(([name, value]) => {
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return [name, formatTime(value)];
      if (name === 'strategy' && typeof value === 'string' && `rules.strategy.${value}` in fi) return [name, t(`rules.strategy.${value}` as TextKey).toLowerCase()];
      return [name, value];
    }),
  );
  return t(key, params);
}

/** A name the server gives in Finnish and Swedish. */
export function localName(o: { nameFi: string; nameSv: string }): string {
  return language.value === 'sv' ? o.nameSv : o.nameFi;
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(language.value === 'en' ? 'en-GB' : `${language.value}-FI`, { dateStyle: 'short', timeStyle: 'short' });
}
