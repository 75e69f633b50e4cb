// The browser app's texts, checked without a browser: every routing
// explanation the server documents has words in each language, and each
// translation fills the same parameters as the Finnish text (a Swedish text
// missing {opens} would show less than the Finnish one).
import { expect } from 'chai';
import { en } from '../client/src/i18n/en.ts';
import { fi } from '../client/src/i18n/fi.ts';
import { sv } from '../client/src/i18n/sv.ts';
import { ROUTING_MESSAGES } from '../shared/src/routing.ts';

const params = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('browser texts', () => {
  it('has words for every routing explanation key the server documents', () => {
    // Rule problems read from ROUTING_MESSAGES itself; exclusions by their reason (excluded.<reason>, typed).
    const keys = Object.keys(ROUTING_MESSAGES).filter((k) => !k.startsWith('routing.rule.') && !k.startsWith('routing.excluded.'));
    expect(keys).to.include('routing.step.team_closed');
    for (const key of keys) expect(fi, key).to.have.property(`explain.${key}`);
  });

  it('fills the same parameters in Swedish and English as in Finnish, and leaves no text empty', () => {
    for (const [key, text] of Object.entries(fi)) {
      for (const [lang, texts] of [['sv', sv], ['en', en]] as const) {
        const other = texts[key as keyof typeof texts];
        expect(other.trim(), `${lang} ${key}`).not.to.equal('');
        expect(params(other), `${lang} ${key}`).to.deep.equal(params(text));
      }
    }
  });
});
