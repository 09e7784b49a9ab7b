// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The npm packages of the Kubernetes manifests' tests, which tests/k8s_test.sh
// installs into BG_NPM_CACHE (default /var/cache/bindguard-test/npm), outside
// the tree. ESM ignores NODE_PATH: yaml is required from that directory, and
// kubernetes-models (ESM only) is imported by the file its exports map names.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const npmDir = process.env.BG_NPM_CACHE || '/var/cache/bindguard-test/npm';
const modules = join(npmDir, 'node_modules');

function need(pkg) {
	if (!existsSync(join(modules, pkg, 'package.json')))
		throw new Error(`${pkg} is not in ${modules}: npm install --no-audit --no-fund ` +
			`--prefix ${npmDir} kubernetes-models@5.1.0 yaml@2`);
}

// The yaml package (2.x).
export function yaml() {
	need('yaml');
	return createRequire(join(npmDir, 'package.json'))('yaml');
}

// kubernetes-models/GROUP ('v1', 'apps/v1'): its classes.
export function models(group) {
	need('kubernetes-models');
	return import(pathToFileURL(join(modules, 'kubernetes-models', group, 'index.js')).href);
}
