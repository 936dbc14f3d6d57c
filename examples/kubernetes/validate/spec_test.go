package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// schemaFile is the JSON Schema of initbox run's files, which initbox's
// own tests keep equal to what its flags make.
const schemaFile = "../../../docs/run.schema.json"

// TestSpecsMatchSchema checks the spec files in the examples' ConfigMaps
// (and compose's) against the schema editors use, and that the schema
// catches a misspelt key: an example an editor would underline is wrong.
func TestSpecsMatchSchema(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string][]byte{}
	manifests, _ := filepath.Glob("../*.yaml")
	for _, file := range manifests {
		objs := decodeFile(t, file)
		for _, obj := range objs {
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				for k, v := range cm.Data {
					if strings.Contains(v, "\nsteps:") {
						specs[file+": "+k] = []byte(v)
					}
				}
			}
		}
	}
	composeSpecs, _ := filepath.Glob("../../compose/run/*.yaml")
	for _, file := range composeSpecs {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		specs[file] = b
	}
	if len(specs) < 2 {
		t.Fatalf("found %d spec files, want Kubernetes' and compose's", len(specs))
	}
	for name, data := range specs {
		if err := validateSpec(sch, data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		bad := bytes.Replace(data, []byte("output:"), []byte("outptu:"), 1)
		if err := validateSpec(sch, bad); err == nil {
			t.Errorf("%s: the schema accepts a misspelt key (outptu)", name)
		}
	}
}

func validateSpec(sch *jsonschema.Schema, data []byte) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}
