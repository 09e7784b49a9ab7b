/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Counters and the event ring: every event is either queued or counted lost. */
#ifndef BG_REPORT_BPF_H
#define BG_REPORT_BPF_H

static __always_inline void count_lost(struct bg_stats *st)
{
	__u32 global = BG_SLOT_GLOBAL;
	struct bg_stats *g = bpf_map_lookup_elem(&bg_stats, &global);

	__sync_fetch_and_add(&st->lost, 1);
	if (g)
		__sync_fetch_and_add(&g->lost, 1);
}

/* Who did it, read from the task itself: the pid/uid/comm helpers are not
 * callable from every program type on every kernel (sock_ops: none on 6.1,
 * no uid/gid on 6.12), the task is. */
static __always_inline void task_info(struct bg_event *e)
{
	struct task_struct *t = bpf_get_current_task_btf();

	e->pid = t->tgid;
	e->tid = t->pid;
	e->uid = BPF_CORE_READ(t, cred, uid.val);
	e->gid = BPF_CORE_READ(t, cred, gid.val);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), t->comm);
}

/* Reader i of `bindguard events` gets the event on its own ring, with the
 * same fairness as the policy's ring (over_burst: this policy is past its
 * burst in the window), or counts it lost. */
static __always_inline void fan_one(const struct bg_event *e, bool over_burst, __u32 i)
{
	struct bg_reader *r = bpf_map_lookup_elem(&bg_readers, &i);
	__u32 slot;
	void *ring;

	if (!r || !r->ring)
		return;
	slot = r->ring;
	ring = bpf_map_lookup_elem(&bg_rings, &slot);
	if (!ring)
		return;
	if ((over_burst && bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) > BG_RUN_RING_SIZE / 2) ||
	    bpf_ringbuf_output(ring, (void *)e, sizeof(*e), 0))
		__sync_fetch_and_add(&r->lost, 1);
}

/* Every reader, written out: a loop whose counter is spilled across the
 * helper calls reads as an infinite one to some verifiers (bg_emit's on
 * 6.18), and clang does not unroll it. */
_Static_assert(BG_MAX_READERS == 16, "fan_out names each reader");
static __always_inline void fan_out(const struct bg_event *e, bool over_burst)
{
	fan_one(e, over_burst, 0);
	fan_one(e, over_burst, 1);
	fan_one(e, over_burst, 2);
	fan_one(e, over_burst, 3);
	fan_one(e, over_burst, 4);
	fan_one(e, over_burst, 5);
	fan_one(e, over_burst, 6);
	fan_one(e, over_burst, 7);
	fan_one(e, over_burst, 8);
	fan_one(e, over_burst, 9);
	fan_one(e, over_burst, 10);
	fan_one(e, over_burst, 11);
	fan_one(e, over_burst, 12);
	fan_one(e, over_burst, 13);
	fan_one(e, over_burst, 14);
	fan_one(e, over_burst, 15);
}

/* Queue event e on the policy's ring (a run's private ring, else the shared
 * one) and on every reader's, stamped now; with_task fills in the current
 * task (the hooks), else the caller did (bg_emit). Once a ring is more than
 * half full a policy gets BG_FAIR_BURST events per window per CPU on it, so
 * one storm cannot take the whole ring. An event a ring cannot take is
 * counted lost: the policy's and the global counter for the policy's ring,
 * the reader's own for a reader's. */
static __always_inline void enqueue(const struct bg_policy *p, struct bg_stats *st,
				    struct bg_event *e, bool with_task)
{
	__u64 now = bpf_ktime_get_boot_ns(), avail, half = BG_RINGBUF_SIZE / 2;
	void *ring = NULL;
	bool over_burst;
	long err;

	if (p->ring)
		ring = bpf_map_lookup_elem(&bg_rings, &p->ring);
	if (ring) {
		avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		half = BG_RUN_RING_SIZE / 2;
	} else {
		avail = bpf_ringbuf_query(&bg_events, BPF_RB_AVAIL_DATA);
	}
	if (now - st->win_start > BG_FAIR_WINDOW_NS) {
		st->win_start = now;
		st->win_count = 0;
	}
	over_burst = ++st->win_count > BG_FAIR_BURST;
	e->ts_ns = now;
	if (with_task)
		task_info(e);
	fan_out(e, over_burst);
	if (over_burst && avail > half) {
		count_lost(st);
		return;
	}
	if (ring)
		err = bpf_ringbuf_output(ring, e, sizeof(*e), 0);
	else
		err = bpf_ringbuf_output(&bg_events, e, sizeof(*e), 0);
	if (err)
		count_lost(st);
}

/* Count a refused, rewritten or audited action and queue its event. The
 * caller fills what only it knows (address, kind, verdict, reason). */
static __always_inline void report(const struct bg_policy *p, struct bg_stats *st,
				   struct bg_event *e)
{
	if (e->verdict == BG_VERDICT_AUDIT)
		__sync_fetch_and_add(&st->audited, 1);
	else if (e->verdict == BG_VERDICT_REWRITE)
		__sync_fetch_and_add(&st->rewritten, 1);
	else
		__sync_fetch_and_add(&st->denied, 1);
	enqueue(p, st, e, true);
}

static __always_inline struct bg_stats *policy_stats(const struct bg_policy *p)
{
	return bpf_map_lookup_elem(&bg_stats, &p->slot);
}

#endif
