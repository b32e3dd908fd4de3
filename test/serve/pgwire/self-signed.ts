/** A throwaway self-signed certificate for localhost, made with the openssl CLI. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function selfSignedCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'pgwire-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-keyout',
        'k',
        '-out',
        'c',
        '-days',
        '1',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'c')), key: readFileSync(join(dir, 'k')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
