package render

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestLoadData(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          any
	}{
		{"a.json", `{"port": 8080, "big": ` + strconv.Itoa(math.MaxInt) + `, "ratio": 0.5, "list": [1, "x", null]}`,
			map[string]any{"port": 8080, "big": math.MaxInt, "ratio": 0.5, "list": []any{1, "x", nil}}},
		{"b.yaml", "port: 8080\n1: one\nnested: {true: yes}\n",
			map[string]any{"port": 8080, "1": "one", "nested": map[string]any{"true": "yes"}}},
		{"c.YML", "- a\n- b\n", []any{"a", "b"}},
		{"labels", "app=\"shop\"\ntier=\"web\"\n", "app=\"shop\"\ntier=\"web\"\n"},
	}
	for _, tt := range tests {
		got, err := LoadData(testfiles.Put(t, dir, tt.name, tt.content))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tt.name, got, err, tt.want)
		}
	}
}

func TestLoadDataErrorsHideContent(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"bad.json":  `{"password": "hunter2"`,
		"bad2.json": `{"password": hunter2}`,
		"two.json":  `{} {"password": "hunter2"}`,
		"bad.yaml":  "password: [hunter2\n",
	} {
		_, err := LoadData(testfiles.Put(t, dir, name, content))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v: want the file named and no content", name, err)
		}
	}
}
