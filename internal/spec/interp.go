package spec

import (
	"fmt"
	"strings"
)

// Lookup returns an environment variable's value and whether it is set.
type Lookup func(name string) (string, bool)

// expand replaces ${NAME} and ${NAME:-default} in s. Only the braced form
// is read, so that "$" in regular expressions and shell commands stays as
// written; "$${" is a literal "${". An unset variable without a default is
// an error: a file that silently renders "" where a host belongs is worse
// than one that stops.
func expand(s string, lookup Lookup) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // "$${": a literal "${"
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q: unterminated ${ (write $${ for a literal ${)", s[i:])
		}
		v, err := variable(s[i+2:i+end], lookup)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// variable reads what is between "${" and "}": NAME or NAME:-default.
func variable(expr string, lookup Lookup) (string, error) {
	name, def, hasDef := strings.Cut(expr, ":-")
	if !validName(name) {
		return "", fmt.Errorf("${%s}: want ${NAME} or ${NAME:-default}, NAME of letters, digits and _", expr)
	}
	// As in the shell, ":-" also stands in for a variable set but empty.
	if v, ok := lookup(name); ok && (v != "" || !hasDef) {
		return v, nil
	}
	if hasDef {
		return def, nil
	}
	return "", fmt.Errorf("environment variable %s is not set (give a default: ${%s:-value})", name, name)
}

func validName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, r := range name {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
