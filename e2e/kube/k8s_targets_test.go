package kube

import (
	"strings"
	"testing"
	"time"
)

// The k8s:// examples, run as real pods: initbox in an init container
// reads the API server from inside the pod, with the pod's own projected
// service account token, CA and namespace, through the Service IP that
// kube-proxy serves, and only with the Role the example grants.

// readyLog waits for a pod of selector to be Ready and returns the log of
// its init container.
func readyLog(t *testing.T, ns, selector, init string, n int) string {
	t.Helper()
	pods := waitPods(t, ns, selector, 4*time.Minute, "Ready", all(n, (*pod).ready))
	p := pods[0]
	if e := p.exited(init); e == nil || e.ExitCode != 0 {
		t.Fatalf("init container %s did not exit 0: %s", init, p.summary())
	}
	return logs(t, ns, p.Metadata.Name, init)
}

func mustContain(t *testing.T, log string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(log, w) {
			t.Errorf("the init container's log lacks %q:\n%s", w, log)
		}
	}
}

// wait-for-job.yaml: the app starts once the migration Job completed; a
// pod that starts after the Job is gone (its TTL) starts too.
func TestWaitForJob(t *testing.T) {
	ns := clusterTest(t, "waitjob")
	// The migration's own wait for a database: here, the API's Service.
	apply(t, ns, example(t, "wait-for-job.yaml", "tcp://db:5432", "dns://kubernetes.default"))
	waitJob(t, ns, "migrate", 4*time.Minute, "Complete")
	log := readyLog(t, ns, "app=app", "wait-for-migration", 2)
	mustContain(t, log, "msg=ready target=\"k8s://job/migrate?notfound=done\"", "found=complete")

	// ttlSecondsAfterFinished would delete it in 10 minutes: do it now,
	// then restart the app's pods, which must not wait for it forever.
	kubectl(t, "delete", "job", "migrate", "-n", ns, "--wait=true")
	kubectl(t, "delete", "pods", "-n", ns, "-l", "app=app", "--wait=false")
	pods := waitPods(t, ns, "app=app", 4*time.Minute, "new pods Ready", func(ps []*pod) bool {
		return len(fresh(ps)) >= 2
	})
	p := fresh(pods)[0]
	mustContain(t, logs(t, ns, p.Metadata.Name, "wait-for-migration"), "not found, counted as done (notfound=done)")
}

// fresh are the pods that are Ready and not being deleted.
func fresh(ps []*pod) []*pod {
	var out []*pod
	for _, p := range ps {
		if p.Metadata.DeletionTimestamp == "" && p.ready() {
			out = append(out, p)
		}
	}
	return out
}

// wait-for-endpoints.yaml: web waits until the Service db has a ready
// endpoint, which only a ready pod behind it gives.
func TestWaitForEndpoints(t *testing.T) {
	ns := clusterTest(t, "waitsvc")
	apply(t, ns, example(t, "wait-for-endpoints.yaml", "replicas: 3", "replicas: 2"))
	pods := waitPods(t, ns, "app=web", 4*time.Minute, "init containers running", all(2, func(p *pod) bool { return p.running("wait-for-db") }))
	waitLog(t, ns, pods[0].Metadata.Name, "wait-for-db", 2*time.Minute, "0 ready endpoints, want 1")
	// Still waiting: a Service's DNS name exists, its endpoints do not.
	if p := waitPod(t, ns, pods[0].Metadata.Name, time.Minute, "still waiting", func(*pod) bool { return true }); p.condition("Initialized") == "True" {
		t.Fatalf("web went on with no db endpoint: %s", p.summary())
	}
	apply(t, ns, `apiVersion: v1
kind: Pod
metadata:
  name: db-0
  labels: {app: db}
spec:
  containers:
    - name: db
      image: example.com/orders:1.0
      readinessProbe:
        httpGet: {path: /, port: 8080}
        periodSeconds: 1
`)
	log := readyLog(t, ns, "app=web", "wait-for-db", 2)
	mustContain(t, log, `msg=ready target="k8s://service/db?min=1"`, `found="1 ready endpoint"`)
}

// wait-for-statefulset.yaml: the app waits for the StatefulSet's rollout.
func TestWaitForStatefulSet(t *testing.T) {
	ns := clusterTest(t, "waitsts")
	apply(t, ns, example(t, "wait-for-statefulset.yaml"))
	log := readyLog(t, ns, "app=app", "wait-for-db", 1)
	mustContain(t, log, "target=k8s://statefulset/db", "of 3 pods ready", "msg=ready target=k8s://statefulset/db")
	sts := kubectl(t, "get", "statefulset", "db", "-n", ns, "-o", "jsonpath={.status.readyReplicas}")
	if strings.TrimSpace(sts) != "3" {
		t.Errorf("the app started with %q of 3 db replicas ready", sts)
	}
}
