// The language choice, on the sign-in view and in the top bar.
import { LANGUAGES, language, setLanguage, t, type Language } from '../i18n/index.ts';

export function LanguagePicker() {
  return (
    <label class="inline">
      {t('lang.label')}{' '}
      <select value={language.value} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
        {LANGUAGES.map((l) => (
          <option value={l}>{{ fi: 'suomi', sv: 'svenska', en: 'English' }[l]}</option>
        ))}
      </select>
    </label>
  );
}
