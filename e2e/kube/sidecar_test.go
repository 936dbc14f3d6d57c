package kube

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// native-sidecar.yaml: initbox serve runs as a native sidecar; its startup
// probe holds back the next init container (the migration's fetch) and the
// app until PostgreSQL (a real login), Redis (PING) and the catalog answer,
// and its readiness probe takes the pod out of Ready while Redis is down.
// The three are real servers on the node address, behind Services of the
// example's names (an EndpointSlice each).
func TestNativeSidecar(t *testing.T) {
	ns := clusterTest(t, "sidecar")
	apply(t, ns, "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-db}\nstringData: {password: s3cret}\n")
	apply(t, ns, example(t, "native-sidecar.yaml"))
	const app = "app=shop"
	pods := waitPods(t, ns, app, 3*time.Minute, "the sidecars running", all(2, func(p *pod) bool { return p.running("deps") }))
	name := pods[0].Metadata.Name
	waitEvent(t, ns, name, "Startup probe failed")
	for _, p := range waitPods(t, ns, app, time.Minute, "the pods", all(2, func(*pod) bool { return true })) {
		if p.running("migrate") || p.exited("migrate") != nil || p.running("shop") || p.ready() {
			t.Errorf("%s went on with its dependencies missing: %s", p.Metadata.Name, p.summary())
		}
	}

	const pgPort, redisPort, catalogPort = 15432, 16379, 18080
	startPostgres(t, pgPort)
	redis := startRedis(t, redisPort)
	startCatalog(t, catalogPort)
	for _, s := range []struct {
		name       string
		port, node int
	}{{"postgres", 5432, pgPort}, {"redis", 6379, redisPort}, {"catalog", 80, catalogPort}} {
		apply(t, ns, nodeService(s.name, s.port, s.node))
	}
	pods = waitPods(t, ns, app, 4*time.Minute, "both replicas Ready", all(2, (*pod).ready))
	for _, p := range pods {
		if e := p.exited("migrate"); e == nil || e.ExitCode != 0 {
			t.Errorf("%s: migrate did not exit 0: %s", p.Metadata.Name, p.summary())
		}
	}

	// Redis goes away: the sidecar's readiness takes the pods out.
	redis.Process.Kill()
	redis.Wait()
	waitPods(t, ns, app, 3*time.Minute, "both replicas not Ready without Redis", all(2, func(p *pod) bool {
		return p.condition("Ready") == "False" && p.running("shop")
	}))
	startRedis(t, redisPort)
	waitPods(t, ns, app, 3*time.Minute, "both replicas Ready again", all(2, (*pod).ready))
}

// nodeService is a Service whose one endpoint is port node of the node
// address, where the test's own servers listen.
func nodeService(name string, port, node int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s}
spec: {ports: [{port: %[2]d, targetPort: %[3]d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %[1]s-node
  labels: {kubernetes.io/service-name: %[1]s, endpointslice.kubernetes.io/managed-by: initbox-e2e}
addressType: IPv4
endpoints: [{addresses: [%[4]q], conditions: {ready: true}}]
ports: [{port: %[3]d, protocol: TCP}]
`, name, port, node, cl.nodeIP)
}

// waitEvent waits until an event of pod name holds reason.
func waitEvent(t *testing.T, ns, name, reason string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		events := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+name, "-o", "custom-columns=REASON:.reason,MESSAGE:.message")
		if strings.Contains(events, reason) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q among the events of %s:\n%s", reason, name, events)
		}
		time.Sleep(time.Second)
	}
}

// startPostgres runs Debian's PostgreSQL (scripts/deps.sh installs it) on
// the node address as the postgres user, with the role shop (password
// s3cret, as in the Secret) and its database.
func startPostgres(t *testing.T, port int) {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Fatal("no PostgreSQL (scripts/deps.sh installs it)")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "initbox-e2e-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// Run as postgres directly (no runuser in between), so that a signal
	// reaches the server itself.
	asPostgres := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = dir
		return cmd
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := asPostgres(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-N", "--no-instructions").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	// Pods log in over the network with the Secret's password.
	hba, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(hba, "host all all 10.244.0.0/16 scram-sha-256")
	hba.Close()
	srv := asPostgres(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", fmt.Sprint(port), "-c", "listen_addresses="+cl.nodeIP, "-c", "fsync=off")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Signal(syscall.SIGQUIT); srv.Wait() })
	psql := func(sql string) ([]byte, error) {
		return asPostgres("psql", "-h", dir, "-p", fmt.Sprint(port), "-U", "postgres", "-c", sql).CombinedOutput()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := psql("SELECT 1")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("psql: %v: %s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, sql := range []string{"CREATE ROLE shop LOGIN PASSWORD 's3cret'", "CREATE DATABASE shop OWNER shop"} {
		if out, err := psql(sql); err != nil {
			t.Fatalf("psql %s: %v: %s", sql, err, out)
		}
	}
}

// startRedis runs Debian's redis-server on the node address. It needs the
// Secret's password: INITBOX_PASSWORD_FILE is used for every target
// without a password of its own, redis://redis:6379 too (a Redis without
// one answers AUTH with an error, and the pod never starts).
func startRedis(t *testing.T, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("redis-server", "--bind", cl.nodeIP, "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no", "--protected-mode", "no", "--requirepass", "s3cret")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, net.JoinHostPort(cl.nodeIP, fmt.Sprint(port)))
	return cmd
}

// startCatalog serves /healthz and /schema.sql on the node address.
func startCatalog(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(cl.nodeIP, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /schema.sql", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "CREATE TABLE orders (id int);") })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
