/**
 * The workloads the recording tests run (the seeds' Python, Node.js and git examples): each touches
 * files, threads, a child process and, for Python, AF_UNIX sockets, and prints what it checks.
 */

const PYTHON = `
import hashlib, json, os, socket, subprocess, tempfile, threading
d = tempfile.mkdtemp()
p = os.path.join(d, 'data, "quoted".json')
with open(p, 'w') as f:
    json.dump({'test': True}, f)
with open(p) as f:
    assert json.load(f) == {'test': True}
h = hashlib.sha256(b'test').hexdigest()
out = []
ts = [threading.Thread(target=lambda: out.append(hashlib.md5(b'x').hexdigest())) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
r = subprocess.run(['/bin/echo', 'child'], capture_output=True, text=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.close()
a, b = socket.socketpair()
a.sendall(b'ping'); assert b.recv(4) == b'ping'
os.remove(p); os.rmdir(d)
print('python ok', h[:8], r.stdout.strip(), len(out))
`;

const NODE = `
const fs = require('fs'), os = require('os'), path = require('path'), crypto = require('crypto');
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'n-'));
fs.writeFileSync(path.join(d, 'test.json'), JSON.stringify({ test: true }));
const back = JSON.parse(fs.readFileSync(path.join(d, 'test.json'), 'utf8'));
const h = crypto.createHash('sha256').update('test').digest('hex');
fs.rmSync(d, { recursive: true });
console.log('node ok', back.test, h.slice(0, 8));
`;

const GIT = `set -e
d=$(mktemp -d); cd "$d"
git init -q .
echo hello > README.md
git add .
git -c user.email=t@t -c user.name=t commit -q -m 'init, with "quotes"'
git log --oneline | wc -l
cd /; rm -rf "$d"
echo git ok`;

export interface Workload {
  readonly name: string;
  readonly argv: readonly string[];
  readonly expect: RegExp;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'python',
    argv: ['/usr/bin/python3', '-c', PYTHON],
    expect: /python ok 9f86d081 child 2/,
  },
  { name: 'node', argv: ['/usr/bin/node', '-e', NODE], expect: /node ok true 9f86d081/ },
  { name: 'git', argv: ['/bin/sh', '-c', GIT], expect: /1\s+git ok/ },
];
