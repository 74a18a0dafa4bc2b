// Progress bars for long transfers, on stderr when it is a terminal. One line, redrawn in place
// with \r and erased when the transfers end:
//   Signing big.tar  [=========>          ]  1.2 GiB / 2.5 GiB  48%  610.4 MiB/s  ETA 2s
// Nothing is drawn when stderr is not a TTY, nor before `delayMs` has passed since the first
// byte (so quick transfers never flash a bar), and redraws are throttled to one per
// `intervalMs`. Concurrent transfers share the line: their bytes and totals are summed.
// Libraries report through the OnProgress callbacks of src/progress.ts; when no bar can be
// drawn, callback() returns undefined and the libraries skip all counting.
import path from 'node:path';
import type { Log } from '../log.ts';
import type { OnProgress } from '../progress.ts';

/** What the renderer writes to: stderr, or a fake terminal in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width; 80 when unknown. */
  columns?: number;
}

export interface ProgressSettings {
  /** Nothing is drawn until this long after the first byte (default 300 ms). */
  delayMs?: number;
  /** At most one redraw per this many ms (default 100 ms: 10 per second). */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Task {
  label: string;
  done: number;
  total?: number;
  finished: boolean;
}

const DEFAULT_COLUMNS = 80;
const MIN_BAR = 10;
const MIN_LABEL = 16;

export class ProgressBar {
  readonly enabled: boolean;
  readonly #stream: ProgressStream;
  readonly #color: boolean;
  readonly #delay: number;
  readonly #interval: number;
  readonly #now: () => number;
  /** The transfers since the line was last empty; their sums are what the line shows. */
  #tasks: Task[] = [];
  #started = 0;
  #lastDraw = 0;
  /** Width of what is on the terminal now (0: nothing drawn). */
  #shown = 0;

  constructor(stream: ProgressStream, opts: { enabled: boolean; color: boolean }, settings: ProgressSettings = {}) {
    this.#stream = stream;
    this.enabled = opts.enabled && stream.isTTY === true;
    this.#color = opts.color;
    this.#delay = settings.delayMs ?? 300;
    this.#interval = settings.intervalMs ?? 100;
    this.#now = settings.now ?? Date.now;
  }

  /**
   * A callback for one transfer, shown as `label`; undefined when nothing can be drawn (callers
   * pass it on as is, and libraries then do no counting at all).
   */
  callback(label: string): OnProgress | undefined {
    if (!this.enabled) return undefined;
    let task: Task | undefined;
    return (done, total) => {
      if (!task) {
        if (this.#tasks.length === 0) this.#started = this.#now();
        task = { label, done: 0, finished: false };
        this.#tasks.push(task);
      }
      if (task.finished) return;
      task.done = done;
      if (total !== undefined) task.total = total;
      if (task.total !== undefined && done >= task.total) task.finished = true;
      if (this.#tasks.every((t) => t.finished)) {
        this.#reset();
        return;
      }
      this.#maybeDraw();
    };
  }

  /** Erases the line, if drawn; the next update draws it again. */
  clear(): void {
    if (this.#shown === 0) return;
    this.#stream.write('\r' + ' '.repeat(this.#shown) + '\r');
    this.#shown = 0;
    this.#lastDraw = 0;
  }

  /** Erases the line and forgets every transfer (call in a finally: unknown totals never end). */
  end(): void {
    this.#reset();
  }

  /** `log`, with the line erased before each message so messages never mix with the bar. */
  wrapLog(log: Log): Log {
    if (!this.enabled) return log;
    return {
      info: (m) => (this.clear(), log.info(m)),
      warn: (m) => (this.clear(), log.warn(m)),
      debug: (m) => (this.clear(), log.debug(m)),
    };
  }

  #reset(): void {
    this.clear();
    this.#tasks = [];
  }

  #maybeDraw(): void {
    const now = this.#now();
    if (now - this.#started < this.#delay) return;
    if (this.#shown > 0 && now - this.#lastDraw < this.#interval) return;
    this.#lastDraw = now;
    const line = this.render(now);
    // Pad over the end of a longer previous line instead of clearing first (no flicker).
    this.#stream.write('\r' + line + ' '.repeat(Math.max(0, this.#shown - line.length)));
    this.#shown = line.length;
  }

  /** The line for the current state (visible width; colour codes excluded from the count). */
  render(now = this.#now()): string {
    const tasks = this.#tasks;
    const active = tasks.filter((t) => !t.finished);
    const label = active.length <= 1 ? ((active[0] ?? tasks[0])?.label ?? '') : `${active.length} transfers`;
    const done = tasks.reduce((n, t) => n + t.done, 0);
    const total = tasks.every((t) => t.total !== undefined) ? tasks.reduce((n, t) => n + t.total!, 0) : undefined;
    const seconds = (now - this.#started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0; // shown after 100 ms, when it means something
    const cols = Math.max(20, (this.#stream.columns || DEFAULT_COLUMNS) - 1); // 0 in a pty of unknown size; the last column would wrap
    const stats: string[] =
      total === undefined
        ? [humanBytes(done), ...(seconds >= 0.1 ? [`${humanBytes(rate)}/s`] : [])]
        : [
            `${humanBytes(done)} / ${humanBytes(total)}`,
            `${total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100}%`,
            ...(seconds >= 0.1 ? [`${humanBytes(rate)}/s`] : []),
            ...(seconds >= 0.1 && rate > 0 ? [`ETA ${humanDuration((total - Math.min(done, total)) / rate)}`] : []),
          ];
    // Narrow terminals lose the ETA, then the rate, before the label shrinks below 8 characters.
    while (stats.length > 1 && cols - stats.join('  ').length - 2 < Math.min(label.length, 8)) stats.pop();
    const right = stats.join('  ').slice(0, cols);
    // A bar needs its brackets and a second gap; it gets the room unless the label would then
    // have fewer than MIN_LABEL characters (the label is shortened first, then the bar dropped).
    const withBar = total !== undefined && cols - right.length - 6 - MIN_BAR >= Math.min(label.length, MIN_LABEL);
    const room = cols - right.length - 2 - (withBar ? MIN_BAR + 4 : 0);
    const name = label.length <= room ? label : room > 1 ? label.slice(0, room - 1) + '…' : '';
    if (!withBar) return name ? `${name}  ${right}` : right;
    const barWidth = cols - name.length - right.length - 6; // two gaps of two, and the brackets
    return `${name}  [${this.#bar(done / (total || 1), barWidth)}]  ${right}`;
  }

  #bar(fraction: number, width: number): string {
    const filled = Math.min(width, Math.floor(Math.min(1, fraction) * width));
    const full = '='.repeat(filled) + (filled < width ? '>' : '');
    const empty = ' '.repeat(width - full.length);
    return this.#color ? `\x1b[36m${full}\x1b[0m${empty}` : full + empty;
  }
}

/**
 * The renderer for a command: draws on ctx.stderr when ctx.interactive, coloured when ctx.color
 * and NO_COLOR is unset. SEAL_PROGRESS=off turns bars off; SEAL_PROGRESS=always draws from the
 * first byte instead of after 300 ms (still only on a terminal).
 */
export function createProgress(
  ctx: { stderr: unknown; interactive: boolean; color: boolean; env: Readonly<Record<string, string | undefined>> },
  settings: ProgressSettings = {},
): ProgressBar {
  const color = ctx.color && ctx.env.NO_COLOR === undefined;
  const mode = (ctx.env.SEAL_PROGRESS ?? '').trim().toLowerCase();
  const enabled = ctx.interactive && !['0', 'off', 'false', 'no'].includes(mode);
  const delay = mode === 'always' ? { delayMs: 0 } : {};
  return new ProgressBar(ctx.stderr as ProgressStream, { enabled, color }, { ...delay, ...settings });
}

/** `Signing release.tar.gz`, `Verifying stdin` (`-`). */
export function fileLabel(verb: string, file: string): string {
  return `${verb} ${file === '-' ? 'stdin' : path.basename(file)}`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** 512 B, 1.5 KiB, 256.0 MiB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}

/** 7s, 3m05s, 2h10m. */
export function humanDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
