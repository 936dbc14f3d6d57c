package checks

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// podSpec's pods are left alone by any scheduler (a cluster with a node
// has one): the tests bind them to Node objects no kubelet serves, and
// write their status as that kubelet would.
const podSpec = `{"schedulerName":"initbox-test-none","containers":[{"name":"c","image":"busybox"}],"terminationGracePeriodSeconds":0}`

// createPod creates a pod of podSpec in ns, with labels (JSON members
// such as `"app":"db"`) when given.
func (c *cluster) createPod(t *testing.T, ns, name, labels string) {
	t.Helper()
	meta := `"name":"` + name + `"`
	if labels != "" {
		meta += `,"labels":{` + labels + `}`
	}
	c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{`+meta+`},"spec":`+podSpec+`}`)
}

var podIPs atomic.Int32

// node registers a Node object, so that controllers count pods on it (no
// kubelet runs: the tests write pod status as a kubelet would).
func (c *cluster) node(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("node-%d", time.Now().UnixNano()%1e9)
	c.create(t, "/api/v1/nodes", `{"metadata":{"name":"`+name+`","labels":{"initbox-test":"`+name+`"}}}`)
	t.Cleanup(func() { c.do(t, "DELETE", "/api/v1/nodes/"+name, "", nil, nil) })
	return name
}

// podReady binds a pod to node if it is not bound yet, then reports it
// running and ready with an address, as its kubelet would.
func (c *cluster) podReady(t *testing.T, ns, pod, node string, ready bool) {
	t.Helper()
	path := c.bind(t, ns, pod, node)
	ip := fmt.Sprintf("10.244.%d.%d", 1+podIPs.Load()/250, 1+podIPs.Add(1)%250)
	now := time.Now().UTC().Format(time.RFC3339)
	status := "False"
	if ready {
		status = "True"
	}
	c.patchStatus(t, path, fmt.Sprintf(`{"status":{"phase":"Running","podIP":%q,"podIPs":[{"ip":%q}],"startTime":%q,
		"conditions":[{"type":"Ready","status":%q,"lastTransitionTime":%q},{"type":"ContainersReady","status":%q,"lastTransitionTime":%q}],
		"containerStatuses":[{"name":"c","image":"busybox","imageID":"","ready":%v,"restartCount":0,"state":{"running":{"startedAt":%q}}}]}}`,
		ip, ip, now, status, now, status, now, ready, now))
}

// bind binds a pod to node, as a scheduler would, unless it is bound
// already; it returns the pod's path.
func (c *cluster) bind(t *testing.T, ns, pod, node string) string {
	t.Helper()
	path := "/api/v1/namespaces/" + ns + "/pods/" + pod
	if p := c.must(t, "GET", path, nil); str(p, "spec", "nodeName") == "" {
		c.create(t, path+"/binding", fmt.Sprintf(`{"metadata":{"name":%q},"target":{"kind":"Node","name":%q}}`, pod, node))
	}
	return path
}

// readyStep is a state the wait must report, and the pod then made ready
// (or only running, when not ready).
type readyStep struct {
	state, pod string
	ready      bool
}

// readyInTurn plays the kubelet step by step as the wait reports each
// state; the wait must then end ready.
func (c *cluster) readyInTurn(t *testing.T, w *waitRun, ns, node string, steps ...readyStep) {
	t.Helper()
	for _, s := range steps {
		w.until(t, stateIs(s.state))
		c.podReady(t, ns, s.pod, node, s.ready)
	}
	w.succeeds(t)
}

// podsOf waits for a controller to create n pods of a selector; their names.
func (c *cluster) podsOf(t *testing.T, ns, selector string, n int) []string {
	t.Helper()
	var names []string
	eventually(t, "pods of "+selector, func() error {
		l := c.must(t, "GET", "/api/v1/namespaces/"+ns+"/pods?labelSelector="+selector, nil)
		names = names[:0]
		for _, p := range list(l, "items") {
			names = append(names, name(p.(map[string]any)))
		}
		if len(names) < n {
			return fmt.Errorf("%d pods, want %d", len(names), n)
		}
		return nil
	})
	return names
}

func TestK8sPodReady(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/pods")
	node := c.node(t)
	w := startWait(t, "k8s://pod/db-0", o, 2*time.Minute)
	w.until(t, stateIs("not found"))
	c.createPod(t, ns, "db-0", "")
	c.readyInTurn(t, w, ns, node,
		readyStep{"Pending, not ready", "db-0", false},
		readyStep{"Running, not ready", "db-0", true})
}

func TestK8sPodsSelector(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/pods")
	node := c.node(t)
	for _, p := range []string{"a", "b", "c"} {
		c.createPod(t, ns, p, `"app":"db"`)
	}
	w := startWait(t, "k8s://"+ns+"/pods?selector=app%3Ddb&count=2", o, 2*time.Minute)
	c.readyInTurn(t, w, ns, node,
		readyStep{"0/3 ready", "a", true},
		readyStep{"1/3 ready", "c", true})
}

// jobTest is Job "migrate" in a namespace of its own, and a wait for it.
type jobTest struct {
	c        *cluster
	ns, node string
	w        *waitRun
}

// startJob creates Job "migrate", which fails at its first failed pod,
// and waits for it for at most limit.
func startJob(t *testing.T, limit time.Duration) *jobTest {
	t.Helper()
	c := testCluster(t)
	ns, o := c.waiterFor(t, "batch/jobs")
	j := &jobTest{c: c, ns: ns, node: c.node(t)}
	c.create(t, "/apis/batch/v1/namespaces/"+ns+"/jobs", `{"metadata":{"name":"migrate"},"spec":{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never","schedulerName":"initbox-test-none","containers":[{"name":"c","image":"busybox"}]}}}}`)
	j.w = startWait(t, "k8s://job/migrate", o, limit)
	return j
}

// pod waits for the Job controller to create the Job's pod; its name.
func (j *jobTest) pod(t *testing.T) string {
	t.Helper()
	return j.c.podsOf(t, j.ns, "job-name%3Dmigrate", 1)[0]
}

// TestK8sJobComplete lets the real Job controller run a Job: it creates the
// pod, the test finishes it as a kubelet would, the controller completes.
func TestK8sJobComplete(t *testing.T) {
	j := startJob(t, 2*time.Minute)
	j.w.until(t, stateIs("0/1 succeeded, 1 active"))
	j.c.podFinished(t, j.ns, j.pod(t), j.node, 0)
	j.w.succeeds(t)
}

// podFinished reports a pod's container as exited with code.
func (c *cluster) podFinished(t *testing.T, ns, pod, node string, code int) {
	t.Helper()
	path := c.bind(t, ns, pod, node)
	phase, now := "Succeeded", time.Now().UTC().Format(time.RFC3339)
	if code != 0 {
		phase = "Failed"
	}
	c.patchStatus(t, path, fmt.Sprintf(`{"status":{"phase":%q,"startTime":%q,"containerStatuses":[{"name":"c","image":"busybox","imageID":"","ready":false,"restartCount":0,
		"state":{"terminated":{"exitCode":%d,"reason":"Completed","startedAt":%q,"finishedAt":%q}}}]}}`, phase, now, code, now, now))
}

// TestK8sJobFailed: a failed Job ends the wait at once, as final.
func TestK8sJobFailed(t *testing.T) {
	j := startJob(t, 5*time.Minute)
	pod := j.pod(t)
	start := time.Now()
	j.c.podFinished(t, j.ns, pod, j.node, 1)
	err := j.w.result(t)
	var nr *NotReadyError
	if !errors.As(err, &nr) || !isFinal(nr.Cause) || !strings.Contains(err.Error(), "failed: BackoffLimitExceeded") {
		t.Fatalf("got %v, want a final BackoffLimitExceeded failure", err)
	}
	t.Logf("failure seen %v after the pod failed", time.Since(start))
}

// TestK8sJobGone: a Job its TTL already deleted is answerable.
func TestK8sJobGone(t *testing.T) {
	c := testCluster(t)
	_, o := c.waiterFor(t, "batch/jobs")
	w := startWait(t, "k8s://job/migrate?notfound=done", o, time.Minute)
	w.succeeds(t)
	w = startWait(t, "k8s://job/migrate", o, 3*time.Second)
	if err := w.result(t); err == nil || !strings.Contains(err.Error(), "not ready: not found") {
		t.Fatalf("without notfound=done: %v, want a timeout saying not found", err)
	}
}

// TestK8sServiceEndpoints: the real EndpointSlice controller turns ready
// pods into ready endpoints.
func TestK8sServiceEndpoints(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "discovery.k8s.io/endpointslices")
	node := c.node(t)
	c.create(t, "/api/v1/namespaces/"+ns+"/services", `{"metadata":{"name":"db"},"spec":{"selector":{"app":"db"},"ports":[{"port":5432}]}}`)
	for _, p := range []string{"db-0", "db-1"} {
		c.createPod(t, ns, p, `"app":"db"`)
	}
	w := startWait(t, "k8s://service/db?min=2", o, 2*time.Minute)
	c.readyInTurn(t, w, ns, node,
		readyStep{"0 ready endpoints, want 2", "db-0", true},
		readyStep{"1 ready endpoint, want 2", "db-1", true})
}

// TestK8sRollouts lets the real Deployment, StatefulSet and DaemonSet
// controllers roll out while the test plays the kubelet.
func TestK8sRollouts(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "apps/deployments", "apps/statefulsets", "apps/daemonsets")
	node := c.node(t)
	tmpl := func(app string) string {
		return `"selector":{"matchLabels":{"app":"` + app + `"}},"template":{"metadata":{"labels":{"app":"` + app + `"}},"spec":{"nodeSelector":{"initbox-test":"` + node + `"},"tolerations":[{"operator":"Exists"}],"schedulerName":"initbox-test-none","containers":[{"name":"c","image":"busybox"}]}}`
	}
	c.create(t, "/apis/apps/v1/namespaces/"+ns+"/deployments", `{"metadata":{"name":"web"},"spec":{"replicas":2,`+tmpl("web")+`}}`)
	c.create(t, "/apis/apps/v1/namespaces/"+ns+"/statefulsets", `{"metadata":{"name":"db"},"spec":{"replicas":1,"serviceName":"db",`+tmpl("db")+`}}`)
	c.create(t, "/apis/apps/v1/namespaces/"+ns+"/daemonsets", `{"metadata":{"name":"agent"},"spec":{`+tmpl("agent")+`}}`)
	for _, tt := range []struct{ target, app, waiting string }{
		{"k8s://deployment/web", "web", "updated replicas available"},
		{"k8s://sts/db", "db", "0 of 1 pods ready"},
		{"k8s://daemonset/agent", "agent", "0 of 1 updated pods available"},
	} {
		w := startWait(t, tt.target, o, 2*time.Minute)
		w.until(t, stateIs(tt.waiting))
		pods := c.podsOf(t, ns, "app%3D"+tt.app, 1)
		for _, p := range pods {
			c.podReady(t, ns, p, node, true)
		}
		if err := w.result(t); err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
	}
}
