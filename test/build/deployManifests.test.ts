/**
 * The pull worker's deployment files (deploy/, ADR 0037) hold together: the Kubernetes manifests
 * parse, the Deployment runs the image's user with what bubblewrap needs in a pod, its Secret
 * references name keys the Secret has, KEDA's ScaledObject scales that Deployment with a query on
 * the queue's table and columns as the coordinator's schema has them, and the Containerfile
 * installs the agent CLIs at the versions scripts/agent-clis.sh pins. (Only parsed here: no
 * cluster runs them. The image itself is built and run in test/containers/workerImage.test.ts,
 * and the ScaledObject's query runs there against a real PostgreSQL.)
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { PRESETS } from '../../src/core/agents/agentProfiles';
import { MIGRATIONS } from '../../src/engine/coordinator/pgSchema';

const root = path.resolve(__dirname, '..', '..');
const kube = path.join(root, 'deploy', 'kubernetes');

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the manifests' shapes are Kubernetes', read loosely here

/** Every document of every manifest, parsed (a YAML error fails the test, naming the file). */
function manifests(): Doc[] {
  return fs.readdirSync(kube).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(kube, f), 'utf8')).map((d) => {
      assert.deepEqual(d.errors.map(String), [], f);
      return d.toJS() as Doc;
    }),
  );
}
const one = (docs: Doc[], kind: string, name?: string) => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ''}`);
  return found[0]!;
};

describe('deploy/: the pull worker on Kubernetes', () => {
  it('the manifests parse: the Secrets, the Deployment, and KEDA\'s TriggerAuthentication and ScaledObject', () => {
    const docs = manifests();
    assert.deepEqual(docs.map((d) => d.kind).sort(), ['Deployment', 'ScaledObject', 'Secret', 'Secret', 'TriggerAuthentication']);
  });

  it("the Deployment runs the image's user with what bubblewrap needs in a pod, and its secrets' keys exist", () => {
    const docs = manifests();
    const deployment = one(docs, 'Deployment', 'waves-worker');
    const pod = deployment.spec.template.spec;
    const [worker] = pod.containers as Doc[];
    assert.equal(deployment.spec.replicas, undefined, 'KEDA sets the replicas');
    assert.equal(pod.hostUsers, false, 'a user namespace of its own: Kubernetes allows procMount Unmasked only with it');
    assert.equal(worker!.securityContext.procMount, 'Unmasked', "bubblewrap mounts the walls' own /proc");
    assert.equal(pod.securityContext.seccompProfile.type, 'Unconfined');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const user = /^USER (\d+):\d+$/m.exec(fs.readFileSync(path.join(root, 'deploy', 'worker', 'Containerfile'), 'utf8'))?.[1];
    assert.equal(String(pod.securityContext.runAsUser), user, "the Containerfile's user");
    assert.ok(pod.terminationGracePeriodSeconds >= 600, 'time to finish the package under way');
    assert.deepEqual((worker!.volumeMounts as Doc[]).map((m) => m.mountPath), ['/work']);
    const env = Object.fromEntries((worker!.env as Doc[]).map((e) => [e.name, e.valueFrom]));
    for (const name of ['WAVES_COORDINATOR', 'WAVES_REMOTE']) {
      const ref = env[name]?.secretKeyRef as Doc | undefined;
      assert.ok(ref, `${name} comes from a Secret`);
      assert.ok(ref.key in one(docs, 'Secret', ref.name).stringData, `${ref.name} has ${ref.key}`);
    }
    assert.deepEqual(worker!.args.slice(0, 2), ['--name', '$(POD_NAME)']);
  });

  it("KEDA's ScaledObject scales the Deployment on a query of the queue's own columns, counting the packages waiting and under way", () => {
    const docs = manifests();
    const scaled = one(docs, 'ScaledObject');
    assert.equal(scaled.spec.scaleTargetRef.name, one(docs, 'Deployment').metadata.name);
    const [trigger] = scaled.spec.triggers as Doc[];
    assert.equal(trigger!.type, 'postgresql');
    const auth = one(docs, 'TriggerAuthentication', trigger!.authenticationRef.name);
    const [secretRef] = auth.spec.secretTargetRef as Doc[];
    assert.equal(secretRef!.parameter, 'connection');
    assert.ok(secretRef!.key in one(docs, 'Secret', secretRef!.name).stringData);
    const query = String(trigger!.metadata.query);
    const table = MIGRATIONS.find((m) => m.includes('CREATE TABLE waves_queue'))!;
    assert.match(query, /^SELECT count\(\*\) FROM waves_queue\b/);
    for (const column of query.match(/\b(repo_key|agent|state|[a-z_]+(?= (?:=|IN) ))/g) ?? []) assert.match(table, new RegExp(`^\\s+${column}\\s`, 'm'), `waves_queue has ${column}`);
    assert.match(query, /state IN \('ready', 'claimed'\)/);
    // The agent counted is the one the Deployment offers, and a preset's id `waves worker --agents` takes (not a CLI's name).
    const args = (one(docs, 'Deployment').spec.template.spec.containers[0].args as string[]);
    const agent = args[args.indexOf('--agents') + 1]!;
    assert.ok(PRESETS.some((p) => p.id === agent && !p.interactive), `--agents ${agent} is a headless preset's id`);
    assert.match(query, new RegExp(`agent = '${agent}'`));
  });

  it('the Containerfile installs the agent CLIs at the versions scripts/agent-clis.sh pins, and runs its entry point as a user other than root', () => {
    const containerfile = fs.readFileSync(path.join(root, 'deploy', 'worker', 'Containerfile'), 'utf8');
    const clis = fs.readFileSync(path.join(root, 'scripts', 'agent-clis.sh'), 'utf8');
    for (const name of ['CLAUDE_CODE', 'CODEX', 'GEMINI_CLI', 'COPILOT']) {
      const pinned = new RegExp(`^${name}_VERSION=\\$\\{WAVES_${name}_VERSION:-([^}]+)\\}$`, 'm').exec(clis)?.[1];
      assert.ok(pinned, `agent-clis.sh pins ${name}`);
      assert.match(containerfile, new RegExp(`^ARG ${name}_VERSION=${pinned!.replace(/\./g, '\\.')}$`, 'm'), `the Containerfile's ${name} is ${pinned}`);
    }
    assert.match(containerfile, /^USER 1000:1000$/m);
    assert.match(containerfile, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/usr\/local\/bin\/waves-worker-entrypoint"\]$/m);
    assert.doesNotMatch(fs.readFileSync(path.join(root, 'deploy', 'worker', 'entrypoint.sh'), 'utf8'), /\beval\b|sh -c/, 'nothing from the environment goes through a shell string');
  });
});
