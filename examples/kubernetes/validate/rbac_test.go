package validate

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// kubeResources is what initbox lists and watches for each kind of k8s://
// target in the examples: group and resource.
var kubeResources = map[string][2]string{
	"job":         {"batch", "jobs"},
	"pod":         {"", "pods"},
	"service":     {"discovery.k8s.io", "endpointslices"}, // its EndpointSlices
	"statefulset": {"apps", "statefulsets"},
	"deployment":  {"apps", "deployments"},
	"daemonset":   {"apps", "daemonsets"},
}

// checkRBAC holds every k8s:// target of a pod template to the grant in
// the same file: the pod's ServiceAccount is declared and bound to a Role
// that allows get, list and watch on the resource initbox reads.
func checkRBAC(t *testing.T, objs []runtime.Object) {
	t.Helper()
	accounts, roles := map[string]bool{}, map[string]*rbacv1.Role{}
	var bindings []*rbacv1.RoleBinding
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ServiceAccount:
			accounts[o.Name] = true
		case *rbacv1.Role:
			roles[o.Name] = o
		case *rbacv1.RoleBinding:
			bindings = append(bindings, o)
		}
	}
	for _, o := range objs {
		spec := podSpec(o)
		if spec == nil {
			continue
		}
		for _, c := range spec.InitContainers {
			for _, arg := range c.Args {
				if kind, ok := k8sKind(arg); ok {
					checkGrant(t, arg, kind, spec.ServiceAccountName, accounts, roles, bindings)
				}
			}
		}
	}
}

func k8sKind(target string) (string, bool) {
	rest, ok := strings.CutPrefix(target, "k8s://")
	if !ok {
		return "", false
	}
	u, err := url.Parse("x://h/" + rest)
	if err != nil {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if u.Query().Get("selector") != "" {
		return parts[len(parts)-1], true
	}
	return parts[len(parts)-2], true
}

func checkGrant(t *testing.T, target, kind, sa string, accounts map[string]bool, roles map[string]*rbacv1.Role, bindings []*rbacv1.RoleBinding) {
	t.Helper()
	want, ok := kubeResources[kind]
	if !ok {
		t.Errorf("%s: no resource known for kind %q in this test", target, kind)
		return
	}
	if sa == "" || !accounts[sa] {
		t.Errorf("%s: the pod's serviceAccountName %q is not declared in the file", target, sa)
		return
	}
	for _, b := range bindings {
		bound := slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return s.Kind == "ServiceAccount" && s.Name == sa })
		role := roles[b.RoleRef.Name]
		if !bound || b.RoleRef.Kind != "Role" || role == nil {
			continue
		}
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, want[0]) && slices.Contains(r.Resources, want[1]) &&
				slices.Contains(r.Verbs, "get") && slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch") {
				return
			}
		}
	}
	t.Errorf("%s: no Role bound to ServiceAccount %s allows get, list and watch on %s in group %q", target, sa, want[1], want[0])
}
