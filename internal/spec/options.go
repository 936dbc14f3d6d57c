package spec

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// options reads a step's body: a mapping of options, or, for a kind with
// positional arguments, just those (wait: tcp://db:5432, or a list).
func (p *parser) options(s *Step, k *Kind, n *yaml.Node) {
	switch {
	case n.Tag == "!!null":
	case n.Kind != yaml.MappingNode && k.Args.Many != "":
		s.Args = p.list(n, s, k.Args.Many)
	case n.Kind != yaml.MappingNode:
		p.errorf(n.Line, s, "", "want a mapping of options, got %s", what(n))
		return
	default:
		p.mapping(s, k, n)
	}
	if k.Args.Required && len(s.Args) == 0 && !p.failedAt(s) {
		key := k.Args.Many
		if key == "" {
			key = k.Args.One
		}
		p.errorf(s.Line, s, key, "missing key %q: %s", key, k.Args.Usage)
	}
}

func (p *parser) mapping(s *Step, k *Kind, n *yaml.Node) {
	argKey := ""
	for _, kv := range p.pairs(n, s) {
		key := kv.key.Value
		switch {
		case key != "" && (key == k.Args.One || key == k.Args.Many):
			if argKey != "" {
				p.errorf(kv.key.Line, s, key, "give %q or %q, not both", argKey, key)
				continue
			}
			argKey = key
			if key == k.Args.One {
				if v, ok := p.scalar(kv.value, String, s, key); ok {
					s.Args = []Value{v}
				}
			} else {
				s.Args = p.list(kv.value, s, key)
			}
		case hasKey(k, key):
			o := Option{Key: key, Type: k.Keys[key].Type, Line: kv.key.Line}
			if o.Type == List {
				o.Values = p.list(kv.value, s, key)
			} else if v, ok := p.scalar(kv.value, o.Type, s, key); ok {
				o.Values = []Value{v}
			}
			if len(o.Values) > 0 {
				s.Options = append(s.Options, o)
			}
		default:
			p.errorf(kv.key.Line, s, key, "%s", unknownKey(key, keyNames(k), k.Aliases))
		}
	}
}

func hasKey(k *Kind, key string) bool {
	_, ok := k.Keys[key]
	return ok
}

// keyNames lists every key a kind's mapping takes.
func keyNames(k *Kind) []string {
	var names []string
	for name := range k.Keys {
		names = append(names, name)
	}
	for _, a := range []string{k.Args.One, k.Args.Many} {
		if a != "" {
			names = append(names, a)
		}
	}
	slices.Sort(names)
	return names
}

// failedAt reports whether an error was already reported for s, so that
// a missing key is not reported on top of a misspelt one.
func (p *parser) failedAt(s *Step) bool {
	label := s.String()
	for _, e := range p.errs {
		if e.Step == label {
			return true
		}
	}
	return false
}

// scalar reads one value of type t, with ${VAR} replaced.
func (p *parser) scalar(n *yaml.Node, t Type, s *Step, key string) (Value, bool) {
	switch {
	case n.Kind == yaml.SequenceNode:
		p.errorf(n.Line, s, key, "want a single %s, got a list", t)
		return Value{}, false
	case n.Kind != yaml.ScalarNode:
		p.errorf(n.Line, s, key, "want a %s, got %s", t, what(n))
		return Value{}, false
	case n.Tag == "!!null":
		p.errorf(n.Line, s, key, "no value: want a %s", t)
		return Value{}, false
	}
	text, err := expand(n.Value, p.lookup)
	if err == nil {
		text, err = convert(t, text)
	}
	if err != nil {
		p.errorf(n.Line, s, key, "%v", err)
		return Value{}, false
	}
	return Value{Text: text, Line: n.Line}, true
}

// list reads a list of strings, or one string as a list of one.
func (p *parser) list(n *yaml.Node, s *Step, key string) []Value {
	if n.Kind != yaml.SequenceNode {
		if v, ok := p.scalar(n, String, s, key); ok {
			return []Value{v}
		}
		return nil
	}
	var values []Value
	for _, item := range n.Content {
		if v, ok := p.scalar(deref(item), String, s, key); ok {
			values = append(values, v)
		}
	}
	if len(n.Content) == 0 {
		p.errorf(n.Line, s, key, "empty list: leave the key out instead")
	}
	return values
}
