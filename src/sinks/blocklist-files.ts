/**
 * A block list as the files that enforce it: an nginx include of `deny` directives, a plain
 * list (one address per line), and an `ipset restore` file — one set per address family, with
 * each entry's remaining time as its timeout. Each is replaced atomically (a reader sees the
 * old file or the new one, never a part), in a stable order so that an unchanged list makes
 * the same text.
 */
import { writeFileAtomically } from '../store/atomic-file.ts';
import type { BlockEntry } from './blocklist-state.ts';

export interface BlocklistFiles {
  readonly nginxPath?: string;
  readonly listPath?: string;
  readonly ipsetPath?: string;
  /** The IPv4 set's name; the IPv6 set's is it with `-v6`. */
  readonly ipsetName: string;
  /** The sets' default timeout: the block duration, in seconds. */
  readonly ipsetTimeout: number;
}

/** The entries in the files' order: by family, then address. */
function ordered(entries: readonly BlockEntry[]): BlockEntry[] {
  return [...entries].sort((a, b) =>
    a.family !== b.family ? (a.family === 'ipv4' ? -1 : 1) : a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0,
  );
}

export function nginxDenyText(sink: string, entries: readonly BlockEntry[]): string {
  const lines = ordered(entries).map((e) => `deny ${e.ip};\n`);
  return `# tidewatch blocklist sink ${sink}: ${entries.length} address(es); replaced whole, do not edit\n${lines.join('')}`;
}

export function plainListText(entries: readonly BlockEntry[]): string {
  return ordered(entries)
    .map((e) => `${e.ip}\n`)
    .join('');
}

/** `ipset restore` input: both sets created if missing, emptied and filled with what is blocked now. */
export function ipsetText(files: BlocklistFiles, entries: readonly BlockEntry[], now: number): string {
  const out: string[] = [];
  const max = 2_147_483; // ipset's largest timeout, in seconds
  for (const [family, name] of [
    ['inet', files.ipsetName],
    ['inet6', `${files.ipsetName}-v6`],
  ] as const) {
    out.push(`create ${name} hash:ip family ${family} timeout ${Math.min(max, files.ipsetTimeout)} -exist\n`);
    out.push(`flush ${name}\n`);
    for (const e of ordered(entries))
      if ((e.family === 'ipv4') === (family === 'inet')) {
        const left = Math.min(max, Math.max(1, Math.ceil((e.until - now) / 1000)));
        out.push(`add ${name} ${e.ip} timeout ${left} -exist\n`);
      }
  }
  return out.join('');
}

/** Writes every file configured; throws the system's error naming the file. */
export function writeBlocklistFiles(
  sink: string,
  files: BlocklistFiles,
  entries: readonly BlockEntry[],
  now: number,
): void {
  const write = (path: string | undefined, text: () => string) => {
    if (path === undefined) return;
    try {
      writeFileAtomically(path, text());
    } catch (e) {
      throw new Error(`writing ${path}: ${(e as Error).message}`);
    }
  };
  write(files.nginxPath, () => nginxDenyText(sink, entries));
  write(files.listPath, () => plainListText(entries));
  write(files.ipsetPath, () => ipsetText(files, entries, now));
}
