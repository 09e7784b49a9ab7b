// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The Kubernetes manifests, offline (tests/k8s_test.sh runs it):
//   node validate.mjs manifests DIR VERSION   every document of DIR/*.yaml
//       (but kustomization.yaml) against kubernetes-models' schemas, then what
//       the DaemonSet must say
//   node validate.mjs pod FILE NEWPATH        a Pod pod-from-daemonset.mjs wrote,
//       with a hostPath replaced by NEWPATH
// Prints "PASS k8s-manifests NAME" or "FAIL k8s-manifests NAME: WHY" lines;
// exits 1 after any FAIL.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { models, yaml } from './npm.mjs';

const YAML = yaml();
const v1 = await models('v1');
const apps = await models('apps/v1');
const classes = { Namespace: v1.Namespace, ConfigMap: v1.ConfigMap, DaemonSet: apps.DaemonSet };
let failed = 0;

function check(name, ok, why) {
	if (ok) {
		console.log(`PASS k8s-manifests ${name}`);
	} else {
		failed++;
		console.log(`FAIL k8s-manifests ${name}: ${why}`);
	}
}

// validate(Class, object): null, or the schema error's message.
function validate(Class, obj) {
	try {
		new Class(obj).validate();
		return null;
	} catch (e) {
		return String(e.message).split('\n')[0];
	}
}

function parseFile(file) {
	const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
	const bad = docs.find((d) => d.errors.length);
	check(`${basename(file)} parses`, !bad, bad?.errors[0].message);
	return bad ? [] : docs.map((d) => d.toJS()).filter((o) => o !== null);
}

function manifests(dir, version) {
	const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
	const kust = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
	const listed = [...(kust.resources ?? [])].sort();
	const others = files.filter((f) => f !== 'kustomization.yaml');
	check('kustomization.yaml lists every manifest', String(listed) === String(others),
		`resources [${listed}], files [${others}]`);

	const objs = others.flatMap((f) => parseFile(join(dir, f)).map((o) => ({ f, o })));
	for (const { f, o } of objs) {
		const name = `${f}: ${o.kind}/${o.metadata?.name} validates`;
		const Class = classes[o.kind];
		if (!Class) {
			check(name, false, `no model for kind ${o.kind}`);
			continue;
		}
		if (o.apiVersion !== Class.apiVersion) {
			check(name, false, `apiVersion ${o.apiVersion}, expected ${Class.apiVersion}`);
			continue;
		}
		const err = validate(Class, o);
		check(name, !err, err);
	}
	const one = (kind) => objs.map((x) => x.o).find((o) => o.kind === kind);
	const ns = one('Namespace'), cm = one('ConfigMap'), ds = one('DaemonSet');
	check('one Namespace, ConfigMap and DaemonSet', ns && cm && ds, 'one is missing');
	if (!(ns && cm && ds))
		return;

	// Nothing is policed by default: no .conf key has a [Policy] section.
	const policing = Object.entries(cm.data ?? {})
		.filter(([k, v]) => k.endsWith('.conf') && /^\s*\[Policy\]\s*$/m.test(v)).map(([k]) => k);
	check('the ConfigMap polices nothing by default', !policing.length,
		`${policing} has a [Policy] section`);

	const spec = ds.spec.template.spec;
	const c = Object.fromEntries(spec.containers.map((x) => [x.name, x]));
	const agent = c.agent ?? {}, hook = c.hook ?? {};
	check('containers agent and hook', c.agent && c.hook, `containers ${Object.keys(c)}`);
	check('hostPID: true', spec.hostPID === true, `hostPID ${spec.hostPID}`);
	check('agent privileged', agent.securityContext?.privileged === true, 'not privileged');
	const mount = (x, vol) => (x.volumeMounts ?? []).find((m) => m.name === vol) ?? {};
	const hostPath = (vol) => (spec.volumes ?? []).find((v) => v.name === vol)?.hostPath?.path;
	check('bpffs mount Bidirectional', hostPath('bpffs') === '/sys/fs/bpf' &&
		mount(agent, 'bpffs').mountPropagation === 'Bidirectional',
		`${hostPath('bpffs')}, ${mount(agent, 'bpffs').mountPropagation}`);
	check('cgroup mount readOnly', hostPath('cgroup') === '/sys/fs/cgroup' &&
		mount(agent, 'cgroup').readOnly === true,
		`${hostPath('cgroup')}, readOnly ${mount(agent, 'cgroup').readOnly}`);
	check('tolerations include operator Exists',
		(spec.tolerations ?? []).some((t) => t.operator === 'Exists' && !t.key), 'none');
	const probe = agent.livenessProbe?.exec?.command ?? [];
	check('agent livenessProbe runs bindguard status',
		/(^|\/)bindguard$/.test(probe[0]) && probe[1] === 'status' && probe.length === 2,
		`[${probe}]`);
	const noReq = spec.containers.filter((x) => !x.resources?.requests).map((x) => x.name);
	check('every container has resources.requests', !noReq.length, `none in ${noReq}`);
	const args = hook.args ?? [];
	const exempt = args[args.indexOf('--exempt-namespace') + 1];
	check('hook --exempt-namespace is the Namespace and the DaemonSet\'s namespace',
		args.includes('--exempt-namespace') && exempt === ns.metadata.name &&
		exempt === ds.metadata.namespace,
		`${exempt}, Namespace ${ns.metadata.name}, DaemonSet in ${ds.metadata.namespace}`);
	const refs = (spec.volumes ?? []).filter((v) => v.configMap).map((v) => v.configMap.name);
	check('the ConfigMap the DaemonSet mounts exists', refs.length > 0 &&
		refs.every((r) => r === cm.metadata.name) && cm.metadata.namespace === ds.metadata.namespace,
		`mounts [${refs}], ConfigMap ${cm.metadata.namespace}/${cm.metadata.name}`);
	const tags = spec.containers.map((x) => /:([^/:]+)$/.exec(x.image)?.[1]);
	check(`every image's tag is VERSION (${version})`, tags.every((t) => t === version),
		`tags [${tags}]`);
	const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
	check('maxSurge 1, maxUnavailable 0', ru.maxSurge === 1 && ru.maxUnavailable === 0,
		`maxSurge ${ru.maxSurge}, maxUnavailable ${ru.maxUnavailable}`);

	// The validator itself: broken copies must fail.
	const broken = (what, edit) => {
		const copy = structuredClone(ds);
		edit(copy.spec.template.spec);
		check(`a DaemonSet with ${what} fails validation`, validate(apps.DaemonSet, copy),
			'it validated');
	};
	broken('hostPID: "yes"', (s) => { s.hostPID = 'yes'; });
	broken('a container without a name', (s) => { delete s.containers[0].name; });
}

function pod(file, newPath) {
	const objs = parseFile(file);
	const p = objs[0] ?? {};
	check('converted Pod: one document, kind Pod', objs.length === 1 && p.kind === 'Pod' &&
		p.apiVersion === 'v1', `${objs.length} documents, ${p.apiVersion} ${p.kind}`);
	const paths = (p.spec?.volumes ?? []).map((v) => v.hostPath?.path).filter(Boolean);
	check('converted Pod: the replaced hostPath', paths.includes(newPath), `paths ${paths}`);
	const err = validate(v1.Pod, p);
	check('converted Pod validates as a v1 Pod', !err, err);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'manifests' && rest.length === 2) {
	manifests(...rest);
} else if (mode === 'pod' && rest.length === 2) {
	pod(...rest);
} else {
	console.error('usage: validate.mjs manifests DIR VERSION | pod FILE NEWPATH');
	process.exit(2);
}
process.exit(failed ? 1 : 0);
