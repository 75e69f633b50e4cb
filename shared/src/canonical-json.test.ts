import { expect } from 'chai';
import { canonicalJson, compareCodePoints } from './canonical-json.ts';

describe('canonical JSON', () => {
  it("encodes the Matrix spec's examples (appendices, Canonical JSON) as the spec gives them", () => {
    // Each input is the spec's example as JSON text, parsed as a Matrix body would be.
    const examples: [string, string][] = [
      ['{}', '{}'],
      ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
      ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
      ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
      [
        `{
          "auth": {
            "success": true,
            "mxid": "@john.doe:example.com",
            "profile": {
              "display_name": "John Doe",
              "three_pids": [
                { "medium": "email", "address": "john.doe@example.org" },
                { "medium": "msisdn", "address": "123456789" }
              ]
            }
          }
        }`,
        '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
      ],
      ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
      ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
      ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
      ['{\n    "a": null\n}', '{"a":null}'],
    ];
    for (const [input, canonical] of examples) expect(canonicalJson(JSON.parse(input)), input).to.equal(canonical);
  });

  it("escapes strings as the spec's grammar does: quote, backslash and control characters only", () => {
    expect(canonicalJson({ s: '"\\\b\f\n\r\t\u0000\u001f\u007f/é\u2028😀' })).to.equal('{"s":"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f/é\u2028😀"}');
  });

  it('sorts keys by code point, where UTF-16 order would put a character above U+FFFF first', () => {
    // U+1F600 is the surrogate pair D83D DE00; U+FFFD is one unit. By code point U+FFFD comes first.
    expect(canonicalJson({ '\u{1F600}': 2, '\uFFFD': 1, z: 0 })).to.equal('{"z":0,"\uFFFD":1,"\u{1F600}":2}');
    expect(canonicalJson({ b: { '\u{1F600}': 2, '\uE000': 1, '10': 0 } })).to.equal('{"b":{"10":0,"\uE000":1,"\u{1F600}":2}}');
    const keys = ['\u{10000}', '\uFFFF', '\uE000', '\uD7FF', 'a', '', 'ab', '\u{1F600}'];
    expect([...keys].sort(compareCodePoints)).to.deep.equal([...keys].sort((x, y) => (x.codePointAt(0) ?? -1) - (y.codePointAt(0) ?? -1) || x.length - y.length));
  });

  it('keeps array-index-like keys and __proto__ as ordinary keys', () => {
    expect(canonicalJson({ b: { 10: 'x', 2: 'y', 1: [{ z: 1, a: 2 }] }, a: 1 })).to.equal('{"a":1,"b":{"1":[{"a":2,"z":1}],"10":"x","2":"y"}}');
    // A parsed body can have an own __proto__ key; it is content like any other, never dropped.
    expect(canonicalJson(JSON.parse('{"z":1,"__proto__":{"x":1}}'))).to.equal('{"__proto__":{"x":1},"z":1}');
  });

  it('drops undefined members, writes undefined array items as null, honours toJSON and refuses NaN and Infinity', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x"y'], c: { z: 1, y: undefined, x: 'ä' } })).to.equal('{"a":[true,null,"x\\"y"],"b":1,"c":{"x":"ä","z":1}}');
    expect(canonicalJson({ at: new Date('2026-01-01T00:00:00Z') })).to.equal('{"at":"2026-01-01T00:00:00.000Z"}');
    expect(canonicalJson([undefined, () => 1, { u: undefined }])).to.equal('[null,null,{}]');
    expect(() => canonicalJson({ n: NaN })).to.throw(/NaN/);
    expect(() => canonicalJson([Infinity])).to.throw(/Infinity/);
    expect(() => canonicalJson(undefined)).to.throw(/undefined/);
  });
});
