package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// LoadData reads a data file for --data NAME=PATH, by its extension: .json
// and .yaml/.yml are decoded; any other file is one string (a downward-API
// file, a token); a directory (a mounted ConfigMap or Secret) is a map from
// each file's name to its content, as text, leaving out dot files such as
// Kubernetes' ..data. Errors name the file, never its content.
func LoadData(path string) (any, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return loadDir(path)
	}
	// readFile takes regular files only, and opens without blocking: a
	// FIFO with no writer would otherwise hang the render in open(2),
	// deaf to its deadline and to SIGTERM.
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		v, err := decodeJSON(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return v, nil
	case ".yaml", ".yml":
		v, err := decodeYAML(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return v, nil
	}
	return string(b), nil
}

func loadDir(dir string) (map[string]any, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // ConfigMap keys are symlinks into ..data
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := readFile(p)
		if err != nil {
			return nil, err
		}
		m[e.Name()] = string(b)
	}
	return m, nil
}

// decodeJSON decodes one JSON value, with whole numbers as int so they
// print as written (float64 would print 1e+06) and compare with eq.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: more than one value")
	}
	return numbers(v), nil
}

// jsonError says where JSON is bad without quoting it: it may be a secret.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end")
	}
	return errors.New("invalid JSON")
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 0); err == nil {
			return int(i)
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return string(x)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// decodeYAML decodes one YAML document, with every map keyed by strings so
// that fields and toJson work on it.
func decodeYAML(b []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, yamlError(err)
	}
	return stringKeys(v), nil
}

// yamlError keeps yaml's line numbers and reasons; its messages for
// untyped decoding do not quote content.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return fmt.Errorf("invalid YAML: %s", msg)
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
	}
	return v
}
