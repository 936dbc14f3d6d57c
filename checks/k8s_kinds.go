package checks

import (
	"errors"
	"fmt"
	"strings"
)

// The readiness of each built-in kind, as kubectl says it: a pod's Ready
// condition (kubectl wait --for=condition=Ready), a Job's Complete
// condition, and the rollout status viewers of kubectl rollout status
// (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go).

func podFinished(o obj) bool {
	p := str(o, "status", "phase")
	return p == "Succeeded" || p == "Failed"
}

// podReady: a pod that has finished never becomes ready again, so that is
// final rather than a wait until the deadline.
func podReady(o obj) (string, bool, error) {
	phase := str(o, "status", "phase")
	if podFinished(o) {
		msg := "pod has finished: " + phase
		if r := str(o, "status", "reason"); r != "" {
			msg += " (" + r + ")"
		}
		return "", false, errors.New(msg + "; it will not become ready")
	}
	if conditionTrue(o, "Ready") {
		return "ready", true, nil
	}
	if phase == "" {
		phase = "Pending"
	}
	state := phase + ", not ready"
	if c := condition(o, "Ready"); c != nil && why(c) != "" {
		state += ": " + why(c)
	}
	return state, false, nil
}

// jobComplete: Complete is done; Failed (and FailureTarget, its herald) is
// final, since a failed Job never runs again.
func jobComplete(o obj) (string, bool, error) {
	if conditionTrue(o, "Complete") {
		return "complete", true, nil
	}
	for _, t := range []string{"Failed", "FailureTarget"} {
		if conditionTrue(o, t) {
			msg := "failed"
			if w := why(condition(o, t)); w != "" {
				msg += ": " + w
			}
			return "", false, errors.New(msg)
		}
	}
	succeeded := fmt.Sprint(num(o, "status", "succeeded"))
	if has(o, "spec", "completions") {
		succeeded += fmt.Sprintf("/%d", num(o, "spec", "completions"))
	}
	state := fmt.Sprintf("%s succeeded, %d active", succeeded, num(o, "status", "active"))
	if f := num(o, "status", "failed"); f > 0 {
		state += fmt.Sprintf(", %d failed", f)
	}
	if conditionTrue(o, "Suspended") {
		state += ", suspended"
	}
	return state, false, nil
}

// observed reports whether the controller has seen the latest spec.
func observed(o obj) bool {
	return num(o, "metadata", "generation") <= num(o, "status", "observedGeneration")
}

// replicas is spec.replicas, which the API server defaults to 1.
func replicas(o obj) int64 {
	if !has(o, "spec", "replicas") {
		return 1
	}
	return num(o, "spec", "replicas")
}

func deploymentRolledOut(o obj) (string, bool, error) {
	if !observed(o) {
		return "waiting for the spec update to be observed", false, nil
	}
	if c := condition(o, "Progressing"); c != nil && str(c, "reason") == "ProgressDeadlineExceeded" {
		return "", false, errors.New("exceeded its progress deadline")
	}
	want, updated := replicas(o), num(o, "status", "updatedReplicas")
	total, available := num(o, "status", "replicas"), num(o, "status", "availableReplicas")
	switch {
	case updated < want:
		return fmt.Sprintf("%d of %d new replicas updated", updated, want), false, nil
	case total > updated:
		return fmt.Sprintf("%d old replicas pending termination", total-updated), false, nil
	case available < updated:
		return fmt.Sprintf("%d of %d updated replicas available", available, updated), false, nil
	}
	return "rolled out", true, nil
}

var errOnlyRollingUpdate = errors.New("rollout status is only available for the RollingUpdate strategy")

func statefulSetRolledOut(o obj) (string, bool, error) {
	if str(o, "spec", "updateStrategy", "type") != "RollingUpdate" {
		return "", false, errOnlyRollingUpdate
	}
	if num(o, "status", "observedGeneration") == 0 || !observed(o) {
		return "waiting for the spec update to be observed", false, nil
	}
	want, ready := replicas(o), num(o, "status", "readyReplicas")
	updated := num(o, "status", "updatedReplicas")
	if ready < want {
		return fmt.Sprintf("%d of %d pods ready", ready, want), false, nil
	}
	if has(o, "spec", "updateStrategy", "rollingUpdate") {
		if has(o, "spec", "updateStrategy", "rollingUpdate", "partition") {
			part := num(o, "spec", "updateStrategy", "rollingUpdate", "partition")
			if updated < want-part {
				return fmt.Sprintf("partitioned roll out: %d of %d new pods updated", updated, want-part), false, nil
			}
		}
		return fmt.Sprintf("rolled out: %d new pods updated", updated), true, nil
	}
	rev, cur := str(o, "status", "updateRevision"), str(o, "status", "currentRevision")
	if rev != cur {
		return fmt.Sprintf("rolling update: %d pods at revision %s", updated, rev), false, nil
	}
	return fmt.Sprintf("rolled out: %d pods at revision %s", num(o, "status", "currentReplicas"), cur), true, nil
}

func daemonSetRolledOut(o obj) (string, bool, error) {
	if str(o, "spec", "updateStrategy", "type") != "RollingUpdate" {
		return "", false, errOnlyRollingUpdate
	}
	if !observed(o) {
		return "waiting for the spec update to be observed", false, nil
	}
	want := num(o, "status", "desiredNumberScheduled")
	updated, available := num(o, "status", "updatedNumberScheduled"), num(o, "status", "numberAvailable")
	switch {
	case updated < want:
		return fmt.Sprintf("%d of %d new pods updated", updated, want), false, nil
	case available < want:
		return fmt.Sprintf("%d of %d updated pods available", available, want), false, nil
	}
	return "rolled out", true, nil
}

// serviceEndpoints counts the ready endpoints in a Service's
// EndpointSlices. A nil ready condition means "unknown", which the API
// says to read as ready. One pod in an IPv4 and an IPv6 slice counts once.
func (j *kubeJudge) serviceEndpoints(slices map[string]obj) (string, bool, error) {
	seen := map[string]bool{}
	for _, s := range slices {
		for _, e := range list(s, "endpoints") {
			ep, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if r, ok := field(ep, "conditions", "ready").(bool); ok && !r {
				continue
			}
			seen[endpointKey(ep)] = true
		}
	}
	n := len(seen)
	state := fmt.Sprintf("%d ready endpoint%s", n, plural(n))
	if n < j.min {
		state += fmt.Sprintf(", want %d", j.min)
	}
	return state, n >= j.min, nil
}

func endpointKey(ep obj) string {
	if ref := str(ep, "targetRef", "uid"); ref != "" {
		return ref
	}
	if ref := str(ep, "targetRef", "name"); ref != "" {
		return str(ep, "targetRef", "kind") + "/" + ref
	}
	addrs := make([]string, 0, 1)
	for _, a := range list(ep, "addresses") {
		if s, ok := a.(string); ok {
			addrs = append(addrs, s)
		}
	}
	return strings.Join(addrs, ",")
}
