// Builds a small OCI image layout (one layer, random content) without Docker, for the quickstart:
//   node scripts/make-image.ts DIR [TAG]
import { makeImageLayout } from '../test/harness/oci-layout.ts';

const [dir, tag = 'latest'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node scripts/make-image.ts DIR [TAG]\n');
  process.exit(2);
}
const img = await makeImageLayout(dir, { tag });
process.stdout.write(`${img.digest}\n`);
