/**
 * Stage 3 of the plan reader: canonical data → the plan model (`ModelBuilder`), every range
 * found through the sites of the data's containers; a field of the wrong type is left out of
 * the model.
 */
import type { Located, Plan, PlanDefaults, PlanPackage, TextRange, Verification, VerificationStep, VerificationTier, WorktreeMode } from '../model';
import { assignDefined, isObject, isRecord, setOwn, type Obj } from './planData';
import type { Sites } from './planSites';

/** A scalar as text: strings as is, numbers and booleans written out (ids may be numbers). */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function tierOf(value: unknown): VerificationTier | undefined {
  return value === 'A' || value === 'B' || value === 'C' ? value : undefined;
}

/**
 * What `f` gives for each item, undefined left out, in a list of exactly that length. A list grown
 * by `push`, `filter` or `flatMap` keeps room for about 16 more items (some 110 bytes), which a large
 * plan's model would keep for each of its lists: 26,000 of them, 3 MB, in the generated
 * 3,000-package plan's, all of it copied by each collection that keeps it.
 */
function mapDefined<T, U>(items: readonly T[], f: (item: T, index: number) => U | undefined): U[] {
  const out = items.map(f);
  return (out.includes(undefined) ? out.filter((v) => v !== undefined) : out) as U[];
}

/** Builds the model from the canonical data, finding ranges through the sites of its containers. */
export class ModelBuilder {
  constructor(
    private readonly sites: Sites,
    private readonly rootRange: TextRange,
  ) {}

  plan(data: unknown): Plan {
    const root = isRecord(data) ? data : {};
    const plan: Plan = {
      contractFiles: this.contractFiles(root),
      defaults: defaults(root.defaults),
      packages: [],
      packagesRange: this.range(root, 'packages', this.rootRange),
    };
    if (root.schema_version !== undefined) plan.schemaVersion = root.schema_version;
    if (isRecord(root.feature)) {
      const f = root.feature;
      plan.feature = { range: this.range(root, 'feature', this.rootRange) };
      assignDefined(plan.feature, { id: asText(f.id), title: asText(f.title), planRevision: num(f.plan_revision) });
    }
    if (Array.isArray(root.packages)) {
      root.packages.forEach((p, index) => {
        if (isRecord(p)) plan.packages.push(this.package(p, index, this.range(root.packages, index, plan.packagesRange)));
      });
    }
    return plan;
  }

  /** Where member `key` of `container` was written, else `fallback`. */
  private range(container: unknown, key: string | number, fallback: TextRange, part: 'key' | 'value' = 'value'): TextRange {
    return (isObject(container) ? this.sites.range(container, key, part) : undefined) ?? fallback;
  }

  /** The strings of the list `owner[key]` with their ranges; a lone scalar reads as a one-item list. */
  private strings(owner: Obj, key: string, fallback: TextRange): Located<string>[] {
    const value = owner[key];
    const at = this.range(owner, key, fallback);
    if (!Array.isArray(value)) {
      const one = asText(value);
      return one === undefined ? [] : [{ value: one, range: at }];
    }
    return mapDefined(value, (item, k) => {
      const s = asText(item);
      return s === undefined ? undefined : { value: s, range: this.sites.range(value, k, 'value') ?? at };
    });
  }

  private contractFiles(root: Obj): Located<string>[] {
    const contracts = isRecord(root.contracts) ? root.contracts : {};
    const openapi = isRecord(contracts.openapi) ? contracts.openapi : {};
    const at = this.range(contracts, 'openapi', this.range(root, 'contracts', this.rootRange));
    const all = [...this.strings(openapi, 'primary', at), ...this.strings(openapi, 'files', at)];
    const seen = new Set<string>();
    return all.filter((f) => !seen.has(f.value) && seen.add(f.value));
  }

  private package(p: Obj, index: number, range: TextRange): PlanPackage {
    const scope = isRecord(p.scope) ? p.scope : {};
    const locks = isRecord(p.locks) ? p.locks : {};
    const scopeRange = this.range(p, 'scope', range);
    const locksRange = this.range(p, 'locks', range);
    const keyRanges: Record<string, TextRange> = {};
    this.sites.forEachKey(p, (keyRange, key) => (keyRanges[key] = keyRange));

    const pkg: PlanPackage = {
      id: asText(p.package_id) ?? '',
      idRange: this.range(p, 'package_id', range),
      range,
      index,
      dependsOn: this.strings(p, 'depends_on', range),
      scope: {
        writeAllow: this.strings(scope, 'write_allow', scopeRange),
        readAllow: this.strings(scope, 'read_allow', scopeRange),
        deny: this.strings(scope, 'deny', scopeRange),
      },
      locks: {
        files: this.strings(locks, 'files', locksRange),
        keys: this.strings(locks, 'keys', locksRange),
      },
      keyRanges,
    };
    assignDefined(pkg.locks, { ttlMinutes: num(locks.ttl_minutes), reason: asText(locks.reason) });
    assignDefined(pkg, {
      title: asText(p.title),
      description: asText(p.description),
      taskType: asText(p.task_type),
      priority: num(p.priority),
      timeoutMinutes: num(p.timeout_minutes),
      retryBudget: num(p.retry_budget),
      worktree: worktree(p.worktree),
      verification: this.verification(p.verification, this.range(p, 'verification', range)),
      outputs: outputs(p.outputs),
      inputs: jsonData(p.inputs),
    });
    return pkg;
  }

  private verification(value: unknown, range: TextRange): Verification | undefined {
    if (!isRecord(value)) return undefined;
    const steps = Array.isArray(value.steps) ? value.steps : [];
    const stepsRange = this.range(value, 'steps', range);
    const out: Verification = {
      steps: mapDefined(steps, (step, k) =>
        isRecord(step)
          ? assignDefined<VerificationStep>(
              { name: asText(step.name) ?? '', kind: asText(step.kind) ?? '', range: this.range(steps, k, stepsRange) },
              { command: asText(step.command) },
            )
          : undefined,
      ),
    };
    return assignDefined(out, { tier: tierOf(value.tier_required) });
  }
}

function defaults(value: unknown): PlanDefaults {
  const d = isRecord(value) ? value : {};
  return assignDefined<PlanDefaults>(
    {},
    {
      priority: num(d.priority),
      lockTtlMinutes: num(d.lock_ttl_minutes),
      timeoutMinutes: num(d.timeout_minutes),
      retryBudget: num(d.retry_budget),
      verificationTierRequired: tierOf(d.verification_tier_required),
      minTrustLevel: num(d.min_trust_level),
    },
  );
}

function worktree(value: unknown): PlanPackage['worktree'] {
  if (!isRecord(value)) return undefined;
  const mode = value.mode === 'isolated' || value.mode === 'shared' ? (value.mode as WorktreeMode) : undefined;
  return assignDefined<NonNullable<PlanPackage['worktree']>>({}, { name: asText(value.name), mode });
}

function outputs(value: unknown): PlanPackage['outputs'] {
  if (!isRecord(value)) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? mapDefined(v, asText) : []);
  return { resultKeys: list(value.result_keys), artifacts: list(value.artifacts) };
}

/** A plain-JSON copy of `value` (strings, finite numbers, booleans, null, arrays, objects); other leaves are dropped. */
function jsonData(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth > 64) return undefined;
  if (Array.isArray(value)) return mapDefined(value, (v) => jsonData(v, depth + 1));
  if (isRecord(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const copy = jsonData(v, depth + 1);
      if (copy !== undefined) setOwn(out, k, copy);
    }
    return out;
  }
  return undefined;
}
