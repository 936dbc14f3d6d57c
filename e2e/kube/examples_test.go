package kube

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scenarios names, for each manifest in examples/kubernetes/, the test that
// applies it and checks what its comments promise. A new example without a
// scenario fails TestEveryExampleIsApplied.
var scenarios = map[string]string{
	"myapp-pod.yaml":            "TestMyappPod",
	"mysql-redis-wait.yaml":     "TestMysqlRedisWait",
	"dns-wait-deadline.yaml":    "TestDNSWaitDeadline",
	"init-demo.yaml":            "TestInitDemo",
	"distroless-probe.yaml":     "TestDistrolessProbe",
	"wait-for-job.yaml":         "TestWaitForJob",
	"wait-for-endpoints.yaml":   "TestWaitForEndpoints",
	"wait-for-statefulset.yaml": "TestWaitForStatefulSet",
	"run-spec.yaml":             "TestRunSpec",
	"native-sidecar.yaml":       "TestNativeSidecar",
}

func TestEveryExampleIsApplied(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "examples/kubernetes/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		test, ok := scenarios[name]
		if !ok {
			t.Errorf("examples/kubernetes/%s has no scenario in e2e/kube: add one to scenarios", name)
			continue
		}
		if !testDefined(test) {
			t.Errorf("scenario %s of %s is not defined", test, name)
		}
	}
}

// testDefined tells whether a Test function of that name exists in the
// package's files.
func testDefined(name string) bool {
	files, _ := filepath.Glob("*_test.go")
	re := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(t \*testing\.T\)`)
	return slices.ContainsFunc(files, func(f string) bool {
		b, err := os.ReadFile(f)
		return err == nil && re.Match(b)
	})
}

// example returns the manifest examples/kubernetes/name with the images
// the node cannot pull replaced by the suite's, and each old, new pair of
// replacements applied. A replacement whose old text is missing fails the
// test: the example changed, and the scenario must follow.
func example(t *testing.T, name string, replacements ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "examples/kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	replacements = append([]string{
		"image: ghcr.io/initbox/initbox:v0.1.0", "image: " + imageInitbox,
		"image: nginx\n", "image: " + imageNginx + "\n",
	}, replacements...)
	for i := 0; i+1 < len(replacements); i += 2 {
		old, repl := replacements[i], replacements[i+1]
		if i >= 4 && !strings.Contains(s, old) {
			t.Fatalf("%s no longer holds %q: update the scenario", name, old)
		}
		s = strings.ReplaceAll(s, old, repl)
	}
	return s
}

// documents splits a manifest into its YAML documents, keyed by
// "Kind/name" (the first kind: and name: lines of each).
func documents(manifest string) map[string]string {
	docs := map[string]string{}
	kind := regexp.MustCompile(`(?m)^kind: *(\S+)`)
	name := regexp.MustCompile(`(?m)^  name: *(\S+)`)
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(manifest, -1) {
		k, n := kind.FindStringSubmatch(d), name.FindStringSubmatch(d)
		if k != nil && n != nil {
			docs[k[1]+"/"+n[1]] = d
		}
	}
	return docs
}
