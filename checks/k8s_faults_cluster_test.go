package checks

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// crd installs a namespaced custom resource "widgets" with a status
// subresource in group.
func (c *cluster) crd(t *testing.T, group string) {
	t.Helper()
	c.create(t, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", `{"metadata":{"name":"widgets.`+group+`"},"spec":{"group":"`+group+`","scope":"Namespaced",
		"names":{"plural":"widgets","singular":"widget","kind":"Widget"},
		"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
		"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`)
	t.Cleanup(func() {
		c.do(t, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets."+group, "", nil, nil)
	})
}

// TestK8sCustomResource: a resource not served yet is a clear "not
// installed", then its condition is waited for once it is.
func TestK8sCustomResource(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	group := fmt.Sprintf("t%d.initbox.test", time.Now().UnixNano()%1e9)
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	w := startWait(t, "k8s://widgets."+group+"/w1?condition=Ready", o, 2*time.Minute)
	w.until(t, stateIs("does not serve widgets."+group+": is its CustomResourceDefinition installed?"))
	c.crd(t, group)
	c.grant(t, ns, group, "widgets")
	path := "/apis/" + group + "/v1/namespaces/" + ns + "/widgets"
	eventually(t, "the CRD served", func() error { return c.do(t, "GET", path, "", nil, nil) })
	c.create(t, path, `{"apiVersion":"`+group+`/v1","kind":"Widget","metadata":{"name":"w1"}}`)
	w.until(t, stateIs("no Ready condition yet"))
	c.patchStatus(t, path+"/w1", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)
	w.succeeds(t)
}

func TestK8sDeleted(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/configmaps")
	c.create(t, "/api/v1/namespaces/"+ns+"/configmaps", `{"metadata":{"name":"old"}}`)
	w := startWait(t, "k8s://configmap/old?for=delete", o, 2*time.Minute)
	w.until(t, stateIs("exists"))
	c.must(t, "DELETE", "/api/v1/namespaces/"+ns+"/configmaps/old", nil)
	w.succeeds(t)
}

// TestK8sForbiddenThenGranted: with no permission, the wait says who may
// not do what and prints a grant; applying exactly that grant mid-wait
// lets the same wait succeed.
func TestK8sForbiddenThenGranted(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	c.create(t, "/apis/batch/v1/namespaces/"+ns+"/jobs", `{"metadata":{"name":"migrate"},"spec":{"managedBy":"initbox.test/none","template":{"spec":{"restartPolicy":"Never","schedulerName":"initbox-test-none","containers":[{"name":"c","image":"busybox"}]}}}}`)
	w := startWait(t, "k8s://job/migrate", o, 2*time.Minute)
	ev := w.until(t, func(e Event) bool { return errors.As(e.Err, new(*KubeAccessError)) })
	var ae *KubeAccessError
	errors.As(ev.Err, &ae)
	want := "system:serviceaccount:" + ns + ":waiter may not list jobs.batch in namespace " + ns
	if !strings.Contains(ae.Error(), want) {
		t.Errorf("access error %q, want it to say %q", ae.Error(), want)
	}
	t.Logf("hint:\n%s", ae.Hint())
	c.apply(t, ae.Hint())
	w.until(t, stateIs("0/1 succeeded, 0 active"))
	now := time.Now().UTC().Format(time.RFC3339)
	c.patchStatus(t, "/apis/batch/v1/namespaces/"+ns+"/jobs/migrate", `{"status":{"startTime":"`+now+`","completionTime":"`+now+`","succeeded":1,
		"conditions":[{"type":"SuccessCriteriaMet","status":"True","lastTransitionTime":"`+now+`"},{"type":"Complete","status":"True","lastTransitionTime":"`+now+`"}]}}`)
	w.succeeds(t)
}

// apply creates the objects of a YAML stream of RBAC objects.
func (c *cluster) apply(t *testing.T, stream string) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			break
		}
		meta := o["metadata"].(map[string]any)
		path := "/apis/rbac.authorization.k8s.io/v1/"
		if ns, ok := meta["namespace"].(string); ok {
			path += "namespaces/" + ns + "/"
		}
		path += strings.ToLower(o["kind"].(string)) + "s"
		c.must(t, "POST", path, o)
	}
}

// TestK8sWatchForbiddenPolls: with list but not watch allowed, the wait
// says so (with the grant that would allow it) and goes on by polling.
func TestK8sWatchForbiddenPolls(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	c.create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/roles", `{"metadata":{"name":"list-only"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}`)
	c.create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/rolebindings", `{"metadata":{"name":"list-only"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"list-only"},"subjects":[{"kind":"ServiceAccount","name":"waiter","namespace":"`+ns+`"}]}`)
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	c.createPod(t, ns, "db-0", "")
	w := startWait(t, "k8s://pod/db-0", o, 2*time.Minute)
	ev := w.until(t, stateIs("may not watch pods"))
	var ae *KubeAccessError
	if !errors.As(ev.Err, &ae) || ae.Verb != "watch" || !strings.Contains(ae.Hint(), `verbs: ["get", "list", "watch"]`) {
		t.Errorf("got %v, want an access error for watch with its grant", ev.Err)
	}
	c.podReady(t, ns, "db-0", c.node(t), true)
	w.succeeds(t)
}

// TestK8sTokenRotated: the token file is rewritten while waiting and the
// old token revoked; the watch is renewed with the new one.
func TestK8sTokenRotated(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	c.grant(t, ns, "", "pods")
	for _, h := range []string{"holder1", "holder2"} {
		c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{"name":"`+h+`"},"spec":{"serviceAccountName":"waiter","schedulerName":"initbox-test-none","containers":[{"name":"c","image":"busybox"}]}}`)
	}
	c.createPod(t, ns, "db-0", "")
	old := c.token(t, ns, "holder1")
	o, tokenFile := c.serviceAccount(t, ns, old)
	o.WatchTimeout = 3 * time.Second
	w := startWait(t, "k8s://pod/db-0", o, 2*time.Minute)
	w.until(t, stateIs("Pending, not ready"))
	writeKubeFile(t, strings.TrimSuffix(tokenFile, "/token"), "token", c.token(t, ns, "holder2"))
	c.must(t, "DELETE", "/api/v1/namespaces/"+ns+"/pods/holder1", nil)
	eventually(t, "the old token revoked", func() error {
		if code := c.statusAs(t, old, "/api/v1/namespaces/"+ns+"/pods"); code != 401 {
			return fmt.Errorf("the old token still gets %d", code)
		}
		return nil
	})
	time.Sleep(2 * o.WatchTimeout) // the watch is renewed, with the new token
	node := c.node(t)
	c.podReady(t, ns, "db-0", node, true)
	w.succeeds(t)
	for _, err := range w.errs() {
		if strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "refused") {
			t.Errorf("a refusal was reported: %v", err)
		}
	}
}

// statusAs is the status code of a GET made with a bearer token.
func (c *cluster) statusAs(t *testing.T, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", c.server+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	tr := c.http.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = nil
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
