package checks

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/initbox/initbox/internal/lazy"
)

// Kube waits for Kubernetes objects: k8s://[NAMESPACE/]KIND/NAME or, with
// a label selector, k8s://[NAMESPACE/]KIND?selector=app=db. What "ready"
// means is the kind's own (see k8s_judge.go) unless the query asks for a
// condition, a field value, or deletion. See docs/kubernetes-objects.md.
type Kube struct {
	target    string
	namespace string
	name      string // one object, or
	selector  string // every object this label selector matches
	count     int    // with a selector: how many must be ready; 0 all, -1 any
	notFound  bool   // a missing object counts as done (a Job its TTL deleted)
	seen      bool   // the named object existed at some point of this wait
	judge     kubeJudge
	res       kubeResource // resolved at parse for built-in kinds, else by discovery
	want      kubeWant     // what to resolve by discovery
	client    *kubeClient
	watchFor  time.Duration
	grace     time.Duration
	onGone    func() // tests: a watch expired (410) and a list follows
}

// kubeWant is a resource named by the user, to find by discovery.
type kubeWant struct{ resource, version, group string }

var (
	k8sName    = lazy.Regexp(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	apiVersion = lazy.Regexp(`^v[0-9]+((alpha|beta)[0-9]+)?$`)
)

func newKube(target, rest string, o KubeOptions) (*Kube, error) {
	path, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, usageErrorf(target, "query: %v", err)
	}
	k := &Kube{target: target, selector: q.Get("selector"), watchFor: o.WatchTimeout, grace: o.ForbiddenGrace}
	if err := k.parsePath(path); err != nil {
		return nil, usageErrorf(target, "%v", err)
	}
	if err := k.parseQuery(q); err != nil {
		return nil, usageErrorf(target, "%v", err)
	}
	conn, err := loadKubeConn(o)
	if err != nil {
		return nil, usageErrorf(target, "%v", err)
	}
	if k.namespace == "" {
		k.namespace = conn.namespace
	}
	if k.watchFor <= 0 {
		k.watchFor = 5 * time.Minute
	}
	if k.grace <= 0 {
		k.grace = 5 * time.Second
	}
	k.client = newKubeClient(conn)
	return k, nil
}

// parsePath reads [NAMESPACE/]KIND/NAME, or [NAMESPACE/]KIND with a selector.
func (k *Kube) parsePath(path string) error {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	want := 2
	if k.selector != "" {
		want = 1
	}
	switch len(parts) {
	case want:
	case want + 1:
		k.namespace, parts = parts[0], parts[1:]
		if !k8sName().MatchString(k.namespace) {
			return fmt.Errorf("namespace %q is not a valid name", k.namespace)
		}
	default:
		if k.selector != "" {
			return fmt.Errorf("want k8s://[NAMESPACE/]KIND?selector=LABELS")
		}
		return fmt.Errorf("want k8s://[NAMESPACE/]KIND/NAME or k8s://[NAMESPACE/]KIND?selector=LABELS")
	}
	if want == 2 {
		k.name = parts[1]
		if !k8sName().MatchString(k.name) {
			return fmt.Errorf("name %q is not a valid object name", k.name)
		}
	}
	return k.parseKind(strings.ToLower(parts[0]))
}

// parseKind takes a built-in kind ("job", "deploy", "svc") or
// RESOURCE[.VERSION].GROUP for any other, custom resources included.
func (k *Kube) parseKind(kind string) error {
	if kind == "" {
		return fmt.Errorf("no kind: want e.g. pod, job, service, deployment or RESOURCE.GROUP")
	}
	if r, ok := builtinKind(kind); ok {
		k.res = r
		k.judge.kind = r.kind
		return nil
	}
	resource, group, _ := strings.Cut(kind, ".")
	if v, g, ok := strings.Cut(group, "."); ok && apiVersion().MatchString(v) {
		k.want = kubeWant{resource: resource, version: v, group: g}
	} else {
		k.want = kubeWant{resource: resource, group: group}
	}
	k.judge.kind = resource
	return nil
}

func (k *Kube) parseQuery(q url.Values) error {
	for key := range q {
		switch key {
		case "selector", "count", "for", "condition", "jsonpath", "value", "min", "notfound":
		default:
			return fmt.Errorf("unknown option %q (want selector, count, for, condition, jsonpath, value, min or notfound)", key)
		}
	}
	if err := k.parseCount(q); err != nil {
		return err
	}
	switch nf := q.Get("notfound"); nf {
	case "", "wait":
	case "done":
		k.notFound = true
		if k.name == "" {
			return fmt.Errorf("notfound=done needs a named object, not a selector")
		}
	default:
		return fmt.Errorf("notfound=%s: want done or wait", nf)
	}
	return k.judge.parse(q, k.name == "")
}

func (k *Kube) parseCount(q url.Values) error {
	c := q.Get("count")
	if c != "" && k.selector == "" {
		return fmt.Errorf("count needs a selector")
	}
	switch c {
	case "", "all":
	case "any":
		k.count = -1
	default:
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return fmt.Errorf("count=%s: want all, any or a number of at least 1", c)
		}
		k.count = n
	}
	return nil
}

// String names the target as given: it holds no secret.
func (k *Kube) String() string { return k.target }

// Check makes one attempt: one list of the object or the selector's
// objects (after a discovery, the first time, for a kind not built in).
func (k *Kube) Check(ctx context.Context) error {
	_, err := k.CheckDetail(ctx)
	return err
}

// CheckDetail is Check that also says what was found when ready.
func (k *Kube) CheckDetail(ctx context.Context) (string, error) {
	res, err := k.resolve(ctx)
	if err != nil {
		return "", k.explain(err, "list", res)
	}
	l, err := k.client.list(ctx, k.listPath(res), k.listQuery())
	if err != nil {
		return "", k.explain(err, "list", res)
	}
	objs := map[string]obj{}
	for _, o := range l.Items {
		objs[name(o)] = o
	}
	return k.verdict(objs)
}

// verdict judges what was seen: nil and what was found when ready, a
// *FinalError when it never will be, else a *KubeStateError.
func (k *Kube) verdict(objs map[string]obj) (string, error) {
	state, ready, final := k.evaluate(objs)
	switch {
	case final != nil:
		return "", &FinalError{Err: final}
	case ready:
		return state, nil
	}
	return "", &KubeStateError{State: state}
}

// KubeStateError is the last state seen of an object that is not ready:
// "0/1 succeeded, 1 active". Err, when set, is why nothing newer was seen.
type KubeStateError struct {
	State string
	Err   error
}

func (e *KubeStateError) Error() string {
	if e.Err != nil {
		return e.State + " (" + e.Err.Error() + ")"
	}
	return e.State
}

func (e *KubeStateError) Unwrap() error { return e.Err }
