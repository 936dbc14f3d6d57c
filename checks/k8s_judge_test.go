package checks

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func mustObj(t *testing.T, s string) obj {
	t.Helper()
	var o obj
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return o
}

// TestKubeKinds follows kubectl's rollout status viewers and kubectl
// wait's condition logic case by case.
func TestKubeKinds(t *testing.T) {
	tests := []struct {
		kind, query, object string
		state               string
		ready               bool
		final               string
	}{
		{"pod", "", `{"status":{"phase":"Pending"}}`, "Pending, not ready", false, ""},
		{"pod", "", `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False","reason":"ContainersNotReady"}]}}`, "Running, not ready: ContainersNotReady", false, ""},
		{"pod", "", `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`, "ready", true, ""},
		{"pod", "", `{"status":{"phase":"Failed","reason":"Evicted"}}`, "", false, "pod has finished: Failed (Evicted)"},
		{"job", "", `{"spec":{"completions":1},"status":{"active":1}}`, "0/1 succeeded, 1 active", false, ""},
		{"job", "", `{"spec":{},"status":{"succeeded":3,"failed":1}}`, "3 succeeded, 0 active, 1 failed", false, ""},
		{"job", "", `{"status":{"conditions":[{"type":"Complete","status":"True"}]}}`, "complete", true, ""},
		{"job", "", `{"status":{"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}`, "", false, "failed: BackoffLimitExceeded: Job has reached the specified backoff limit"},
		{"job", "", `{"status":{"conditions":[{"type":"FailureTarget","status":"True","reason":"DeadlineExceeded"}]}}`, "", false, "failed: DeadlineExceeded"},
		{"deployment", "", `{"metadata":{"generation":2},"status":{"observedGeneration":1}}`, "waiting for the spec update to be observed", false, ""},
		{"deployment", "", `{"metadata":{"generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"updatedReplicas":1,"replicas":3}}`, "1 of 3 new replicas updated", false, ""},
		{"deployment", "", `{"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"updatedReplicas":2,"replicas":3}}`, "1 old replicas pending termination", false, ""},
		{"deployment", "", `{"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"updatedReplicas":2,"replicas":2,"availableReplicas":1}}`, "1 of 2 updated replicas available", false, ""},
		{"deployment", "", `{"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"updatedReplicas":2,"replicas":2,"availableReplicas":2}}`, "rolled out", true, ""},
		{"deployment", "", `{"metadata":{"generation":1},"status":{"observedGeneration":1,"conditions":[{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded"}]}}`, "", false, "exceeded its progress deadline"},
		{"statefulset", "", `{"metadata":{"generation":1},"spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}}},"status":{"observedGeneration":1,"readyReplicas":2}}`, "2 of 3 pods ready", false, ""},
		{"statefulset", "", `{"metadata":{"generation":1},"spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}}},"status":{"observedGeneration":1,"readyReplicas":3,"updatedReplicas":2}}`, "partitioned roll out: 2 of 3 new pods updated", false, ""},
		{"statefulset", "", `{"metadata":{"generation":1},"spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}}},"status":{"observedGeneration":1,"readyReplicas":3,"updatedReplicas":3}}`, "rolled out: 3 new pods updated", true, ""},
		{"statefulset", "", `{"metadata":{"generation":1},"spec":{"replicas":1,"updateStrategy":{"type":"RollingUpdate"}},"status":{"observedGeneration":1,"readyReplicas":1,"updateRevision":"b","currentRevision":"a"}}`, "rolling update: 0 pods at revision b", false, ""},
		{"statefulset", "", `{"spec":{"updateStrategy":{"type":"OnDelete"}}}`, "", false, "only available for the RollingUpdate strategy"},
		{"statefulset", "", `{"metadata":{"generation":1},"spec":{"updateStrategy":{"type":"RollingUpdate"}},"status":{}}`, "waiting for the spec update to be observed", false, ""},
		{"daemonset", "", `{"metadata":{"generation":1},"spec":{"updateStrategy":{"type":"RollingUpdate"}},"status":{"observedGeneration":1,"desiredNumberScheduled":2,"updatedNumberScheduled":2,"numberAvailable":1}}`, "1 of 2 updated pods available", false, ""},
		{"daemonset", "", `{"metadata":{"generation":1},"spec":{"updateStrategy":{"type":"RollingUpdate"}},"status":{"observedGeneration":1,"desiredNumberScheduled":2,"updatedNumberScheduled":2,"numberAvailable":2}}`, "rolled out", true, ""},
		{"node", "", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`, "Ready=True", true, ""},
		{"certificates", "condition=Ready", `{"metadata":{"generation":2},"status":{"conditions":[{"type":"Ready","status":"True","observedGeneration":1}]}}`, "Ready condition is for generation 1, not yet 2", false, ""},
		{"certificates", "condition=ready", `{"metadata":{"generation":2},"status":{"conditions":[{"type":"Ready","status":"True","observedGeneration":2}]}}`, "Ready=True", true, ""},
		{"certificates", "condition=Ready=False", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`, "Ready=True", false, ""},
		{"certificates", "condition=Ready", `{"status":{}}`, "no Ready condition yet", false, ""},
		{"pvc", "jsonpath=.status.phase&value=Bound", `{"status":{"phase":"Pending"}}`, `"Pending", want "Bound"`, false, ""},
		{"pvc", "jsonpath={.status.phase}&value=Bound", `{"status":{"phase":"Bound"}}`, `"Bound"`, true, ""},
		{"pod", `jsonpath=.status.conditions[?(@.type=="Ready")].status&value=True`, `{"status":{"conditions":[{"type":"A","status":"False"},{"type":"Ready","status":"True"}]}}`, `"True"`, true, ""},
		{"x", "jsonpath=.spec.ports[1].port&value=443", `{"spec":{"ports":[{"port":80},{"port":443}]}}`, `"443"`, true, ""},
		{"x", "jsonpath=.status.url", `{"status":{}}`, "no such field yet", false, ""},
		{"configmap", "", `{"data":{}}`, "exists", true, ""},
	}
	for _, tt := range tests {
		var j kubeJudge
		j.kind = tt.kind
		q, _ := url.ParseQuery(tt.query)
		if err := j.parse(q, false); err != nil {
			t.Fatalf("%s %s: %v", tt.kind, tt.query, err)
		}
		state, ready, final := j.one(mustObj(t, tt.object))
		switch {
		case tt.final != "":
			if final == nil || !strings.Contains(final.Error(), tt.final) {
				t.Errorf("%s %s: final = %v, want %q", tt.kind, tt.object, final, tt.final)
			}
		case final != nil:
			t.Errorf("%s %s: final error %v", tt.kind, tt.object, final)
		case state != tt.state || ready != tt.ready:
			t.Errorf("%s %s %s: got %q ready=%v, want %q ready=%v", tt.kind, tt.query, tt.object, state, ready, tt.state, tt.ready)
		}
	}
}

func TestKubeSelectedAndNamed(t *testing.T) {
	ready := `{"metadata":{"name":"%s"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`
	pending := `{"metadata":{"name":"%s"},"status":{"phase":"Pending"}}`
	done := `{"metadata":{"name":"%s"},"status":{"phase":"Succeeded"}}`
	mk := func(forms ...string) map[string]obj {
		m := map[string]obj{}
		for i, f := range forms {
			n := string(rune('a' + i))
			m[n] = mustObj(t, strings.Replace(f, "%s", n, 1))
		}
		return m
	}
	tests := []struct {
		count int
		objs  map[string]obj
		state string
		ready bool
	}{
		{0, mk(ready, pending), "1/2 ready (pod/b: Pending, not ready)", false},
		{0, mk(ready, done), "1/1 ready", true},
		{-1, mk(pending, ready), "1/2 ready", true},
		{2, mk(ready, pending, ready), "2/3 ready, want 2", true},
		{2, mk(ready, pending, pending), "1/3 ready, want 2 (pod/b: Pending, not ready)", false},
		{0, mk(), "none match the selector", false},
	}
	for _, tt := range tests {
		k := &Kube{selector: "app=db", count: tt.count, judge: kubeJudge{kind: "pod"}}
		state, ok, err := k.evaluate(tt.objs)
		if err != nil || ok != tt.ready || state != tt.state {
			t.Errorf("count %d: got %q %v %v, want %q %v", tt.count, state, ok, err, tt.state, tt.ready)
		}
	}
	named := &Kube{name: "migrate", notFound: true, judge: kubeJudge{kind: "job"}}
	if state, ok, _ := named.evaluate(nil); !ok || !strings.Contains(state, "not found, counted as done") {
		t.Errorf("notfound=done: %q %v", state, ok)
	}
	running := mustObj(t, `{"status":{"active":1}}`)
	if _, ok, _ := named.evaluate(map[string]obj{"migrate": running}); ok {
		t.Error("a running Job counted as done")
	}
	if state, ok, _ := named.evaluate(nil); ok || !strings.Contains(state, "deleted before it was ready") {
		t.Errorf("notfound=done, seen running, then deleted: %q %v, want not done", state, ok)
	}
	named = &Kube{name: "migrate", judge: kubeJudge{kind: "job", mode: "delete"}}
	if state, ok, _ := named.evaluate(map[string]obj{"migrate": {}}); ok || state != "exists" {
		t.Errorf("for=delete while it exists: %q %v", state, ok)
	}
	if state, ok, _ := named.evaluate(nil); !ok || state != "deleted" {
		t.Errorf("for=delete once gone: %q %v", state, ok)
	}
}

func TestKubeServiceEndpoints(t *testing.T) {
	slices := map[string]obj{
		"v4": mustObj(t, `{"endpoints":[{"addresses":["10.1.0.1"],"targetRef":{"uid":"p1"},"conditions":{"ready":true}},{"addresses":["10.1.0.2"],"targetRef":{"uid":"p2"},"conditions":{"ready":false}},{"addresses":["10.1.0.3"]}]}`),
		"v6": mustObj(t, `{"endpoints":[{"addresses":["fd00::1"],"targetRef":{"uid":"p1"},"conditions":{"ready":true}}]}`),
	}
	j := kubeJudge{kind: "service", min: 2}
	if state, ok, _ := j.serviceEndpoints(slices); !ok || state != "2 ready endpoints" {
		t.Errorf("got %q %v, want 2 ready endpoints", state, ok)
	}
	j.min = 3
	if state, ok, _ := j.serviceEndpoints(slices); ok || state != "2 ready endpoints, want 3" {
		t.Errorf("got %q %v", state, ok)
	}
}

// TestKubeAccessHint checks that the grant is valid YAML naming exactly
// the refused resource and the refused service account.
func TestKubeAccessHint(t *testing.T) {
	e := &KubeAccessError{Code: 403, User: "system:serviceaccount:app:waiter", Verb: "list", Resource: "jobs", Group: "batch", Namespace: "app"}
	if !strings.Contains(e.Error(), "system:serviceaccount:app:waiter may not list jobs.batch in namespace app") {
		t.Errorf("Error() = %q", e.Error())
	}
	dec := yaml.NewDecoder(strings.NewReader(e.Hint()))
	var role, binding map[string]any
	if err := dec.Decode(&role); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&binding); err != nil {
		t.Fatal(err)
	}
	rule := role["rules"].([]any)[0].(map[string]any)
	if role["kind"] != "Role" || rule["apiGroups"].([]any)[0] != "batch" || rule["resources"].([]any)[0] != "jobs" || len(rule["verbs"].([]any)) != 3 {
		t.Errorf("role: %v", role)
	}
	subj := binding["subjects"].([]any)[0].(map[string]any)
	if subj["kind"] != "ServiceAccount" || subj["name"] != "waiter" || subj["namespace"] != "app" {
		t.Errorf("binding subject: %v", subj)
	}
	cluster := &KubeAccessError{Code: 403, User: "alice", Verb: "watch", Resource: "nodes"}
	if h := cluster.Hint(); !strings.Contains(h, "kind: ClusterRole\n") || !strings.Contains(h, "kind: User") || strings.Contains(h, "namespace:") {
		t.Errorf("cluster-wide hint:\n%s", h)
	}
}
