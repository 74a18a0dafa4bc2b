// The progress renderer against a fake terminal: what it draws, when, and that it leaves the
// line clean.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, fileLabel, humanBytes, humanDuration, ProgressBar, type ProgressStream } from '../../../src/cli/progress.ts';

const MiB = 1024 * 1024;

class FakeTTY implements ProgressStream {
  readonly writes: string[] = [];
  isTTY: boolean;
  columns: number | undefined;
  constructor(isTTY = true, columns: number | undefined = 80) {
    this.isTTY = isTTY;
    this.columns = columns;
  }
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
  get text(): string {
    return this.writes.join('');
  }
  /** What the terminal shows on its line: every \r returns to column 0 and overwrites. */
  get screen(): string {
    let line: string[] = [];
    let col = 0;
    for (const ch of this.text.replace(/\x1b\[[0-9;]*m/g, '')) {
      if (ch === '\r') col = 0;
      else if (ch === '\n') {
        line = [];
        col = 0;
      } else line[col++] = ch;
    }
    return line.join('').trimEnd();
  }
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function bar(stream: FakeTTY, opts: { color?: boolean; enabled?: boolean } = {}) {
  const c = clock();
  const p = new ProgressBar(stream, { enabled: opts.enabled ?? true, color: opts.color ?? false }, { now: c.now });
  return { p, c };
}

describe('ProgressBar', () => {
  describe('when stderr is a terminal', () => {
    it('draws label, bytes, percentage, rate, ETA and a bar as wide as the terminal', () => {
      const tty = new FakeTTY(true, 100);
      const { p, c } = bar(tty);
      const cb = p.callback('Signing big.bin')!;
      cb(0, 256 * MiB);
      c.advance(1000);
      cb(64 * MiB, 256 * MiB);
      const line = tty.screen;
      assert.match(line, /^Signing big\.bin  \[=+> +\]  64\.0 MiB \/ 256\.0 MiB  25%  64\.0 MiB\/s  ETA 3s$/);
      assert.equal(line.length, 99, 'one column short of the width, so the line never wraps');
      const inside = /\[([^\]]+)\]/.exec(line)![1]!;
      assert.equal(inside.indexOf('>'), Math.floor(inside.length / 4), 'a quarter filled');
      assert.ok(
        tty.writes.every((w) => w.startsWith('\r')),
        'redrawn in place',
      );
      assert.ok(!tty.text.includes('\n'), 'never a new line');
    });

    it('defaults to 80 columns and fits narrow terminals: the bar, ETA and rate go before the label is cut short', () => {
      for (const [columns, expect] of [
        [undefined, 79],
        [40, 39],
      ] as const) {
        const tty = new FakeTTY(true, columns);
        const { p, c } = bar(tty);
        const cb = p.callback('Uploading a-rather-long-file-name-for-a-narrow-terminal.tar')!;
        cb(0, 10 * MiB);
        c.advance(500);
        cb(MiB, 10 * MiB);
        assert.ok(tty.screen.length <= expect, `${columns}: ${tty.screen}`);
        if (columns === 40) {
          assert.doesNotMatch(tty.screen, /\[/);
          assert.equal(tty.screen, 'Uploading a-r…  1.0 MiB / 10.0 MiB  10%', 'ETA and rate dropped first');
        } else assert.match(tty.screen, /\[=/);
      }
    });

    it('shows bytes and rate, without bar or ETA, when the total is unknown (stdin)', () => {
      const tty = new FakeTTY();
      const { p, c } = bar(tty);
      const cb = p.callback('Signing stdin')!;
      cb(MiB);
      c.advance(2000);
      cb(3 * MiB);
      assert.equal(tty.screen, 'Signing stdin  3.0 MiB  1.5 MiB/s');
    });

    it('draws nothing during the first 300 ms, so quick transfers never show a bar', () => {
      const tty = new FakeTTY();
      const { p, c } = bar(tty);
      const cb = p.callback('Signing small')!;
      for (let i = 1; i <= 10; i++) {
        c.advance(25);
        cb(i * MiB, 10 * MiB);
      }
      assert.deepEqual(tty.writes, [], 'done within 250 ms: not a byte written');
    });

    it('redraws at most ten times a second however often bytes arrive', () => {
      const tty = new FakeTTY();
      const { p, c } = bar(tty);
      const cb = p.callback('Signing big')!;
      cb(0, 10_000);
      c.advance(300);
      for (let i = 1; i < 10_000; i++) {
        if (i % 10 === 0) c.advance(1); // 1000 updates over one second
        cb(i, 10_000);
      }
      assert.ok(tty.writes.length >= 9 && tty.writes.length <= 11, `${tty.writes.length} redraws`);
    });

    it('erases its line when the transfer completes, and end() erases an unfinished one', () => {
      const tty = new FakeTTY();
      const { p, c } = bar(tty);
      const cb = p.callback('Signing big')!;
      cb(0, 100);
      c.advance(400);
      cb(50, 100);
      assert.notEqual(tty.screen, '');
      cb(100, 100);
      assert.equal(tty.screen, '', 'cleared at the end');
      assert.ok(tty.writes.at(-1)!.endsWith('\r'), 'cursor back at column 0');

      const stdin = p.callback('Signing stdin')!;
      stdin(10);
      c.advance(400);
      stdin(20);
      assert.notEqual(tty.screen, '');
      p.end();
      assert.equal(tty.screen, '');
      const before = tty.writes.length;
      p.end();
      assert.equal(tty.writes.length, before, 'nothing more to erase');
    });

    it('erases the bar before a log message, and draws it again below', () => {
      const tty = new FakeTTY();
      const { p, c } = bar(tty);
      const log = p.wrapLog({ info: (m) => void tty.write(m + '\n'), warn() {}, debug() {} });
      const cb = p.callback('Uploading SBOM')!;
      cb(0, 100);
      c.advance(400);
      cb(10, 100);
      log.info('Uploading SBOM for sha256:abc');
      const lines = tty.text.split('\n');
      assert.equal(lines[0]!.split('\r').at(-1)!.trim(), 'Uploading SBOM for sha256:abc', 'the message starts on a clean line');
      cb(20, 100);
      assert.match(tty.screen, /^Uploading SBOM  \[/);
    });

    it('sums concurrent transfers on one line', () => {
      const tty = new FakeTTY(true, 120);
      const { p, c } = bar(tty);
      const a = p.callback('blob a')!;
      const b = p.callback('blob b')!;
      a(0, 4 * MiB);
      b(0, 4 * MiB);
      c.advance(1000);
      a(2 * MiB, 4 * MiB);
      b(MiB, 4 * MiB); // within 100 ms of the last redraw: counted, drawn next time
      assert.match(p.render(), /^2 transfers  \[.*\]  3\.0 MiB \/ 8\.0 MiB  37%  3\.0 MiB\/s  ETA 2s$/);
      a(4 * MiB, 4 * MiB);
      c.advance(200);
      b(2 * MiB, 4 * MiB);
      assert.match(tty.screen, /^blob b  \[.*\]  6\.0 MiB \/ 8\.0 MiB  75%/, 'a finished transfer still counts');
      b(4 * MiB, 4 * MiB);
      assert.equal(tty.screen, '', 'erased when the last one ends');
    });

    it('colours the bar unless colour is off', () => {
      const coloured = new FakeTTY();
      const { p, c } = bar(coloured, { color: true });
      const cb = p.callback('x')!;
      cb(0, 100);
      c.advance(400);
      cb(50, 100);
      assert.match(coloured.text, /\x1b\[36m=+>\x1b\[0m/);

      const plain = new FakeTTY();
      const q = bar(plain, { color: false });
      const cb2 = q.p.callback('x')!;
      cb2(0, 100);
      q.c.advance(400);
      cb2(50, 100);
      assert.doesNotMatch(plain.text, /\x1b/);
    });
  });

  describe('when stderr is not a terminal', () => {
    it('gives no callback and writes nothing', () => {
      const pipe = new FakeTTY(false);
      const { p } = bar(pipe);
      assert.equal(p.enabled, false);
      assert.equal(p.callback('Signing big'), undefined);
      const log = { info() {}, warn() {}, debug() {} };
      assert.equal(p.wrapLog(log), log, 'messages pass straight through');
      p.end();
      assert.deepEqual(pipe.writes, []);
    });

    it('writes nothing when the context is not interactive, even on a TTY stream', () => {
      const tty = new FakeTTY();
      const p = createProgress({ stderr: tty, interactive: false, color: true, env: {} });
      assert.equal(p.callback('x'), undefined);
      assert.deepEqual(tty.writes, []);
    });
  });
});

describe('createProgress', () => {
  function draw(env: Record<string, string>, color: boolean): string {
    const tty = new FakeTTY();
    const c = clock();
    const p = createProgress({ stderr: tty, interactive: true, color, env }, { now: c.now });
    const cb = p.callback('x')!;
    cb(0, 100);
    c.advance(400);
    cb(50, 100);
    return tty.text;
  }

  it('honours NO_COLOR and ctx.color', () => {
    assert.match(draw({}, true), /\x1b\[36m/);
    assert.doesNotMatch(draw({ NO_COLOR: '1' }, true), /\x1b/);
    assert.doesNotMatch(draw({}, false), /\x1b/);
  });
});

describe('units', () => {
  it('formats bytes, durations and labels', () => {
    assert.equal(humanBytes(512), '512 B');
    assert.equal(humanBytes(1536), '1.5 KiB');
    assert.equal(humanBytes(256 * MiB), '256.0 MiB');
    assert.equal(humanBytes(3 * 1024 * MiB), '3.0 GiB');
    assert.equal(humanDuration(0.2), '1s');
    assert.equal(humanDuration(185), '3m05s');
    assert.equal(humanDuration(7800), '2h10m');
    assert.equal(fileLabel('Signing', '/tmp/x/release.tar.gz'), 'Signing release.tar.gz');
    assert.equal(fileLabel('Verifying', '-'), 'Verifying stdin');
  });
});

describe('SEAL_PROGRESS', () => {
  it('off: no bars; always: drawn from the first byte, still only on a terminal', () => {
    for (const v of ['off', '0', 'false']) {
      assert.equal(createProgress({ stderr: new FakeTTY(), interactive: true, color: false, env: { SEAL_PROGRESS: v } }).callback('x'), undefined, v);
    }
    const tty = new FakeTTY();
    const cb = createProgress({ stderr: tty, interactive: true, color: false, env: { SEAL_PROGRESS: 'always' } }).callback('x')!;
    cb(1, 100);
    assert.match(tty.screen, /^x  \[/);
    const pipe = new FakeTTY(false);
    assert.equal(createProgress({ stderr: pipe, interactive: false, color: false, env: { SEAL_PROGRESS: 'always' } }).callback('x'), undefined);
  });
});
