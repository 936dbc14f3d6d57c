package checks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/initbox/initbox/internal/lazy"
)

// KubeAccessError is a request the API server refused: who may not do
// what to which resource where. Hint gives the Role and RoleBinding that
// would allow it.
type KubeAccessError struct {
	Code      int    // 401: the credentials were not accepted; 403: not allowed
	User      string // as the API server named it: "system:serviceaccount:app:waiter"
	Verb      string // get, list, watch
	Resource  string // "jobs"
	Group     string // "batch"; "" for the core group
	Namespace string // "" for a cluster-wide resource
	Message   string // the API server's own words
}

func (e *KubeAccessError) Error() string {
	if e.Code == 401 {
		return "the API server did not accept the credentials (401 Unauthorized): " + e.Message
	}
	who := e.User
	if who == "" {
		who = "this client"
	}
	where := "cluster-wide"
	if e.Namespace != "" {
		where = "in namespace " + e.Namespace
	}
	return fmt.Sprintf("access denied: %s may not %s %s %s (it needs get, list and watch on it)", who, e.Verb, e.qualified(), where)
}

func (e *KubeAccessError) qualified() string {
	if e.Group == "" {
		return e.Resource
	}
	return e.Resource + "." + e.Group
}

var forbiddenUser = lazy.Regexp(`User "([^"]*)"`)

// explain turns a refusal into a *KubeAccessError and a 404 for the
// collection into a *NotServedError; other errors pass unchanged.
func (k *Kube) explain(err error, verb string, r kubeResource) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	r = k.listed(r)
	switch ae.Code {
	case 401, 403:
		e := &KubeAccessError{Code: ae.Code, Verb: verb, Resource: r.resource, Group: r.group, Message: ae.Message}
		if r.resource == "" { // refused before the resource was known
			e.Resource, e.Group = k.want.resource, k.want.group
		}
		if r.namespaced || r.resource == "" {
			e.Namespace = k.namespace
		}
		if m := forbiddenUser().FindStringSubmatch(ae.Message); m != nil {
			e.User = m[1]
		}
		return e
	case 404:
		if r.resource != "" {
			return &NotServedError{Resource: r.qualified()}
		}
	}
	return err
}

// Hint is the smallest grant that allows waiting: get, list and watch on
// exactly the refused resource, in a Role and RoleBinding for that
// namespace (a ClusterRole and ClusterRoleBinding for a cluster-wide
// resource), bound to the refused user or service account. Empty for a
// 401, which no grant cures.
func (e *KubeAccessError) Hint() string {
	if e.Code != 403 {
		return ""
	}
	role, binding := "Role", "RoleBinding"
	if e.Namespace == "" {
		role, binding = "ClusterRole", "ClusterRoleBinding"
	}
	name := "initbox-wait-" + strings.ReplaceAll(e.qualified(), ".", "-")
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n  name: %s\n%s", role, name, e.nsLine())
	fmt.Fprintf(&b, "rules:\n- apiGroups: [%q]\n  resources: [%q]\n  verbs: [\"get\", \"list\", \"watch\"]\n", e.Group, e.Resource)
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n  name: %s\n%s", binding, name, e.nsLine())
	fmt.Fprintf(&b, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\nsubjects:\n%s", role, name, e.subject())
	return b.String()
}

func (e *KubeAccessError) nsLine() string {
	if e.Namespace == "" {
		return ""
	}
	return "  namespace: " + e.Namespace + "\n"
}

// subject is the binding's subject: a service account when the user is
// one, else the user by name.
func (e *KubeAccessError) subject() string {
	if rest, ok := strings.CutPrefix(e.User, "system:serviceaccount:"); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok {
			return fmt.Sprintf("- kind: ServiceAccount\n  name: %s\n  namespace: %s\n", sa, ns)
		}
	}
	user := e.User
	if user == "" {
		user = "REPLACE-WITH-YOUR-USER"
	}
	return fmt.Sprintf("- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: %q\n", user)
}
