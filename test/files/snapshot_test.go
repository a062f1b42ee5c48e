package files

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/reconciler"
)

// schedulerPollInterval replaces DittoFS's one-minute scheduler tick
// (snapshot.scheduler_poll_interval) in the test's dfs config, so that a
// declared policy's first snapshot, which is due at the first tick after the
// policy exists, comes within seconds.
const schedulerPollInterval = "1s"

// scheduledSnapshots lists the share's snapshots the scheduler took for a
// policy named prefix (DittoFS names them <prefix>-<UTC time>), newest first.
func scheduledSnapshots(t *testing.T, c *apiclient.Client, share, prefix string) []apiclient.Snapshot {
	t.Helper()
	all, err := c.ListSnapshots(share)
	if err != nil {
		t.Fatalf("GET the snapshots of %s: %v", share, err)
	}
	var out []apiclient.Snapshot
	for _, s := range all {
		if s.Scheduled && strings.HasPrefix(s.Name, prefix+"-") {
			out = append(out, s)
		}
	}
	return out
}

// waitScheduledSnapshot waits until the scheduler has taken a ready snapshot
// of share for the policy named prefix. The test never asks for one: no
// POST to the snapshots or to the policy's run endpoint.
func waitScheduledSnapshot(t *testing.T, p *pod, share, prefix string, within time.Duration) apiclient.Snapshot {
	t.Helper()
	c := p.admin()
	deadline := time.Now().Add(within)
	for {
		for _, s := range scheduledSnapshots(t, c, share, prefix) {
			switch s.State {
			case "ready":
				return s
			case "failed":
				t.Fatalf("the scheduled snapshot %s of %s failed: %s", s.Name, share, s.Error)
			}
		}
		if time.Now().After(deadline) {
			all, err := c.ListSnapshots(share)
			t.Fatalf("no ready snapshot named %s-… taken by the scheduler on %s within %s; the share's snapshots: %+v, %v", prefix, share, within, all, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// testPolicySnapshots is step 5 of the sequence (docs/fileservice.md): the
// policy the first pass declared on /data (1h, keepLast 3, namePrefix
// declared) has taken a snapshot by itself; a policy every 2s with keepLast
// 2 then shows DittoFS pruning the oldest; the declared policy is put back.
func testPolicySnapshots(t *testing.T, p *pod) {
	t.Helper()
	first := waitScheduledSnapshot(t, p, "/data", "declared", 90*time.Second)
	t.Logf("the scheduler took %s (%s) at %s", first.Name, first.ID, first.CreatedAt)
	c := p.admin()
	if pol, err := c.GetSnapshotPolicy("/data"); err != nil || pol.LastRunAt == nil {
		t.Errorf("the policy of /data after its snapshot: %+v, %v; want a last_run_at", pol, err)
	}

	const keepLast = 2
	p.declare(p.declaration(func(c *declared.Config) {
		c.SnapshotPolicies[0].Interval, c.SnapshotPolicies[0].KeepLast = "2s", keepLast
	}))
	wantOnePolicyUpdate(t, p.pass())
	seen := map[string]bool{first.ID: true}
	deadline := time.Now().Add(60 * time.Second)
	for {
		snaps := scheduledSnapshots(t, c, "/data", "declared")
		for _, s := range snaps {
			seen[s.ID] = true
		}
		firstGone := !slices.ContainsFunc(snaps, func(s apiclient.Snapshot) bool { return s.ID == first.ID })
		if firstGone && len(seen) >= keepLast+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keepLast %d did not prune the first snapshot within 60s (%d taken): %+v", keepLast, len(seen), snaps)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Put the declared policy back: its interval (1h) has not elapsed since
	// the last run, so no snapshot is taken or pruned any more.
	p.declare(p.declaration(nil))
	wantOnePolicyUpdate(t, p.pass())
	if pol, err := c.GetSnapshotPolicy("/data"); err != nil || pol.KeepLast != 3 || pol.Interval != "1h0m0s" {
		t.Errorf("the policy of /data put back: %+v, %v; want 1h, keep_last 3", pol, err)
	}
	// A run prunes the ready snapshots beyond the newest keepLast before its
	// own, still being made, turns ready: keepLast+1 remain after the last.
	kept := settledSnapshots(t, c, "/data", "declared")
	for _, s := range kept {
		seen[s.ID] = true
	}
	if len(kept) > keepLast+1 || len(seen) <= len(kept) {
		t.Errorf("keepLast %d kept %d of the %d snapshots the scheduler took: %+v", keepLast, len(kept), len(seen), kept)
	}
	t.Logf("the scheduler took %d snapshots; keepLast %d kept %d", len(seen), keepLast, len(kept))
}

// settledSnapshots waits until none of the policy's snapshots is still being
// made, and returns them.
func settledSnapshots(t *testing.T, c *apiclient.Client, share, prefix string) []apiclient.Snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		snaps := scheduledSnapshots(t, c, share, prefix)
		if !slices.ContainsFunc(snaps, func(s apiclient.Snapshot) bool { return s.State != "ready" }) {
			return snaps
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshots of %s not ready within 30s: %+v", share, snaps)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func wantOnePolicyUpdate(t *testing.T, res reconciler.PassResult) {
	t.Helper()
	if res.Writes != 1 || len(res.Actions) != 1 || res.Actions[0].Kind != reconciler.KindSnapshotPolicy {
		t.Errorf("a changed snapshot policy made %d writes, want the policy's one: %v", res.Writes, res.Actions)
	}
}
