// Locates /work/shared (the read-only cosign fixtures) as <repo>/../shared; tests skip loudly without it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED = new URL('../../../../shared/', import.meta.url);
export const HAVE_SHARED = existsSync(SHARED);
export const SKIP_SHARED = HAVE_SHARED ? false : `${fileURLToPath(SHARED)} not found: skipped`;

export const cosignFixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`fixtures/cosign/${path}`, SHARED)));
export const cosignFixtureText = (path: string): string => readFileSync(new URL(`fixtures/cosign/${path}`, SHARED), 'utf8');
export const listCosignFixtures = (dir: string): string[] => readdirSync(new URL(`fixtures/cosign/${dir}/`, SHARED));

/** Repo-local fixtures under test/fixtures. */
export const localFixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url)));
export const localJson = (path: string): unknown => JSON.parse(new TextDecoder().decode(localFixture(path)));
