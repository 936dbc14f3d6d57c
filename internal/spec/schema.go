package spec

import (
	"encoding/json"
	"slices"
)

// Schema returns the JSON Schema (draft-07) of a file whose steps are of
// the given kinds, for editors (yaml-language-server) and other tools. It
// is built from the same Kinds that Parse checks against, so the two agree;
// ${VAR} strings are allowed wherever a boolean, number or duration is.
func Schema(id string, kinds []Kind) ([]byte, error) {
	defs := map[string]any{
		"interpolated": map[string]any{"type": "string", "pattern": `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`},
		"duration": map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "pattern": `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`},
			ref("interpolated"),
		}},
		"scalar": map[string]any{"type": []string{"string", "number", "boolean"}},
		"list": map[string]any{"anyOf": []any{
			map[string]any{"type": "array", "minItems": 1, "items": ref("scalar")},
			ref("scalar"),
		}},
	}
	var stepKinds []any
	for _, k := range kinds {
		defs[k.Name] = kindSchema(k)
		stepKinds = append(stepKinds, stepSchema(k.Name, k.Usage, ref(k.Name)))
	}
	stepKinds = append(stepKinds, stepSchema(Group, "steps run at the same time; the group fails when one fails",
		map[string]any{"type": "array", "minItems": 1, "items": ref("step")}))
	defs["step"] = map[string]any{"oneOf": stepKinds}
	doc := map[string]any{
		"$schema":              "http://json-schema.org/draft-07/schema#",
		"$id":                  id,
		"title":                "initbox run file",
		"description":          "An init sequence for initbox run: steps run in order; each is one of initbox's commands with the options of its flags.",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"steps"},
		"properties": map[string]any{
			"deadline": describe(ref("duration"), "the whole run's limit, e.g. 10m (exit 124)"),
			"steps":    map[string]any{"type": "array", "minItems": 1, "items": ref("step")},
		},
		"definitions": defs,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/definitions/" + name} }

func describe(m map[string]any, text string) map[string]any {
	out := map[string]any{"description": text}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stepSchema(kind, usage string, body map[string]any) map[string]any {
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{kind},
		"properties": map[string]any{
			"name": map[string]any{"type": "string", "minLength": 1, "description": "the step's name in the log and the summary"},
			kind:   describe(body, usage),
		},
	}
}

func kindSchema(k Kind) map[string]any {
	props := map[string]any{}
	for name, key := range k.Keys {
		props[name] = describe(typeSchema(key.Type), key.Usage)
	}
	var argKeys []string
	if k.Args.Many != "" {
		props[k.Args.Many] = describe(ref("list"), k.Args.Usage)
		argKeys = append(argKeys, k.Args.Many)
	}
	if k.Args.One != "" {
		props[k.Args.One] = describe(ref("scalar"), k.Args.Usage)
		argKeys = append(argKeys, k.Args.One)
	}
	obj := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if k.Args.Required {
		var alts []any
		for _, a := range slices.Sorted(slices.Values(argKeys)) {
			alts = append(alts, map[string]any{"required": []string{a}})
		}
		obj["oneOf"] = alts
	}
	if k.Args.Many == "" {
		return obj
	}
	// The short form: the arguments alone (wait: tcp://db:5432).
	return map[string]any{"anyOf": []any{obj, ref("list")}}
}

func typeSchema(t Type) map[string]any {
	switch t {
	case Bool:
		return map[string]any{"anyOf": []any{map[string]any{"type": "boolean"}, ref("interpolated")}}
	case Int:
		return map[string]any{"anyOf": []any{map[string]any{"type": "integer"}, ref("interpolated")}}
	case Duration:
		return ref("duration")
	case List:
		return ref("list")
	default:
		return ref("scalar")
	}
}
