// Package spec reads the file of "initbox run": an init sequence of steps,
// each one of initbox's commands with its options, or a group of steps run
// in parallel. It knows no command: the caller describes each kind of step
// (its option names and types) and gets back steps whose values are checked
// against those types, with the line each came from, so that every mistake
// can be reported as FILE:LINE before anything runs.
package spec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Type is the type of an option's value.
type Type int

// The types of option values. A List takes a sequence or one scalar.
const (
	String Type = iota
	Bool
	Int
	Duration
	List
)

func (t Type) String() string {
	return [...]string{"string", "boolean", "integer", "duration", "list"}[t]
}

// Kind describes one kind of step: "wait", "fetch", …
type Kind struct {
	Name  string
	Usage string         // one line, for the schema
	Keys  map[string]Key // the options, by name
	Args  Args           // the positional arguments; zero if none
	// Aliases maps other names a user may try (short flags) to an option,
	// for the did-you-mean hint only.
	Aliases map[string]string
}

// Key is one option of a Kind.
type Key struct {
	Type  Type
	Usage string
}

// Args names the key of a kind's positional arguments: One takes a single
// string (may be empty if there is no such form), Many a list or a string.
type Args struct {
	One, Many string
	Usage     string
	Required  bool
}

// Group is the key of a step that runs its list of steps in parallel.
const Group = "parallel"

// Spec is a parsed file.
type Spec struct {
	File     string
	Deadline time.Duration // 0: none
	Steps    []*Step
}

// Step is one step: Kind is a Kind's name, or Group with Steps set.
type Step struct {
	Name    string // as given, or ""
	Kind    string
	Num     string // position: "3", or "3.2" inside a group
	Line    int
	Options []Option // in the file's order
	Args    []Value
	Steps   []*Step // the members of a group
	Invalid bool    // Parse reported a mistake in it (or in a member)
}

// Option is one option of a step; a List may hold several values.
type Option struct {
	Key    string
	Type   Type
	Values []Value
	Line   int
}

// Value is one value, with ${VAR} already replaced.
type Value struct {
	Text string
	Line int
}

// String names the step for messages: `step "config" (render)` or
// `step 3 (render)`.
func (s *Step) String() string {
	if s.Kind == "" {
		return "step " + s.Num
	}
	if s.Name != "" {
		return fmt.Sprintf("step %q (%s)", s.Name, s.Kind)
	}
	return fmt.Sprintf("step %s (%s)", s.Num, s.Kind)
}

// FormatDuration writes d as people do: 5m, not 5m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Label is the step's name, or its kind and number when it has none.
func (s *Step) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Kind + "#" + s.Num
}

// Option returns the option named key, if the step has it.
func (s *Step) Option(key string) (Option, bool) {
	for _, o := range s.Options {
		if o.Key == key {
			return o, true
		}
	}
	return Option{}, false
}

// Flags renders the step's options as command-line flags, in the file's
// order: --key=value, once per value of a List.
func (s *Step) Flags() []string {
	var flags []string
	for _, o := range s.Options {
		for _, v := range o.Values {
			flags = append(flags, "--"+o.Key+"="+v.Text)
		}
	}
	return flags
}

// ArgTexts returns the positional arguments' texts.
func (s *Step) ArgTexts() []string {
	args := make([]string, len(s.Args))
	for i, a := range s.Args {
		args[i] = a.Text
	}
	return args
}

// Walk calls fn for every step, the members of a group after the group.
func Walk(steps []*Step, fn func(*Step)) {
	for _, s := range steps {
		fn(s)
		Walk(s.Steps, fn)
	}
}

// convert checks a scalar's text against t and returns it as it will be
// passed on: durations and integers as written, booleans as true or false.
func convert(t Type, text string) (string, error) {
	switch t {
	case Bool:
		switch strings.ToLower(text) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return "", fmt.Errorf("want true or false, got %q", text)
	case Int:
		if _, err := strconv.Atoi(text); err != nil {
			return "", fmt.Errorf("want a whole number, got %q", text)
		}
	case Duration:
		if _, err := time.ParseDuration(text); err != nil {
			if _, nerr := strconv.ParseFloat(text, 64); nerr == nil && text != "0" {
				return "", fmt.Errorf("want a duration with a unit, such as %ss or 2m, got %s", text, text)
			}
			return "", fmt.Errorf("want a duration such as 30s or 2m, got %q", text)
		}
	}
	return text, nil
}
