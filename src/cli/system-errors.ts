// Node's file-system errors ("EISDIR: illegal operation on a directory, rename '/a/.x.tmp' -> '/a/x'")
// name a syscall and sometimes a temporary file: say instead which path the user gave is wrong and why.
// node:fs and node:path through getBuiltinModule, on the error path only: main.ts is on every
// command's start-up path, and `import … from 'node:fs'` builds an ESM facade (src/fs/stream.ts).

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** One line for a Node file-system error, or undefined when `err` is not one seal can explain. */
export function describeSystemError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as SystemError;
  if (typeof e.code !== 'string') return undefined;
  // A write to stdout or --output-file fails without a path.
  if (typeof e.path !== 'string') {
    if (e.code === 'ENOSPC') return 'no space left on the device the output goes to';
    if (e.code === 'EIO') return 'input/output error on the output';
    return undefined;
  }
  // A rename into place fails on the target, not on the temporary file beside it.
  const target = e.syscall === 'rename' && typeof e.dest === 'string' ? e.dest : e.path;
  switch (e.code) {
    case 'EISDIR':
      return `${target} is a directory; give a file path`;
    case 'ENOTDIR': {
      const file = fileAncestor(target);
      return file ? `${file} is a file, not a directory` : `a part of ${target} is not a directory`;
    }
    case 'ENOENT':
      return `${target} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${target}`;
    case 'ENOSPC':
      return `no space left on the device holding ${target}`;
    case 'EROFS':
      return `${target} is on a read-only file system`;
    case 'ENAMETOOLONG':
      return `the path ${target.slice(0, 80)}… is too long`;
    default:
      return undefined;
  }
}

/** The nearest existing ancestor of `p` (or `p` itself) when it is a file rather than a directory. */
function fileAncestor(p: string): string | undefined {
  const { statSync } = process.getBuiltinModule('node:fs');
  const path = process.getBuiltinModule('node:path');
  for (let cur = p; ; cur = path.dirname(cur)) {
    try {
      return statSync(cur).isDirectory() ? undefined : cur;
    } catch {
      if (path.dirname(cur) === cur) return undefined;
    }
  }
}
