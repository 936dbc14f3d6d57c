package checks

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// kubeResource is a resource of the API, as its URL path needs it.
type kubeResource struct {
	group, version, resource string
	namespaced               bool
	kind                     string // singular, lower case: "job"
}

// path is the collection's URL path in namespace ns.
func (r kubeResource) path(ns string) string {
	p := "/api/" + r.version
	if r.group != "" {
		p = "/apis/" + r.group + "/" + r.version
	}
	if r.namespaced {
		p += "/namespaces/" + ns
	}
	return p + "/" + r.resource
}

// qualified is "jobs.batch", or "pods" for the core group.
func (r kubeResource) qualified() string {
	if r.group == "" {
		return r.resource
	}
	return r.resource + "." + r.group
}

var builtinKinds = []struct {
	names []string
	res   kubeResource
}{
	{[]string{"pod", "pods", "po"}, kubeResource{"", "v1", "pods", true, "pod"}},
	{[]string{"service", "services", "svc"}, kubeResource{"", "v1", "services", true, "service"}},
	{[]string{"job", "jobs"}, kubeResource{"batch", "v1", "jobs", true, "job"}},
	{[]string{"deployment", "deployments", "deploy"}, kubeResource{"apps", "v1", "deployments", true, "deployment"}},
	{[]string{"statefulset", "statefulsets", "sts"}, kubeResource{"apps", "v1", "statefulsets", true, "statefulset"}},
	{[]string{"daemonset", "daemonsets", "ds"}, kubeResource{"apps", "v1", "daemonsets", true, "daemonset"}},
	{[]string{"node", "nodes", "no"}, kubeResource{"", "v1", "nodes", false, "node"}},
	{[]string{"namespace", "namespaces", "ns"}, kubeResource{"", "v1", "namespaces", false, "namespace"}},
	{[]string{"configmap", "configmaps", "cm"}, kubeResource{"", "v1", "configmaps", true, "configmap"}},
	{[]string{"secret", "secrets"}, kubeResource{"", "v1", "secrets", true, "secret"}},
	{[]string{"persistentvolumeclaim", "persistentvolumeclaims", "pvc"}, kubeResource{"", "v1", "persistentvolumeclaims", true, "persistentvolumeclaim"}},
}

// endpointSlices is what a Service's readiness is read from.
var endpointSlices = kubeResource{"discovery.k8s.io", "v1", "endpointslices", true, "endpointslice"}

func builtinKind(name string) (kubeResource, bool) {
	for _, k := range builtinKinds {
		for _, n := range k.names {
			if n == name {
				return k.res, true
			}
		}
	}
	return kubeResource{}, false
}

// kubeJudge says when an object is ready.
type kubeJudge struct {
	kind       string
	mode       string // "" the kind's own readiness, "delete", "create", "condition", "jsonpath"
	cond       string
	condStatus string
	path       jsonPath
	value      string
	hasValue   bool
	min        int // a Service's ready endpoints
}

func (j *kubeJudge) parse(q url.Values, selector bool) error {
	set := 0
	for _, k := range []string{"for", "condition", "jsonpath"} {
		if q.Has(k) {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("give one of for, condition and jsonpath")
	}
	if q.Has("value") && !q.Has("jsonpath") {
		return fmt.Errorf("value needs a jsonpath")
	}
	switch {
	case q.Has("for"):
		j.mode = q.Get("for")
		if j.mode != "delete" && j.mode != "create" {
			return fmt.Errorf("for=%s: want delete or create (for conditions: condition=TYPE)", j.mode)
		}
	case q.Has("condition"):
		j.mode = "condition"
		j.cond, j.condStatus, _ = strings.Cut(q.Get("condition"), "=")
		if j.condStatus == "" {
			j.condStatus = "True"
		}
		if j.cond == "" {
			return fmt.Errorf("condition: want TYPE or TYPE=STATUS, e.g. Ready or Ready=False")
		}
	case q.Has("jsonpath"):
		j.mode = "jsonpath"
		p, err := parseJSONPath(q.Get("jsonpath"))
		if err != nil {
			return err
		}
		j.path, j.value, j.hasValue = p, q.Get("value"), q.Has("value")
	}
	return j.parseMin(q, selector)
}

func (j *kubeJudge) parseMin(q url.Values, selector bool) error {
	j.min = 1
	if j.kind != "service" || j.mode != "" {
		if q.Has("min") {
			return fmt.Errorf("min is for a service's endpoints")
		}
		return nil
	}
	if selector {
		return fmt.Errorf("a service is named, not selected: k8s://service/NAME")
	}
	if m := q.Get("min"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return fmt.Errorf("min=%s: want a number of ready endpoints, at least 1", m)
		}
		j.min = n
	}
	return nil
}

// endpoints reports whether readiness is read from the Service's
// EndpointSlices rather than from the objects named.
func (j *kubeJudge) endpoints() bool { return j.kind == "service" && j.mode == "" }

// evaluate judges the objects seen: a state to report, whether it is
// ready, and an error when it never will be.
func (k *Kube) evaluate(objs map[string]obj) (string, bool, error) {
	switch {
	case k.judge.endpoints():
		return k.judge.serviceEndpoints(objs)
	case k.name != "":
		return k.evaluateNamed(objs[k.name])
	}
	return k.evaluateSelected(objs)
}

// evaluateNamed judges one object. With notfound=done, a missing object
// counts as done only if this wait never saw it: one seen unfinished and
// then deleted was not finished by its TTL.
func (k *Kube) evaluateNamed(o obj) (string, bool, error) {
	if o != nil {
		k.seen = true
	}
	switch {
	case o == nil && k.judge.mode == "delete":
		return "deleted", true, nil
	case o == nil && k.seen && k.judge.mode != "create":
		return "deleted before it was ready; waiting for it to be created again", false, nil
	case o == nil && k.notFound:
		return "not found, counted as done (notfound=done): a finished Job its TTL deleted looks like this", true, nil
	case o == nil:
		return "not found", false, nil
	case k.judge.mode == "delete":
		if str(o, "metadata", "deletionTimestamp") != "" {
			return "being deleted", false, nil
		}
		return "exists", false, nil
	}
	return k.judge.one(o)
}

// evaluateSelected counts the selected objects that are ready. Pods that
// have finished (Succeeded, Failed) are left out: they never become ready
// again and only linger until collected.
func (k *Kube) evaluateSelected(objs map[string]obj) (string, bool, error) {
	if k.judge.mode == "delete" {
		if len(objs) == 0 {
			return "none left", true, nil
		}
		return fmt.Sprintf("%d left", len(objs)), false, nil
	}
	names := make([]string, 0, len(objs))
	for n, o := range objs {
		if k.judge.kind == "pod" && k.judge.mode == "" && podFinished(o) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	ready, firstWaiting := 0, ""
	for _, n := range names {
		state, ok, final := k.judge.one(objs[n])
		switch {
		case final != nil && k.count == 0:
			return "", false, fmt.Errorf("%s/%s: %w", k.judge.kind, n, final)
		case ok:
			ready++
		case firstWaiting == "":
			firstWaiting = fmt.Sprintf("%s/%s: %s", k.judge.kind, n, state)
		}
	}
	var ok bool
	state := fmt.Sprintf("%d/%d ready", ready, len(names))
	switch {
	case len(names) == 0:
		return "none match the selector", false, nil
	case k.count == 0:
		ok = ready == len(names)
	case k.count < 0:
		ok = ready > 0
	default:
		ok = ready >= k.count
		state += fmt.Sprintf(", want %d", k.count)
	}
	if !ok && firstWaiting != "" {
		state += " (" + firstWaiting + ")"
	}
	return state, ok, nil
}

// one judges a single object that exists.
func (j *kubeJudge) one(o obj) (string, bool, error) {
	switch j.mode {
	case "create":
		return "exists", true, nil
	case "condition":
		return j.condition(o)
	case "jsonpath":
		return j.jsonPath(o)
	}
	switch j.kind {
	case "pod":
		return podReady(o)
	case "job":
		return jobComplete(o)
	case "deployment":
		return deploymentRolledOut(o)
	case "statefulset":
		return statefulSetRolledOut(o)
	case "daemonset":
		return daemonSetRolledOut(o)
	case "node":
		j2 := kubeJudge{cond: "Ready", condStatus: "True"}
		return j2.condition(o)
	}
	return "exists", true, nil // a kind with no readiness of its own
}

// condition is kubectl wait --for=condition=TYPE=STATUS: the condition
// must have the status, and must not describe an older generation.
func (j *kubeJudge) condition(o obj) (string, bool, error) {
	c := condition(o, j.cond)
	if c == nil {
		return fmt.Sprintf("no %s condition yet", j.cond), false, nil
	}
	if gen := num(o, "metadata", "generation"); gen > 0 {
		observed, ok := num(c, "observedGeneration"), has(c, "observedGeneration")
		if !ok {
			observed, ok = num(o, "status", "observedGeneration"), has(o, "status", "observedGeneration")
		}
		if ok && observed < gen {
			return fmt.Sprintf("%s condition is for generation %d, not yet %d", j.cond, observed, gen), false, nil
		}
	}
	status := str(c, "status")
	state := fmt.Sprintf("%s=%s", str(c, "type"), status)
	if w := why(c); w != "" && !strings.EqualFold(status, j.condStatus) {
		state += " (" + w + ")"
	}
	return state, strings.EqualFold(status, j.condStatus), nil
}

// jsonPath is kubectl wait --for=jsonpath=PATH=VALUE; with no value, the
// field must exist and not be empty.
func (j *kubeJudge) jsonPath(o obj) (string, bool, error) {
	v, found := j.path.get(o)
	got := valueString(v)
	switch {
	case !found:
		return "no such field yet", false, nil
	case !j.hasValue:
		return fmt.Sprintf("%q", got), got != "", nil
	case got == j.value:
		return fmt.Sprintf("%q", got), true, nil
	}
	return fmt.Sprintf("%q, want %q", got, j.value), false, nil
}
