// A staff id as a Matrix user id's localpart, with the spec's reversible
// mapping from other character sets (A → _a, _ → __, others → =xx), so ids
// with capitals or ':' stay valid Matrix user ids. The server and the browser
// app map the same way.

export function localpartForStaff(staffId: string): string {
  let out = '';
  for (const ch of staffId) {
    if (/[a-z0-9.\-/]/.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else if (/[A-Z]/.test(ch)) out += '_' + ch.toLowerCase();
    else for (const b of new TextEncoder().encode(ch)) out += '=' + b.toString(16).padStart(2, '0');
  }
  return out;
}

/** The staff id of a localpart, or undefined when it is not one this mapping makes. */
export function staffForLocalpart(localpart: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < localpart.length; i++) {
    const ch = localpart[i];
    if (ch === '_') {
      const next = localpart[i + 1];
      if (next === '_') bytes.push(0x5f);
      else if (next && /[a-z]/.test(next)) bytes.push(next.toUpperCase().charCodeAt(0));
      else return undefined;
      i++;
    } else if (ch === '=') {
      const hex = localpart.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (/[a-z0-9.\-/]/.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
