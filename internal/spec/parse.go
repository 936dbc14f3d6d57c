package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/initbox/initbox/internal/lazy"
)

// Parse reads a spec from data (YAML, or JSON, which is YAML too); file
// names it in messages. kinds are the kinds of step there are; lookup
// gives ${VAR} its value. Every mistake is reported, as Errors, each with
// its line; the spec comes back with them when the file could be read as
// a list of steps at all, its wrong steps marked Invalid, so that the
// caller can check the others too.
func Parse(file string, data []byte, kinds []Kind, lookup Lookup) (*Spec, error) {
	p := &parser{file: file, data: data, kinds: map[string]*Kind{}, lookup: lookup, names: map[string]int{}}
	for i := range kinds {
		p.kinds[kinds[i].Name] = &kinds[i]
		p.kindNames = append(p.kindNames, kinds[i].Name)
	}
	p.kindNames = append(p.kindNames, Group)
	s := &Spec{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err)
		return nil, p.errs.Err()
	}
	if len(doc.Content) == 0 {
		p.errorf(1, nil, "", "the file is empty: want steps: followed by a list of steps")
		return nil, p.errs.Err()
	}
	p.root(deref(doc.Content[0]), s)
	if s.Steps == nil {
		return nil, p.errs.Err()
	}
	return s, p.errs.Err()
}

type parser struct {
	file      string
	data      []byte
	kinds     map[string]*Kind
	kindNames []string // and Group
	lookup    Lookup
	names     map[string]int // step names seen, and their lines
	errs      Errors
}

func (p *parser) errorf(line int, s *Step, key, format string, a ...any) {
	e := &Error{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, a...)}
	if s != nil {
		e.Step = s.String()
	}
	p.errs = append(p.errs, e)
}

var (
	yamlLine      = lazy.Regexp(`^yaml: line (\d+): `)
	parserProblem = lazy.Regexp(`^did not find expected ([',\]}-]+ |key|node content|<document start>)`)
)

// yamlError reports a syntax error at its line.
func (p *parser) yamlError(err error) {
	msg, line := err.Error(), 1
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		// The parser's (not the scanner's) errors count lines from 0,
		// and point at the start of the block or list they are in.
		if parserProblem().MatchString(msg) {
			line++
		}
	}
	line = min(max(line, 1), lineCount(p.data))
	p.errorf(line, nil, "", "%s", strings.TrimPrefix(msg, "yaml: "))
}

// lineCount is an upper bound on a file's lines as YAML counts them.
func lineCount(data []byte) int {
	n := 1
	for _, r := range string(data) {
		if r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			n++
		}
	}
	return n
}

func (p *parser) root(n *yaml.Node, s *Spec) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, nil, "", "want a mapping with a list of steps (steps: [...]), got %s", what(n))
		return
	}
	var steps *yaml.Node
	for _, kv := range p.pairs(n, nil) {
		switch kv.key.Value {
		case "steps":
			steps = kv.value
		case "deadline":
			if v, ok := p.scalar(kv.value, Duration, nil, "deadline"); ok {
				s.Deadline, _ = time.ParseDuration(v.Text)
				if s.Deadline < 0 {
					p.errorf(v.Line, nil, "deadline", "want 0 (none) or a positive duration such as 5m")
				}
			}
		default:
			p.errorf(kv.key.Line, nil, "", "%s", unknownKey(kv.key.Value, []string{"steps", "deadline"}, nil))
		}
	}
	if steps == nil {
		p.errorf(n.Line, nil, "steps", "no steps: want steps: followed by a list of steps")
		return
	}
	s.Steps = p.steps(steps, "", nil)
}

func (p *parser) steps(n *yaml.Node, prefix string, group *Step) []*Step {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, group, "", "want a list of steps, got %s", what(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n.Line, group, "", "no steps in the list")
	}
	steps := make([]*Step, 0, len(n.Content))
	for i, item := range n.Content {
		before := len(p.errs)
		s := p.step(deref(item), prefix+strconv.Itoa(i+1))
		s.Invalid = len(p.errs) > before
		steps = append(steps, s)
	}
	return steps
}

func (p *parser) step(n *yaml.Node, num string) *Step {
	s := &Step{Num: num, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, nil, "", "step %s: want a mapping such as {wait: {targets: [tcp://db:5432]}}, got %s", num, what(n))
		return s
	}
	pairs := p.pairs(n, nil)
	var body *yaml.Node
	for _, kv := range pairs {
		if !slices.Contains(p.kindNames, kv.key.Value) {
			continue
		}
		if body != nil {
			p.errorf(kv.key.Line, nil, "", "step %s: one step does one thing, but has both %q and %q: make them two steps", num, s.Kind, kv.key.Value)
			continue
		}
		s.Kind, s.Line, body = kv.key.Value, kv.key.Line, kv.value
	}
	for _, kv := range pairs {
		if kv.key.Value == "name" {
			p.name(s, kv.value)
		}
	}
	others := 0
	for _, kv := range pairs {
		if k := kv.key.Value; k != "name" && !slices.Contains(p.kindNames, k) {
			p.stepKey(s, kv.key)
			others++
		}
	}
	if body == nil && others == 0 {
		p.errorf(n.Line, s, "", "no command: want one of %s", oneOf(p.kindNames))
	}
	switch {
	case body == nil:
	case s.Kind == Group:
		s.Steps = p.steps(body, num+".", s)
	default:
		p.options(s, p.kinds[s.Kind], body)
	}
	return s
}

// stepKey reports a key beside the command, such as an option that
// belongs under it.
func (p *parser) stepKey(s *Step, k *yaml.Node) {
	if kind, ok := p.kinds[s.Kind]; ok {
		if _, isOpt := kind.Keys[k.Value]; isOpt || k.Value == kind.Args.Many || k.Value == kind.Args.One {
			p.errorf(k.Line, s, k.Value, "key %q belongs under %q: (%s: {%s: ...})", k.Value, s.Kind, s.Kind, k.Value)
			return
		}
	}
	p.errorf(k.Line, s, k.Value, "%s", unknownKey(k.Value, append([]string{"name"}, p.kindNames...), nil))
}

func (p *parser) name(s *Step, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.errorf(n.Line, s, "name", "want a non-empty string")
		return
	}
	if first, dup := p.names[n.Value]; dup {
		p.errorf(n.Line, nil, "name", "%q names two steps (first on line %d): names tell steps apart in the log", n.Value, first)
		return
	}
	p.names[n.Value] = n.Line
	s.Name = n.Value
}

type pair struct{ key, value *yaml.Node }

// pairs returns a mapping's entries, reporting duplicate and merge keys.
func (p *parser) pairs(n *yaml.Node, s *Step) []pair {
	var out []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		switch first, dup := seen[k.Value]; {
		case k.Value == "<<":
			p.errorf(k.Line, s, "", "merge keys (<<) are not supported: repeat the options")
		case dup:
			p.errorf(k.Line, s, k.Value, "key %q given twice (first on line %d)", k.Value, first)
		default:
			seen[k.Value] = k.Line
			out = append(out, pair{k, v})
		}
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// what names a node's shape for messages.
func what(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "nothing"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}
