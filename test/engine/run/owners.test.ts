/**
 * Each piece of the run's mutable state has one owner (src/engine/run/context.ts,
 * liveAttempts.ts, holds.ts): the class whose private fields hold it, changed only through its
 * methods. What a part asks of the loop is a call on `LoopHandoffs` (handoffs.ts), given to its
 * constructor — no part assigns a field of the shared context, a callback slot least of all.
 * Read from the source with TypeScript's parser, as test/core/importCycles.test.ts reads imports.
 *
 * Run: node --import tsx --test test/engine/run/owners.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ENGINE = path.resolve(__dirname, '../../../src/engine');

/** Every .ts file under src/engine, repo-relative text by path. */
function engineSources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(ENGINE, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(path.relative(ENGINE, file).split(path.sep).join('/'), fs.readFileSync(file, 'utf8'));
  }
  return out;
}

/** The shared context and the owners of the run's mutable state, by file under src/engine. */
const OWNERS = { 'run/context.ts': 'RunContext', 'run/liveAttempts.ts': 'LiveAttempts', 'run/holds.ts': 'StartHolds' };

const MUTATORS = new Set(['set', 'add', 'delete', 'clear', 'push', 'pop', 'shift', 'unshift', 'splice']);

/** The expression is the shared context (`ctx`, `this.ctx`) or reached through it (`ctx.a.b`). */
function reachesContext(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === 'ctx';
  if (ts.isPropertyAccessExpression(node) && node.name.text === 'ctx' && node.expression.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isNonNullExpression(node)) return reachesContext(node.expression);
  return false;
}

/** A field of the context or of something reached through it: `ctx.x`, `this.ctx.x.y`, `ctx.m[k]`. */
function fieldThroughContext(node: ts.Expression): boolean {
  return (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && reachesContext(node.expression);
}

/** Writes to a field reached through the shared context, in one file: `ctx.x = …`, `ctx.x.y++`, `ctx.someSet.add(…)`. */
function contextWrites(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const say = (node: ts.Node) => found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.getText()}`);
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const targets = ts.isArrayLiteralExpression(node.left) ? node.left.elements : [node.left];
      if (targets.some((t) => fieldThroughContext(t as ts.Expression))) say(node);
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && fieldThroughContext(node.operand)) {
      if (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken) say(node);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && MUTATORS.has(node.expression.name.text)) {
      if (fieldThroughContext(node.expression.expression)) say(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The fields of class `name` in `text` that anyone holding one may change: not private, not readonly, or a collection handed out. */
function writableFields(text: string, name: string): string[] {
  const source = ts.createSourceFile(`${name}.ts`, text, ts.ScriptTarget.Latest, true);
  const cls = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name);
  assert.ok(cls, `class ${name} not found`);
  const mods = (node: ts.HasModifiers) => new Set((ts.getModifiers(node) ?? []).map((m) => m.kind));
  const out: string[] = [];
  const check = (node: ts.PropertyDeclaration | ts.ParameterDeclaration) => {
    const m = mods(node);
    if (m.has(ts.SyntaxKind.PrivateKeyword) || m.has(ts.SyntaxKind.ProtectedKeyword) || (ts.isPropertyDeclaration(node) && ts.isPrivateIdentifier(node.name))) return;
    const field = node.name.getText();
    if (!m.has(ts.SyntaxKind.ReadonlyKeyword)) out.push(`${field} (not readonly)`);
    const init = node.initializer;
    if (init && (ts.isArrayLiteralExpression(init) || (ts.isNewExpression(init) && /^(Map|Set|WeakMap|WeakSet|Array)$/.test(init.expression.getText())))) out.push(`${field} (a ${init.getText()} anyone can change)`);
  };
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member)) check(member);
    if (ts.isConstructorDeclaration(member)) for (const p of member.parameters) if (mods(p).size > 0) check(p);
  }
  return out;
}

describe('the run state has owners', () => {
  const sources = engineSources();

  it('no module of the engine writes a field reached through the run context', () => {
    const writes = [...sources].flatMap(([file, text]) => contextWrites(file, text));
    assert.deepEqual(writes, [], 'a change of the run goes through the owner\'s methods (RunContext, ctx.attempts, ctx.holds), a hand-off through LoopHandoffs');
  });

  it('the context and the owners hand out no writable field', () => {
    for (const [file, name] of Object.entries(OWNERS)) {
      const text = sources.get(file);
      assert.ok(text, `${file} not found`);
      assert.deepEqual(writableFields(text, name), [], `${name} (${file})`);
    }
  });

  it('the checks see what they look for (a write through the context, a writable field)', () => {
    const writes = contextWrites(
      'x.ts',
      'ctx.wake = () => {}; this.ctx.lockRetryAt = 1; [ctx.a, ctx.b] = f(); ctx.n++; ctx.toldAway.add(id); this.ctx.live.delete(id); ctx.attempts.track(live); ctx.locks.update(f); const y = ctx.state;',
    );
    assert.deepEqual(
      writes.map((w) => w.replace(/^x\.ts:1 /, '')),
      ['ctx.wake = () => {}', 'this.ctx.lockRetryAt = 1', '[ctx.a, ctx.b] = f()', 'ctx.n++', 'ctx.toldAway.add(id)', 'this.ctx.live.delete(id)'],
    );
    const fields = writableFields(
      'class C { stopped = false; readonly live = new Map<string, number>(); readonly ok = 1; private mine = new Set(); wake: () => void = () => undefined; constructor(public x: number, readonly y: number) {} }',
      'C',
    );
    assert.deepEqual(fields, ['stopped (not readonly)', 'live (a new Map<string, number>() anyone can change)', 'wake (not readonly)', 'x (not readonly)']);
  });
});
