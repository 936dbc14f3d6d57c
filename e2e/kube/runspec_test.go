package kube

import (
	"fmt"
	"testing"
	"time"
)

// run-spec.yaml: one init container runs the whole spec from the
// ConfigMap: both waits at once, the page fetched, the config rendered.
// The MySQL host is .15 (TestMysqlRedisWait has .14) and kubernetes.io the
// suite's server.
func TestRunSpec(t *testing.T) {
	requireCluster(t)
	t.Parallel()
	const host = "192.168.90.15"
	srv := startPageServer(t, true)
	ns := newNamespace(t, "run-spec")
	addHostAddress(t, host)
	apply(t, ns, fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: mysql}\nspec: {selector: {app: mysql}, externalIPs: [%s], ports: [{port: 3306}]}\n", host))
	apply(t, ns, example(t, "run-spec.yaml", "192.168.90.14", host, "https://kubernetes.io", srv.url("/index.html")))
	const app = "app=orders"
	waitPods(t, ns, app, 3*time.Minute, "both replicas running the spec", all(2, func(p *pod) bool { return p.running("init") }))

	apply(t, ns, standinListener("mysql", 3306))
	apply(t, ns, "apiVersion: v1\nkind: Service\nmetadata: {name: redis-standalone-svc}\nspec: {ports: [{port: 6379}]}\n")
	pods := waitPods(t, ns, app, 4*time.Minute, "both replicas Ready", all(2, (*pod).ready))
	for _, p := range pods {
		if e := p.exited("init"); e == nil || e.ExitCode != 0 {
			t.Errorf("%s: init did not exit 0: %s", p.Metadata.Name, p.summary())
		}
		conf := kubectl(t, "exec", "-n", ns, p.Metadata.Name, "-c", "orders", "--", "/standin", "cat", "/work-dir/orders.conf")
		if want := "mysql = " + host + ":3306\nredis = redis-standalone-svc:6379\n"; conf != want {
			t.Errorf("%s: orders.conf is %q, want %q", p.Metadata.Name, conf, want)
		}
		if page := kubectl(t, "exec", "-n", ns, p.Metadata.Name, "-c", "orders", "--", "/standin", "cat", "/work-dir/index.html"); page != srv.page {
			t.Errorf("%s: index.html is %q, want %q", p.Metadata.Name, page, srv.page)
		}
	}
}
