/**
 * The walls on native Windows (ADR 0033): none can be had there, and a run says so before
 * anything starts, with what to do (WSL, where the Linux walls apply; or the person's explicit
 * choice to run without walls). The Seatbelt profile's own tests (test/core/walls/seatbelt.test.ts)
 * run on this runner too: the profile a Mac gets does not depend on where it is made.
 *
 * This file runs on a Windows runner only (.github/workflows/walls-platforms.yml): it is in no
 * suite of `npm test`, and elsewhere its first test fails (it is not skipped).
 *
 * Run (on Windows): npx tsx --test test/platforms/win32.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { confinementAvailable, ConfinementUnavailableError, wallsNotKept, wallsOption } from '../../src/engine/attempt/confinement';

describe('the walls on native Windows', () => {
  test('this is Windows, and no walls can be had here: why, and what would make them', () => {
    assert.equal(process.platform, 'win32', 'test/platforms/win32.test.ts runs on a Windows runner');
    const here = confinementAvailable(true);
    assert.equal(here.ok, false);
    if (here.ok) return;
    assert.match(`${here.why} ${(here.fix ?? []).join(' ')}`, /WSL/);
    const refused = new ConfinementUnavailableError(here.why, here.fix ?? []);
    assert.match(refused.message, /Nothing was started/);
    assert.match(refused.message, /--unconfined/);
  });

  test('a run asks for walls and gets the refusal, not a run without them; the person\'s own choice runs without', () => {
    assert.ok('unavailable' in wallsOption(undefined));
    assert.deepEqual(wallsOption({ unconfined: true }), { unconfined: true });
    assert.deepEqual(wallsNotKept(undefined), [], 'nothing is said kept or not where nothing runs');
  });
});
