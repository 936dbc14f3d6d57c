package checks

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// resolve returns the resource to list: a built-in kind's at once, any
// other found through the API server's discovery documents (which every
// authenticated user may read) and kept once found.
func (k *Kube) resolve(ctx context.Context) (kubeResource, error) {
	if k.res.resource != "" {
		return k.res, nil
	}
	w := k.want
	version := w.version
	if version == "" && w.group == "" {
		version = "v1"
	}
	if version == "" {
		var g struct {
			PreferredVersion struct {
				Version string `json:"version"`
			} `json:"preferredVersion"`
		}
		if err := k.client.getJSON(ctx, "get", "/apis/"+w.group, nil, &g); err != nil {
			return kubeResource{}, k.notServed(err)
		}
		version = g.PreferredVersion.Version
	}
	path := "/apis/" + w.group + "/" + version
	if w.group == "" {
		path = "/api/" + version
	}
	var rl struct {
		Resources []struct {
			Name, SingularName, Kind string
			Namespaced               bool
			ShortNames               []string
		} `json:"resources"`
	}
	if err := k.client.getJSON(ctx, "get", path, nil, &rl); err != nil {
		return kubeResource{}, k.notServed(err)
	}
	for _, r := range rl.Resources {
		if strings.Contains(r.Name, "/") {
			continue // a subresource such as pods/status
		}
		if r.Name == w.resource || r.SingularName == w.resource || strings.EqualFold(r.Kind, w.resource) || contains(r.ShortNames, w.resource) {
			k.res = kubeResource{group: w.group, version: version, resource: r.Name, namespaced: r.Namespaced, kind: strings.ToLower(r.Kind)}
			return k.res, nil
		}
	}
	return kubeResource{}, &NotServedError{Resource: k.wantName()}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func (k *Kube) wantName() string {
	if k.want.group == "" {
		return k.want.resource
	}
	return k.want.resource + "." + k.want.group
}

// notServed turns a discovery 404 into a *NotServedError.
func (k *Kube) notServed(err error) error {
	if apiCode(err) == 404 {
		return &NotServedError{Resource: k.wantName()}
	}
	return err
}

// NotServedError is a resource type the API server does not serve: most
// often a custom resource whose CustomResourceDefinition is not (yet)
// installed. Waiting goes on, since installing it may be under way.
type NotServedError struct {
	Resource string
}

func (e *NotServedError) Error() string {
	if strings.Contains(e.Resource, ".") {
		return fmt.Sprintf("the API server does not serve %s: is its CustomResourceDefinition installed?", e.Resource)
	}
	return fmt.Sprintf("the API server has no core resource %q: name other kinds RESOURCE.GROUP, e.g. certificates.cert-manager.io", e.Resource)
}

// listPath and listQuery select what is listed and watched: the Service's
// EndpointSlices, the one object by a field selector (as kubectl wait
// does, so NotFound is an empty list and a watch sees it appear), or the
// label selector's objects.
func (k *Kube) listPath(r kubeResource) string {
	if k.judge.endpoints() {
		return endpointSlices.path(k.namespace)
	}
	return r.path(k.namespace)
}

func (k *Kube) listQuery() url.Values {
	q := url.Values{}
	switch {
	case k.judge.endpoints():
		q.Set("labelSelector", "kubernetes.io/service-name="+k.name)
	case k.name != "":
		q.Set("fieldSelector", "metadata.name="+k.name)
	default:
		q.Set("labelSelector", k.selector)
	}
	return q
}

// listed is the resource actually listed, for messages about access.
func (k *Kube) listed(r kubeResource) kubeResource {
	if k.judge.endpoints() {
		return endpointSlices
	}
	return r
}
