// Issue 9 items 7 and 9 against the hostile registry (test/harness/hostile-registry.ts), through
// the real CLI in child processes: endless referrers pages and tag lists end in a registry error
// (exit 5) after a bounded number of requests; a registry that trickles its answer a byte at a
// time is cut off at --registry-timeout (exit 4); a redirect to another host never carries the
// registry's credentials. Each case asserts the exit code, the time and the peak RSS.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLog } from '../../src/log.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { MAX_TAG_PAGES, RegistryStore } from '../../src/oci/registry/store.ts';
import { isSealError } from '../../src/errors.ts';
import { endlessPages, hugeBody, redirectTo, startHostileRegistry, trickle, wrongContent, type HostileRegistry } from '../harness/hostile-registry.ts';
import { runSeal } from '../harness/seal-process.ts';
import { workspace } from '../helpers/workspace.ts';

let reg: HostileRegistry;
const { dir, pub } = await workspace('seal-hostile-', ['k']);

before(async () => {
  reg = await startHostileRegistry();
});
after(async () => {
  await reg?.stop();
});

const env = () => ({ HOME: dir, DOCKER_CONFIG: join(dir, 'docker') });

describe('endless pages (item 7)', () => {
  for (const command of ['verify', 'verify-attestation'] as const) {
    it(`${command}: empty referrers pages each linking to a new URL end in exit 5`, async () => {
      reg.reset();
      const img = reg.addImage('app/endless');
      reg.rule({ method: 'GET', path: /\/referrers\//, handle: endlessPages('referrers') });
      const r = await runSeal([command, '--key', pub, `${reg.host}/app/endless@${img.digest}`], { env: env() });
      const pages = reg.count({ path: /\/referrers\// });
      console.log(`${command}: exit ${r.code} in ${r.ms.toFixed(0)} ms, ${pages} referrers requests, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /empty pages in a row|pages/);
      assert.ok(pages <= 10, `${pages} referrers requests`);
      assert.ok(r.ms < 10_000);
      assert.ok(r.peakRssMiB < 300);
    });
  }

  it('copy: the same', async () => {
    reg.reset();
    const img = reg.addImage('app/copy-src');
    reg.rule({ method: 'GET', path: /\/referrers\//, handle: endlessPages('referrers') });
    const r = await runSeal(['copy', `${reg.host}/app/copy-src@${img.digest}`, `${reg.host}/app/copy-dst:v1`], { env: env() });
    const pages = reg.count({ path: /\/referrers\// });
    console.log(`copy: exit ${r.code} in ${r.ms.toFixed(0)} ms, ${pages} referrers requests`);
    assert.equal(r.code, 5, r.stderr);
    assert.ok(pages <= 10, `${pages} referrers requests`);
  });

  it('pages that are not empty still stop at the page cap', async () => {
    reg.reset();
    const img = reg.addImage('app/full-pages');
    let n = 0;
    reg.rule({
      method: 'GET',
      path: /\/referrers\//,
      handle: (_req, res, ctx) => {
        const d = `sha256:${(++n).toString(16).padStart(64, '0')}`;
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.index.v1+json',
          link: `<${new URL(ctx.path, 'http://x').pathname}?page=${n}>; rel="next"`,
        });
        res.end(
          JSON.stringify({
            schemaVersion: 2,
            manifests: [
              { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: 10, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
            ],
          }),
        );
      },
    });
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/full-pages@${img.digest}`], { env: env() });
    const pages = reg.count({ path: /\/referrers\// });
    console.log(`verify, one referrer per page: exit ${r.code} in ${r.ms.toFixed(0)} ms, ${pages} referrers requests`);
    assert.equal(r.code, 5, r.stderr);
    assert.ok(pages <= 101, `${pages} referrers requests`);
  });

  it('tag listing: endless empty pages are refused after a few, endless full pages at the page cap', async () => {
    reg.reset();
    reg.rule({ method: 'GET', path: /\/tags\/list/, handle: endlessPages('tags') });
    const store = await RegistryStore.open(parseReference(`${reg.host}/app/tags`) as RegistryReference, { env: env(), log: silentLog, allowHttp: true });
    await assert.rejects(store.listTags(), (e) => isSealError(e, 'registry') && e.code === 'ENDLESS_PAGES');
    assert.ok(reg.count({ path: /\/tags\/list/ }) <= 10);
    reg.reset();
    let n = 0;
    reg.rule({
      method: 'GET',
      path: /\/tags\/list/,
      handle: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', link: `</v2/app/tags/tags/list?last=t${++n}>; rel="next"` });
        res.end(JSON.stringify({ name: 'app/tags', tags: [`t${n}`] }));
      },
    });
    await assert.rejects(store.listTags(), (e) => isSealError(e, 'registry') && e.code === 'ENDLESS_PAGES');
    assert.equal(reg.count({ path: /\/tags\/list/ }), MAX_TAG_PAGES);
    store.close?.();
  });
});

describe('slow loris (item 9)', () => {
  it('a manifest trickled one byte every 200 ms is cut at --registry-timeout 1s (not per read)', async () => {
    reg.reset();
    const img = reg.addImage('app/loris');
    reg.rule({ method: 'GET', path: /\/manifests\//, handle: trickle({ everyMs: 200, contentType: 'application/vnd.oci.image.manifest.v1+json' }) });
    const r = await runSeal(['verify', '--key', pub, '--registry-timeout', '1s', `${reg.host}/app/loris@${img.digest}`], { env: env() });
    // With a digest reference the .sig and fallback tags are read alongside the manifest (and
    // trickled alike): the image's own manifest is the one counted.
    const reads = reg.count({ path: new RegExp(`/manifests/${img.digest}$`) });
    console.log(`slow loris: exit ${r.code} in ${r.ms.toFixed(0)} ms, ${reads} reads of the image manifest`);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /did not finish answering within 1 s/);
    // Bounded, not fast: the trickle would go on for ever; the machine may be loaded (child start-up).
    assert.ok(r.ms < 15_000, `${r.ms} ms`);
    assert.equal(reads, 1, 'a deadline is not retried');
  });

  it('headers that never finish are cut at the deadline too', async () => {
    reg.reset();
    const img = reg.addImage('app/loris-headers');
    // The status line, then one header byte every 200 ms: the idle timer never fires.
    reg.rule({
      method: 'GET',
      path: /\/manifests\//,
      handle: (req, res, ctx) => {
        const sock = req.socket;
        sock.write('HTTP/1.1 200 OK\r\nX-Slow: ');
        const tick = () => {
          if (sock.destroyed) return;
          sock.write('a');
          ctx.registry.later(200, tick);
        };
        tick();
        void res;
      },
    });
    const r = await runSeal(['verify', '--key', pub, '--registry-timeout', '1s', '--registry-retries', '1', `${reg.host}/app/loris-headers@${img.digest}`], {
      env: env(),
    });
    const attempts = reg.count({ path: new RegExp(`/manifests/${img.digest}$`) });
    console.log(`slow headers: exit ${r.code} in ${r.ms.toFixed(0)} ms, ${attempts} attempts`);
    assert.equal(r.code, 4, r.stderr);
    // Like a registry that does not answer: each attempt is cut at the timeout, then retried.
    assert.match(r.stderr, /did not answer within 1 s/);
    assert.equal(attempts, 2);
    assert.ok(r.ms < 20_000, `${r.ms} ms`); // bounded (2 attempts of 1 s), with room for a loaded machine
  });
});

describe('huge bodies and wrong digests', () => {
  it('a manifest answer of 1 GiB (chunked, no length) is cut at 4 MiB', async () => {
    reg.reset();
    const img = reg.addImage('app/huge');
    reg.rule({
      method: 'GET',
      path: /\/manifests\/sha256:/,
      handle: hugeBody(1024 * 1024 * 1024, { contentType: 'application/vnd.oci.image.manifest.v1+json' }),
    });
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/huge@${img.digest}`], { env: env() });
    console.log(`1 GiB manifest: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /larger than 4 MiB; refused/);
    assert.ok(r.peakRssMiB < 200, `${r.peakRssMiB} MiB`);
  });

  it('a 1 GiB layer declared as such is refused before it is read', async () => {
    reg.reset();
    const img = reg.addImage('app/huge-declared');
    reg.rule({
      method: 'GET',
      path: /\/manifests\/sha256:/,
      handle: hugeBody(1024 * 1024 * 1024, { declare: true, contentType: 'application/vnd.oci.image.manifest.v1+json' }),
    });
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/huge-declared@${img.digest}`], { env: env() });
    assert.equal(r.code, 5, r.stderr);
    assert.ok(r.peakRssMiB < 200, `${r.peakRssMiB} MiB`);
  });

  it('a manifest whose bytes are not the digest asked for is refused', async () => {
    reg.reset();
    const img = reg.addImage('app/liar');
    const other = reg.addImage('app/liar', 'other');
    reg.rule({ method: 'GET', path: new RegExp(`/manifests/${img.digest}$`), handle: wrongContent(other.bytes, { 'docker-content-digest': img.digest }) });
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/liar@${img.digest}`], { env: env() });
    console.log(`wrong digest: exit ${r.code}; ${r.stderr.trim().split('\n').pop()}`);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /content digest is sha256:[a-f0-9]{64}, expected/);
  });
});

describe('redirects', () => {
  it('a blob redirected to another host goes there without the registry credentials', async () => {
    const other = await startHostileRegistry();
    try {
      reg.reset();
      reg.basicAuth = { username: 'u', password: 'secret-pw' };
      const img = reg.addImage('app/redir');
      const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', packages: [] }));
      const layer = reg.putBlob(sbom);
      const config = reg.putBlob('{}');
      reg.putManifest(
        'app/redir',
        {
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'text/spdx+json', ...layer }],
        },
        { tag: `${img.digest.replace(':', '-')}.sbom` },
      );
      // Blobs live on another host (a storage service): every blob GET is redirected there.
      for (const [d, b] of reg.blobs) other.blobs.set(d, b);
      reg.rule({ method: 'GET', path: /\/blobs\//, handle: redirectTo(other.url) });
      const r = await runSeal(['download', 'sbom', `${reg.host}/app/redir@${img.digest}`], {
        env: { ...env(), SEAL_REGISTRY_USERNAME: 'u', SEAL_REGISTRY_PASSWORD: 'secret-pw' },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, sbom.toString());
      assert.ok(
        reg.requests.some((q) => q.headers.authorization),
        'the registry got the credentials',
      );
      assert.ok(other.count({ path: /\/blobs\// }) >= 1, 'the blob came from the other host');
      assert.ok(
        other.requests.every((q) => !q.headers.authorization),
        'the other host got no credentials',
      );
    } finally {
      reg.basicAuth = undefined;
      await other.stop();
    }
  });
});
