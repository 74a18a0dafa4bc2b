#!/usr/bin/env bash
# Start-up of every verify command on a small input against `node -e 0`, in one run:
#   bench/startup.sh [RUNS]      (default 20)
# Goal (issue 12): each <= 2x `node -e 0`. seal runs from a private copy of what an installed
# seal runs (bin/ and the single-file builds dist/seal.cjs and dist/seal-verify.cjs of
# scripts/dist.mjs), after one warm-up run of each command that writes its code cache
# (docs/design/startup.md). Medians of wall time and of CPU time (user + sys: steadier than wall
# time on a loaded machine), commands alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
RUNS=${1:-20}
. bench/lib.sh
bench_setup startup
node scripts/dist.mjs --bundle-only --outdir="$W/seal/dist" 2>/dev/null

echo 'a small release file' >"$W/small.txt"
bench_key
openssl dgst -sha256 -sign "$W/key.pem" -out "$W/small.sig" "$W/small.txt"
node --input-type=module -e "import { makeImageLayout } from '$PWD/test/harness/index.ts'; await makeImageLayout('$W/layout');"
echo '{"ok":true}' >"$W/predicate.json"
export SEAL_PASSWORD=x
$SEAL sign-blob --key "$W/key.pem" --bundle "$W/small.json" -y "$W/small.txt" 2>/dev/null
$SEAL sign --key "$W/key.pem" "oci:$W/layout" 2>/dev/null
$SEAL attest --key "$W/key.pem" --predicate "$W/predicate.json" --type https://example.com/p/v1 "oci:$W/layout" 2>/dev/null

# Each command RUNS times, alternating, after a warm-up run that writes the code caches; wall
# time and CPU time (user + sys of the child, from wait4) per run.
W="$W" SEAL="$SEAL" RUNS="$RUNS" python3 - <<'PY'
import os, shlex, statistics, time
W, SEAL, RUNS = os.environ['W'], os.environ['SEAL'], int(os.environ['RUNS'])
cmds = [
    ('node -e 0', 'node -e 0'),
    ('seal --version', f'{SEAL} --version'),
    ('verify-blob --signature (small file)', f'{SEAL} verify-blob --key {W}/key.pub --signature {W}/small.sig {W}/small.txt'),
    ('verify-blob --bundle (small file)', f'{SEAL} verify-blob --key {W}/key.pub --bundle {W}/small.json {W}/small.txt'),
    ('verify (oci: layout)', f'{SEAL} verify --key {W}/key.pub oci:{W}/layout'),
    ('verify-attestation (oci: layout)', f'{SEAL} verify-attestation --key {W}/key.pub --type https://example.com/p/v1 oci:{W}/layout'),
]
devnull = os.open(os.devnull, os.O_WRONLY)
def run(c):
    argv = shlex.split(c)
    r, w = os.pipe()  # stderr to a pipe, as a caller capturing it would
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(r); os.dup2(devnull, 1); os.dup2(w, 2); os.execvp(argv[0], argv)
    os.close(w)
    err = b''
    while chunk := os.read(r, 65536):
        err += chunk
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f'{c} failed: {err.decode(errors="replace")}')
    return (time.perf_counter() - t) * 1000, (ru.ru_utime + ru.ru_stime) * 1000
res = {label: ([], []) for label, _ in cmds}
for _, c in cmds:
    run(c)
for i in range(RUNS):
    for label, c in (cmds if i % 2 == 0 else cmds[::-1]):
        w, cpu = run(c)
        res[label][0].append(w)
        res[label][1].append(cpu)
nw, nc = (statistics.median(x) for x in res['node -e 0'])
print(f'start-up, {RUNS} runs, medians (load average {" ".join(f"{x:.1f}" for x in os.getloadavg())})')
print(f'  {"":38s} {"wall":>6s} {"ratio":>6s}  {"cpu":>6s} {"ratio":>6s}')
for label, _ in cmds:
    w, c = (statistics.median(x) for x in res[label])
    print(f'  {label:38s} {w:4.0f} ms {w / nw:5.2f}x  {c:4.0f} ms {c / nc:5.2f}x')
print('  goal: each verify command <= 2x node -e 0')
PY
