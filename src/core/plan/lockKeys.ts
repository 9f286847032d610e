/**
 * Lock keys: the namespaces of the plan format and their canonical forms
 * (see the format's lock-key-namespaces document, summarised in docs/diagnostics.md).
 */

export const LOCK_NAMESPACES = ['api', 'db', 'event', 'flag', 'env', 'contract', 'feature'] as const;
export type LockNamespace = (typeof LOCK_NAMESPACES)[number];

export type LockKeyVerdict =
  | { ok: true; namespace: LockNamespace }
  | { ok: false; kind: 'namespace'; message: string }
  | { ok: false; kind: 'form'; message: string; canonical?: string };

/**
 * Judge one logical lock key. `contractFiles` are the plan's contract paths, against which
 * `contract:` keys are checked when the plan names any.
 */
export function checkLockKey(key: string, contractFiles: readonly string[] = []): LockKeyVerdict {
  const colon = key.indexOf(':');
  if (colon <= 0) {
    return {
      ok: false,
      kind: 'namespace',
      message: `Lock key \`${key}\` has no namespace; logical keys start with one of ${LOCK_NAMESPACES.map((n) => `\`${n}:\``).join(', ')} (file paths belong in \`locks.files\`)`,
    };
  }
  const ns = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (!(LOCK_NAMESPACES as readonly string[]).includes(ns)) {
    const lower = ns.toLowerCase();
    const hint = (LOCK_NAMESPACES as readonly string[]).includes(lower) ? `; write \`${lower}:\`` : '';
    return {
      ok: false,
      kind: 'namespace',
      message: `Lock key \`${key}\` uses the unknown namespace \`${ns}:\`; known namespaces are ${LOCK_NAMESPACES.join(', ')}${hint}`,
    };
  }
  const namespace = ns as LockNamespace;
  const form = (message: string, canonical?: string): LockKeyVerdict => ({
    ok: false,
    kind: 'form',
    message: `Lock key \`${key}\`: ${message}`,
    canonical: canonical !== undefined && canonical !== key ? canonical : undefined,
  });
  if (rest.trim() === '') return form(`the \`${ns}:\` namespace needs a value after the colon`);
  if (rest !== rest.trim()) return form('remove the surrounding white space', `${ns}:${rest.trim()}`);

  switch (namespace) {
    case 'api': {
      const m = /^(\S+)\s+(\S.*)$/.exec(rest);
      if (!m) return form('write `api:<METHOD> <PATH>`, e.g. `api:GET /v1/users`');
      const [, method, path] = m;
      const canonical = `api:${method.toUpperCase()} ${path.trim()}`;
      if (!path.startsWith('/')) return form('the path must start with `/`');
      if (!/^[A-Za-z]+$/.test(method)) return form('the method must be a word such as GET or POST');
      if (canonical !== key) return form('the method is upper case and one space separates it from the path', canonical);
      return { ok: true, namespace };
    }
    case 'db': {
      if (rest === 'migration-slot') return { ok: true, namespace };
      if (!rest.startsWith('schema:')) return form('write `db:migration-slot` or `db:schema:<table>`');
      const table = rest.slice('schema:'.length);
      if (/^[a-z0-9_]+$/.test(table)) return { ok: true, namespace };
      const lower = table.toLowerCase();
      return form(
        'table names are lower-case letters, digits and underscores',
        /^[a-z0-9_]+$/.test(lower) ? `db:schema:${lower}` : undefined,
      );
    }
    case 'event': {
      const ok = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
      if (ok.test(rest)) return { ok: true, namespace };
      const lower = rest.toLowerCase();
      return form('channels are lower case and dot-separated', ok.test(lower) ? `event:${lower}` : undefined);
    }
    case 'flag': {
      const ok = /^[a-z0-9_*.-]+(\/[a-z0-9_*.-]+)*$/;
      if (ok.test(rest)) return { ok: true, namespace };
      const lower = rest.toLowerCase();
      return form('flag namespaces are lower case and slash-delimited', ok.test(lower) ? `flag:${lower}` : undefined);
    }
    case 'env':
      if (/^\d+$/.test(rest)) return form('ports are not lock keys; `env:` is for shared resources such as fixtures');
      return { ok: true, namespace };
    case 'contract':
      if (contractFiles.length > 0 && !contractFiles.includes(rest)) {
        return form(`\`${rest}\` is not one of the plan's contract files (${contractFiles.join(', ')})`);
      }
      return { ok: true, namespace };
    case 'feature': {
      const m = /^([^:]+):([^:]+)$/.exec(rest);
      // The purpose is free text (`pause` is the one the coordinator itself uses).
      if (!m) return form('write `feature:<id>:<purpose>`, e.g. `feature:FEAT-123:pause`');
      return { ok: true, namespace };
    }
  }
}
