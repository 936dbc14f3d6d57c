package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/option"
)

// TestEveryOptionHasAFlag: an option a library names in a message, with
// no flag in the table, would reach the user as "Options.Something".
func TestEveryOptionHasAFlag(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../option/option.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok || spec.Type == nil || spec.Type.(*ast.Ident).Name != "Name" {
			return true
		}
		for _, v := range spec.Values {
			name, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
			n++
			if flagOf[option.Name(name)] == "" {
				t.Errorf("option %s has no flag in flagOf", name)
			}
		}
		return true
	})
	if n != len(flagOf) {
		t.Errorf("internal/option names %d options, flagOf maps %d", n, len(flagOf))
	}
}

// TestLibrariesNameNoFlags: the libraries' strings never spell a flag;
// they name options (internal/option), and flags.go says which flag.
func TestLibrariesNameNoFlags(t *testing.T) {
	flag := regexp.MustCompile(`(^|[\s("'/,])--[a-z]`)
	for _, dir := range []string{"checks", "fetch", "render", "internal/httpopt", "internal/option", "internal/atomicfile", "internal/redact", "internal/spec", "internal/sleep"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(node ast.Node) bool {
				if lit, ok := node.(*ast.BasicLit); ok && lit.Kind == token.STRING && flag.MatchString(lit.Value) {
					t.Errorf("%s: %s names a flag: name the option instead", path, lit.Value)
				}
				return true
			})
		}
	}
}
