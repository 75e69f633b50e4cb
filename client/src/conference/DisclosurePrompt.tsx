// Before client data leaves this browser: which categories, on which basis,
// to whom. The server records the disclosure or refuses it; on refusal nothing is sent.
import { useEffect, useState } from 'preact/hooks';
import { localName, t } from '../i18n/index.ts';
import { disclosureCatalogue, type DisclosureCatalogue } from './disclose.ts';

export interface DisclosureChoice {
  categories: string[];
  basis: string;
}

export function DisclosurePrompt(props: {
  defaultCategories: string[];
  recipientNames: string[];
  busy: boolean;
  error: string;
  onConfirm(choice: DisclosureChoice, nameOf: (code: string) => string): void;
  onCancel(): void;
}) {
  const [catalogue, setCatalogue] = useState<DisclosureCatalogue>();
  const [categories, setCategories] = useState<string[]>(props.defaultCategories);
  const [basis, setBasis] = useState('totul_18');
  useEffect(() => {
    disclosureCatalogue().then(setCatalogue, () => undefined);
  }, []);
  if (!catalogue) return <p role="status">{t('app.loading')}</p>;
  const nameOf = (code: string) => {
    const c = catalogue.categories.find((x) => x.code === code);
    return c ? localName(c) : code;
  };
  return (
    <section class="disclosure" aria-labelledby="disclose-title">
      <h3 id="disclose-title">{t('disclose.title')}</h3>
      <p>{t('disclose.intro')}</p>
      <p>{t('disclose.recipients', { names: props.recipientNames.join(', ') })}</p>
      <fieldset>
        <legend>{t('disclose.categories')}</legend>
        {catalogue.categories.map((c) => (
          <label class="block">
            <input
              type="checkbox"
              name="category"
              value={c.code}
              checked={categories.includes(c.code)}
              onChange={(e) => setCategories(e.currentTarget.checked ? [...categories, c.code] : categories.filter((x) => x !== c.code))}
            />{' '}
            {localName(c)}
          </label>
        ))}
      </fieldset>
      <label for="disclose-basis">{t('disclose.basis')}</label>
      <select id="disclose-basis" value={basis} onChange={(e) => setBasis(e.currentTarget.value)}>
        {catalogue.bases.map((b) => (
          <option value={b.code}>{localName(b)}</option>
        ))}
      </select>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={props.busy || categories.length === 0} onClick={() => props.onConfirm({ categories, basis }, nameOf)}>
          {t('disclose.confirm')}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('item.cancel')}
        </button>
      </div>
    </section>
  );
}
