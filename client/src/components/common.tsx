// Small pieces every view uses the same way.
import type { ComponentChildren } from 'preact';
import { directoryTick, personLine } from '../api/directory.ts';

/** A failure said in plain words, announced to screen readers at once. */
export function ErrorText({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** A person by name, read from the directory (their id only until the name arrives, as code). */
export function PersonName({ staffId }: { staffId: string }) {
  void directoryTick.value;
  const name = personLine(staffId)?.name;
  return name ? <>{name}</> : <code>{staffId}</code>;
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
