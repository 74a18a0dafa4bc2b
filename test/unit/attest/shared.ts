// The repository's test fixtures: test/fixtures/cosign (cosign's vectors, see its PROVENANCE) and the
// project's own under test/fixtures.
import { readFileSync, readdirSync } from 'node:fs';

export const TEST_DIR = new URL('../../', import.meta.url);

export const cosignFixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(`fixtures/cosign/${path}`, TEST_DIR)));
export const cosignFixtureText = (path: string): string => readFileSync(new URL(`fixtures/cosign/${path}`, TEST_DIR), 'utf8');
export const listCosignFixtures = (dir: string): string[] => readdirSync(new URL(`fixtures/cosign/${dir}/`, TEST_DIR));

/** Repo-local fixtures under test/fixtures. */
export const localFixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url)));
export const localJson = (path: string): unknown => JSON.parse(new TextDecoder().decode(localFixture(path)));
