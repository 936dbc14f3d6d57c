package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// dns-wait-deadline.yaml: with --timeout=0 initbox waits as long as
// Kubernetes lets it; the Job's activeDeadlineSeconds ends it, and initbox
// stops at once on the SIGTERM (exit 143), not killed after the grace
// period.
func TestDNSWaitDeadline(t *testing.T) {
	requireCluster(t)
	t.Parallel()
	t.Run("name appears", func(t *testing.T) {
		t.Parallel()
		ns := newNamespace(t, "deadline-ok")
		apply(t, ns, example(t, "dns-wait-deadline.yaml"))
		p := waitPods(t, ns, "job-name=migrate", 3*time.Minute, "the Job's pod waiting", all(1, func(p *pod) bool {
			return p.running("wait-for-myservice")
		}))[0]
		waitLog(t, ns, p.Metadata.Name, "wait-for-myservice", 2*time.Minute, "NXDOMAIN for myservice."+ns+".svc.cluster.local")
		apply(t, ns, "apiVersion: v1\nkind: Service\nmetadata: {name: myservice}\nspec: {ports: [{port: 80}]}\n")
		waitJob(t, ns, "migrate", 3*time.Minute, "Complete")
		if log := logs(t, ns, p.Metadata.Name, "migrate"); !strings.Contains(log, "--target http://myservice") {
			t.Errorf("the migration did not run as asked: %q", log)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		ns := newNamespace(t, "deadline")
		// A deadline a test can wait for: 45 s, not 10 minutes.
		apply(t, ns, example(t, "dns-wait-deadline.yaml", "activeDeadlineSeconds: 600", "activeDeadlineSeconds: 45"))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		// The Job's pod is deleted once it ended: its last state comes with
		// the watch's events, the DELETED one included.
		var end *terminated
		var last pod
		err := cl.watch(ctx, "/api/v1/namespaces/"+ns+"/pods?labelSelector=job-name%3Dmigrate", func(typ string, raw json.RawMessage) (bool, error) {
			var p pod
			if err := json.Unmarshal(raw, &p); err != nil {
				return false, fatalError{err}
			}
			last = p
			end = p.exited("wait-for-myservice")
			return end != nil, nil
		})
		if err != nil {
			t.Fatalf("waiting for the init container to end: %v; last seen %s", err, last.summary())
		}
		if end.ExitCode != 143 {
			t.Errorf("wait-for-myservice exited %d (%s), want 143: initbox stops on SIGTERM", end.ExitCode, end.Reason)
		}
		if end.Message != "" {
			t.Logf("termination message: %q", end.Message)
		}
		if c := waitJob(t, ns, "migrate", 3*time.Minute, "Failed"); c.Reason != "DeadlineExceeded" {
			t.Errorf("the Job failed for %s (%s), want DeadlineExceeded", c.Reason, c.Message)
		}
		if last.running("migrate") || last.exited("migrate") != nil {
			t.Errorf("the migration ran without myservice: %s", last.summary())
		}
	})
}

// waitJob waits until Job name has condition typ True, and returns it. A
// Job that reaches the other end (Failed for Complete, and the reverse)
// fails the test at once.
func waitJob(t *testing.T, ns, name string, timeout time.Duration, typ string) condition {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var found condition
	var seen []condition
	err := cl.watch(ctx, "/apis/batch/v1/namespaces/"+ns+"/jobs?fieldSelector=metadata.name%3D"+name, func(_ string, raw json.RawMessage) (bool, error) {
		var j struct {
			Status struct {
				Conditions []condition `json:"conditions"`
			} `json:"status"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return false, fatalError{err}
		}
		seen = j.Status.Conditions
		for _, c := range seen {
			if c.Status != "True" {
				continue
			}
			if c.Type == typ {
				found = c
				return true, nil
			}
			if c.Type == "Complete" || c.Type == "Failed" {
				return false, fatalError{fmt.Errorf("the Job is %s (%s: %s)", c.Type, c.Reason, c.Message)}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("Job %s never became %s: %v; conditions: %+v", name, typ, err, seen)
	}
	return found
}
