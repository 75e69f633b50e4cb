// Small pieces every view uses the same way.
import type { ComponentChildren } from 'preact';

/** A failure said in plain words, announced to screen readers at once. */
export function ErrorText({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** A table's column headings. */
export function TableHead({ columns }: { columns: ComponentChildren[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th scope="col">{c}</th>
        ))}
      </tr>
    </thead>
  );
}

/** "fi, sv" → ['fi', 'sv']: the comma-separated code lists of the admin forms. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
