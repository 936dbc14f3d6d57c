package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pod holds the few fields of a Pod the tests read.
type pod struct {
	Metadata struct {
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels"`
		DeletionTimestamp string            `json:"deletionTimestamp"`
	} `json:"metadata"`
	Status struct {
		Phase                 string            `json:"phase"`
		Reason                string            `json:"reason"`
		Message               string            `json:"message"`
		PodIP                 string            `json:"podIP"`
		Conditions            []condition       `json:"conditions"`
		InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
		ContainerStatuses     []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

type podList struct {
	Items []pod `json:"items"`
}

type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type containerStatus struct {
	Name         string         `json:"name"`
	Ready        bool           `json:"ready"`
	RestartCount int            `json:"restartCount"`
	State        containerState `json:"state"`
	LastState    containerState `json:"lastState"`
}

type containerState struct {
	Waiting *struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"waiting"`
	Running *struct {
		StartedAt string `json:"startedAt"`
	} `json:"running"`
	Terminated *terminated `json:"terminated"`
}

type terminated struct {
	ExitCode   int    `json:"exitCode"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
	StartedAt  string `json:"startedAt"`
	FinishedAt string `json:"finishedAt"`
}

// ready tells whether the pod's Ready condition is True.
func (p *pod) ready() bool { return p.condition("Ready") == "True" }

func (p *pod) condition(typ string) string {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

// container returns the status of the (init) container name, or nil.
func (p *pod) container(name string) *containerStatus {
	for _, list := range [][]containerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// running tells whether container name runs now.
func (p *pod) running(name string) bool {
	c := p.container(name)
	return c != nil && c.State.Running != nil
}

// exited returns how container name ended last: its current state if it has
// terminated, else its previous run's.
func (p *pod) exited(name string) *terminated {
	c := p.container(name)
	switch {
	case c == nil:
		return nil
	case c.State.Terminated != nil:
		return c.State.Terminated
	default:
		return c.LastState.Terminated
	}
}

// summary is a one-line account of a pod's state, for failure messages.
func (p *pod) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: phase %s", p.Metadata.Name, p.Status.Phase)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s", c.Type, c.Status)
	}
	for _, c := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		fmt.Fprintf(&b, "; %s:", c.Name)
		switch s := c.State; {
		case s.Waiting != nil:
			fmt.Fprintf(&b, " waiting %s", s.Waiting.Reason)
		case s.Running != nil:
			b.WriteString(" running")
		case s.Terminated != nil:
			fmt.Fprintf(&b, " exited %d", s.Terminated.ExitCode)
		}
		if c.RestartCount > 0 {
			fmt.Fprintf(&b, " (restarts %d)", c.RestartCount)
		}
	}
	return b.String()
}

// waitPods watches the pods of ns that match selector (a label selector,
// or "" for all) until done, given every matching pod, returns true. It
// returns the pods as they were then, or fails the test after timeout
// with the last state seen.
func waitPods(t *testing.T, ns, selector string, timeout time.Duration, what string, done func([]*pod) bool) []*pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	pods, err := watchPods(ctx, ns, selector, done)
	if err != nil {
		var last []string
		for _, p := range pods {
			last = append(last, p.summary())
		}
		t.Fatalf("waiting for %s in %s: %v; last seen: %s", what, ns, err, strings.Join(last, " | "))
	}
	return pods
}

// watchPods is waitPods without the test: on error, the pods it returns
// are the last it saw.
func watchPods(ctx context.Context, ns, selector string, done func([]*pod) bool) ([]*pod, error) {
	byName := map[string]*pod{}
	var pods []*pod
	path := "/api/v1/namespaces/" + ns + "/pods"
	if selector != "" {
		path += "?labelSelector=" + url.QueryEscape(selector)
	}
	err := cl.watch(ctx, path, func(typ string, raw json.RawMessage) (bool, error) {
		p := new(pod)
		if err := json.Unmarshal(raw, p); err != nil {
			return false, fatalError{err}
		}
		if typ == "DELETED" {
			delete(byName, p.Metadata.Name)
		} else {
			byName[p.Metadata.Name] = p
		}
		pods = pods[:0]
		for _, p := range byName {
			pods = append(pods, p)
		}
		return done(pods), nil
	})
	return pods, err
}

// waitPod waits for one named pod to satisfy done.
func waitPod(t *testing.T, ns, name string, timeout time.Duration, what string, done func(*pod) bool) *pod {
	t.Helper()
	pods := waitPods(t, ns, "", timeout, name+": "+what, func(ps []*pod) bool {
		for _, p := range ps {
			if p.Metadata.Name == name {
				return done(p)
			}
		}
		return false
	})
	for _, p := range pods {
		if p.Metadata.Name == name {
			return p
		}
	}
	return nil
}

// all is a done function for waitPods: at least n pods, each satisfying ok.
func all(n int, ok func(*pod) bool) func([]*pod) bool {
	return func(ps []*pod) bool {
		if len(ps) < n {
			return false
		}
		for _, p := range ps {
			if !ok(p) {
				return false
			}
		}
		return true
	}
}

// logs returns the log of container c of pod name.
func logs(t *testing.T, ns, name, c string) string {
	t.Helper()
	return kubectl(t, "logs", "-n", ns, name, "-c", c)
}

// waitLog polls the log of container c of pod name until it holds every
// one of want, and returns it; after timeout it fails the test.
func waitLog(t *testing.T, ns, name, c string, timeout time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := cl.kubectlIn(t.Context(), "", "logs", "-n", ns, name, "-c", c)
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if err == nil && missing == "" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %s/%s never held %q (err %v):\n%s", name, c, missing, err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
