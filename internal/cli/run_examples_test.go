package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/initbox/initbox/internal/spec"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// TestRunExamples checks every spec file of the examples (compose's files,
// the Kubernetes ConfigMaps' entries, docs/run.md's) as initbox run would: keys,
// types, targets, URLs and options. Paths are the containers', so they
// are not looked for here.
func TestRunExamples(t *testing.T) {
	specs := map[string][]byte{}
	composeSpecs, _ := filepath.Glob("../../examples/compose/run/*.yaml")
	for _, f := range composeSpecs {
		specs[f] = []byte(testfiles.Read(t, f))
	}
	manifests, _ := filepath.Glob("../../examples/kubernetes/*.yaml")
	for _, f := range manifests {
		for name, data := range configMapSpecs(t, f) {
			specs[f+": "+name] = data
		}
	}
	for i, block := range yamlBlocks(testfiles.Read(t, "../../docs/run.md")) {
		if strings.Contains(block, "\nsteps:") {
			specs[fmt.Sprintf("docs/run.md block %d", i+1)] = []byte(block)
		}
	}
	if len(specs) < 3 {
		t.Fatalf("found %d spec files in the examples, want one for compose and one for Kubernetes", len(specs))
	}
	// Any variable is set, to a value that fits its name.
	lookup := func(name string) (string, bool) {
		switch {
		case strings.HasSuffix(name, "_PORT"):
			return "5432", true
		case strings.HasSuffix(name, "_ADDR"):
			return "host.example:5432", true
		}
		return "host.example", true
	}
	for name, data := range specs {
		sp, err := spec.Parse(name, data, stepKinds(), lookup)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		spec.Walk(sp.Steps, func(s *spec.Step) {
			if v := validators[s.Kind]; v != nil && s.Kind != "render" {
				if err := validateCommand(s, v); err != nil {
					t.Errorf("%v", locate(name, s, err))
				}
			}
		})
	}
}

// yamlBlocks returns the ```yaml blocks of a Markdown file.
func yamlBlocks(md string) []string {
	var blocks []string
	for _, part := range strings.Split(md, "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks = append(blocks, block)
	}
	return blocks
}

// configMapSpecs returns the entries of a manifest's ConfigMaps that are
// spec files: those with a list of steps.
func configMapSpecs(t *testing.T, path string) map[string][]byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	dec := yaml.NewDecoder(f)
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for k, v := range doc.Data {
			if doc.Kind == "ConfigMap" && strings.Contains(v, "\nsteps:") {
				out[k] = []byte(v)
			}
		}
	}
}
