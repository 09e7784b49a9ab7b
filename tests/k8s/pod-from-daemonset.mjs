// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A DaemonSet's pod, as a Pod of its own, to run on one machine (podman kube
// play) without a cluster:
//   node pod-from-daemonset.mjs DAEMONSET.yaml OUT.yaml [--image IMG] [--name NAME]
//        [--host-path OLD=NEW]... [--arg CONTAINER OLD=NEW]...
//        [--mount-path CONTAINER OLD=NEW]...
// The Pod's spec is the pod template's; metadata.name is NAME (default: the
// DaemonSet's), its labels the template's. --image replaces every container's
// image; --host-path the hostPath volume whose path is exactly OLD; --arg every
// element of CONTAINER's args equal to OLD; --mount-path the mountPath OLD of
// CONTAINER's volumeMounts. OLD never contains '='. An OLD that
// matches nothing is an error (a typo would otherwise test the wrong thing).
// Dropped, as they mean something only in a cluster: priorityClassName (no
// scheduler to preempt for), tolerations (no taints), automountServiceAccountToken
// (no API server). Kept: hostPID, which podman 4.3's kube play ignores (later
// versions honour it). The npm package yaml is read from BG_NPM_CACHE (npm.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { yaml } from './npm.mjs';

function die(msg) {
	console.error(`pod-from-daemonset: ${msg}`);
	process.exit(2);
}

function split(s, opt) {
	const i = s.indexOf('=');
	if (i <= 0)
		die(`${opt} ${s}: expected OLD=NEW`);
	return [s.slice(0, i), s.slice(i + 1)];
}

const argv = process.argv.slice(2);
const usage = 'usage: pod-from-daemonset.mjs DAEMONSET.yaml OUT.yaml [--image IMG] ' +
	'[--name NAME] [--host-path OLD=NEW]... [--arg CONTAINER OLD=NEW]... ' +
	'[--mount-path CONTAINER OLD=NEW]...';
if (argv.length < 2 || argv[0].startsWith('--') || argv[1].startsWith('--'))
	die(usage);
const [input, output] = argv;
const opts = { hostPaths: [], args: [], mountPaths: [] };
for (let i = 2; i < argv.length; i++) {
	const value = () => (i + 1 < argv.length ? argv[++i] : die(`${argv[i]} needs a value`));
	switch (argv[i]) {
	case '--image': opts.image = value(); break;
	case '--name': opts.name = value(); break;
	case '--host-path': opts.hostPaths.push(split(value(), '--host-path')); break;
	case '--arg': {
		const container = value();
		opts.args.push([container, ...split(value(), '--arg')]);
		break;
	}
	case '--mount-path': {
		const container = value();
		opts.mountPaths.push([container, ...split(value(), '--mount-path')]);
		break;
	}
	default: die(`unknown option ${argv[i]}\n${usage}`);
	}
}

const YAML = yaml();
const docs = YAML.parseAllDocuments(readFileSync(input, 'utf8'));
for (const d of docs)
	if (d.errors.length)
		die(`${input}: ${d.errors[0].message}`);
const ds = docs.map((d) => d.toJS()).find((o) => o && o.kind === 'DaemonSet');
if (!ds)
	die(`${input}: no DaemonSet`);
const template = ds.spec?.template ?? die(`${input}: no spec.template`);
const spec = structuredClone(template.spec);
delete spec.priorityClassName;
delete spec.tolerations;
delete spec.automountServiceAccountToken;

for (const [old, now] of opts.hostPaths) {
	const vols = (spec.volumes ?? []).filter((v) => v.hostPath?.path === old);
	if (!vols.length)
		die(`--host-path ${old}: no hostPath volume has that path`);
	for (const v of vols)
		v.hostPath.path = now;
}
for (const c of [...(spec.initContainers ?? []), ...spec.containers])
	if (opts.image)
		c.image = opts.image;
for (const [name, old, now] of opts.args) {
	const c = spec.containers.find((x) => x.name === name) ?? die(`--arg ${name}: no such container`);
	if (!(c.args ?? []).includes(old))
		die(`--arg ${name} ${old}=${now}: ${name} has no argument ${old}`);
	c.args = c.args.map((a) => (a === old ? now : a));
}

for (const [name, old, now] of opts.mountPaths) {
	const c = spec.containers.find((x) => x.name === name) ??
		die(`--mount-path ${name}: no such container`);
	const m = (c.volumeMounts ?? []).find((x) => x.mountPath === old) ??
		die(`--mount-path ${name} ${old}=${now}: ${name} mounts nothing at ${old}`);
	m.mountPath = now;
}

const pod = {
	apiVersion: 'v1',
	kind: 'Pod',
	metadata: { name: opts.name ?? ds.metadata.name, labels: template.metadata?.labels ?? {} },
	spec,
};
writeFileSync(output, `# Made by tests/k8s/pod-from-daemonset.mjs from ${input}\n` +
	YAML.stringify(pod, { lineWidth: 0 }));
