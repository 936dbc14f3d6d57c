package kube

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// mysqlHost is the MySQL host of mysql-redis-wait.yaml. The test makes it
// exist in the cluster's network namespace, up (it answers pings) long
// before MySQL accepts connections on it.
const mysqlHost = "192.168.90.14"

// mysql-redis-wait.yaml: each replica waits for MySQL's port (not for its
// host to answer), then for redis-standalone-svc to have an address; with no
// such name after 100 s, initbox exits 124 with the last DNS error.
func TestMysqlRedisWait(t *testing.T) {
	ns := clusterTest(t, "orders")
	addHostAddress(t, mysqlHost)
	// The host's MySQL port: a Service on the host address, whose pod
	// starts later.
	apply(t, ns, fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: mysql}
spec:
  selector: {app: mysql}
  externalIPs: [%s]
  ports: [{port: 3306}]
`, mysqlHost))
	apply(t, ns, example(t, "mysql-redis-wait.yaml"))
	const app = "app=orders"
	waitPods(t, ns, app, 3*time.Minute, "both replicas waiting for MySQL", all(2, func(p *pod) bool {
		return p.running("wait-for-mysql")
	}))
	for _, p := range waitPods(t, ns, app, time.Minute, "the pods", all(2, func(*pod) bool { return true })) {
		waitLog(t, ns, p.Metadata.Name, "wait-for-mysql", 2*time.Minute, "target=tcp://"+mysqlHost+":3306", "connection refused")
	}

	apply(t, ns, `apiVersion: v1
kind: Pod
metadata: {name: mysql, labels: {app: mysql}}
spec:
  containers:
  - name: mysql
    image: `+imageStandin+`
    args: [listen, -addr, ":3306"]
    readinessProbe: {tcpSocket: {port: 3306}, periodSeconds: 1}
`)
	// No redis-standalone-svc: after MySQL, each replica waits 100 s for
	// the name, then its init container exits 124 and is restarted.
	pods := waitPods(t, ns, app, 5*time.Minute, "wait-for-redis to time out", all(2, func(p *pod) bool {
		e := p.exited("wait-for-redis")
		return e != nil
	}))
	for _, p := range pods {
		if e := p.exited("wait-for-mysql"); e == nil || e.ExitCode != 0 {
			t.Errorf("%s: wait-for-mysql did not exit 0: %s", p.Metadata.Name, p.summary())
		}
		e := p.exited("wait-for-redis")
		if e.ExitCode != 124 {
			t.Errorf("%s: wait-for-redis exited %d, want 124 (timed out): %s", p.Metadata.Name, e.ExitCode, p.summary())
		}
		if d := runTime(e); d < 99*time.Second { // times have 1 s resolution
			t.Errorf("%s: wait-for-redis gave up after %v, before its 100 s", p.Metadata.Name, d)
		}
		log := runLogs(t, ns, p.Metadata.Name, "wait-for-redis")
		if !strings.Contains(log, "NXDOMAIN for redis-standalone-svc."+ns+".svc.cluster.local") || !strings.Contains(log, "timed out") {
			t.Errorf("%s: no run of wait-for-redis ended with the DNS error:\n%s", p.Metadata.Name, log)
		}
		if p.ready() {
			t.Errorf("%s is Ready without Redis", p.Metadata.Name)
		}
	}

	apply(t, ns, `apiVersion: v1
kind: Service
metadata: {name: redis-standalone-svc}
spec: {ports: [{port: 6379}]}
`)
	waitPods(t, ns, app, 4*time.Minute, "both replicas Ready once Redis's name exists", all(2, (*pod).ready))
}

// addHostAddress gives the cluster's namespace (where the tests run) one
// more address on its kube0 interface, for as long as the test runs.
func addHostAddress(t *testing.T, ip string) {
	t.Helper()
	if out, err := exec.Command("ip", "addr", "add", ip+"/32", "dev", "kube0").CombinedOutput(); err != nil {
		t.Fatalf("adding %s: %v: %s", ip, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "addr", "del", ip+"/32", "dev", "kube0").Run() })
}

// runTime is how long a terminated container ran.
func runTime(e *terminated) time.Duration {
	start, err1 := time.Parse(time.RFC3339, e.StartedAt)
	end, err2 := time.Parse(time.RFC3339, e.FinishedAt)
	if err1 != nil || err2 != nil {
		return 0
	}
	return end.Sub(start)
}

// runLogs returns the logs of container c's current and previous runs
// (the kubelet restarts a failed container within a second or so: by the
// time the log is read, the run that just ended may be the previous one).
func runLogs(t *testing.T, ns, name, c string) string {
	t.Helper()
	ctx := t.Context()
	cur, err1 := cl.kubectlIn(ctx, "", "logs", "-n", ns, name, "-c", c)
	prev, err2 := cl.kubectlIn(ctx, "", "logs", "-n", ns, name, "-c", c, "--previous")
	if err1 != nil && err2 != nil {
		t.Fatalf("no log of %s/%s: %v; %v", name, c, err1, err2)
	}
	return prev + cur
}
