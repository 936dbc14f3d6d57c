// Package docs_test keeps the user documentation honest: `--help` is the
// authority for options, so every option it lists must be documented in the
// command's page, and no page may name an option the binary does not have.
// It also checks that relative links between the Markdown files lead to
// files (and headings) that exist.
//
// It talks only to the built binary and the Markdown files, never to the
// CLI's Go packages, so it does not care where the command-line code lives.
package docs_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// pagesOf lists the pages that document a command's options, when they are
// not (only) docs/COMMAND.md. A command's options must each appear in at least
// one of its pages. Add a page here when a command's options spread over
// several (for example a target kind with a page of its own).
var pagesOf = map[string][]string{
	"wait":  {"wait.md"},
	"check": {"wait.md"},
	"serve": {"serve.md", "wait.md"}, // serve takes wait's targets and their options
	"fetch": {"fetch.md", "oci.md"},
}

// flagsFrom lists, for a page, the commands whose flags it may name besides
// its own: the steps of an initbox run file are those commands, with their
// flags as keys.
var flagsFrom = map[string][]string{
	"run.md": {"wait", "check", "fetch", "render"},
}

// noPage lists the commands of `initbox --help` that need no page, and why.
var noPage = map[string]string{
	"version":    "prints the version; it has no options of its own",
	"help":       "prints the help; documented in cli.md",
	"h":          "urfave/cli's alias of help, in case its own help command comes back",
	"completion": "prints a shell script; documented in cli.md, with the global options it shares",
}

// alwaysValid are options a page may name that --help does not list.
var alwaysValid = map[string]string{
	"--help":   "urfave/cli gives every command --help but leaves it out of the OPTIONS list",
	"--timout": "cli.md shows the suggestion initbox gives for this typo",
}

// coreCommands are the commands initbox has had from the start; their help
// must parse, so a change of format cannot make this test pass vacuously.
var coreCommands = []string{"wait", "check", "fetch", "render"}

var (
	longFlag = regexp.MustCompile(`(?:^|[^\w-])(--[a-z][a-z0-9-]*)`)
	anyFlag  = regexp.MustCompile(`(?:^|[\s,\[])(--?[A-Za-z0-9][\w-]*)`)
	// An initbox command line in prose or code: `initbox fetch -o … URL`.
	commandLine = regexp.MustCompile(`\binitbox ([a-z]+)\b`)
)

func TestOptionsMatchHelp(t *testing.T) {
	bin := buildInitbox(t)
	root := repoRoot(t)
	commands := listCommands(t, bin)
	help := map[string][]string{}
	for _, cmd := range commands {
		if _, ok := noPage[cmd]; !ok {
			help[cmd] = commandFlags(t, bin, cmd)
		}
	}
	for _, cmd := range commands {
		if _, ok := noPage[cmd]; ok {
			continue
		}
		t.Run(cmd, func(t *testing.T) {
			checkDocumented(t, root, cmd, help[cmd])
		})
	}
	for page, cmds := range pageCommands(commands) {
		t.Run(page, func(t *testing.T) {
			checkPageFlags(t, root, page, cmds, help)
		})
	}
	for _, file := range markdownFiles(t, root) {
		t.Run("command lines in "+rel(root, file), func(t *testing.T) {
			checkCommandLines(t, file, help)
		})
	}
}

// checkDocumented fails for every option of cmd's --help that none of its
// pages names.
func checkDocumented(t *testing.T, root, cmd string, flags []string) {
	pages := pagesFor(cmd)
	var text strings.Builder
	for _, p := range pages {
		b, err := os.ReadFile(filepath.Join(root, "docs", p))
		if err != nil {
			t.Fatalf("initbox %s has no page: %v (write docs/%s.md, or add the command to noPage or pagesOf in this test)", cmd, err, cmd)
		}
		text.Write(b)
	}
	for _, f := range flags {
		re := regexp.MustCompile(`(?:^|[^\w-])` + regexp.QuoteMeta(f) + `(?:[^\w-]|$)`)
		if !re.MatchString(text.String()) {
			t.Errorf("initbox %s --help lists %s, but docs/%s never names it", cmd, f, strings.Join(pages, ", docs/"))
		}
	}
}

// checkPageFlags fails for every --option a command page names that none of
// the commands it documents has. Text after " -- " on a line is the command
// initbox runs, whose options are its own.
func checkPageFlags(t *testing.T, root, page string, cmds []string, help map[string][]string) {
	b, err := os.ReadFile(filepath.Join(root, "docs", page))
	if err != nil {
		t.Fatal(err)
	}
	var valid []string
	for _, c := range append(cmds, flagsFrom[page]...) {
		valid = append(valid, help[c]...)
	}
	for i, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, " -- ")
		for _, m := range longFlag.FindAllStringSubmatch(line, -1) {
			f := m[1]
			if _, ok := alwaysValid[f]; ok || slices.Contains(valid, f) {
				continue
			}
			t.Errorf("docs/%s:%d names %s, which the --help of initbox %s does not list", page, i+1, f, strings.Join(cmds, ", "))
		}
	}
}

// checkCommandLines fails for an `initbox COMMAND … --option` anywhere in the
// Markdown (examples, tables, prose) whose option COMMAND does not have. The
// line is read up to the end of its code span, a table cell, " -- " or the
// next initbox.
func checkCommandLines(t *testing.T, file string, help map[string][]string) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		locs := commandLine.FindAllStringSubmatchIndex(line, -1)
		for j, loc := range locs {
			cmd := line[loc[2]:loc[3]]
			flags, ok := help[cmd]
			if !ok {
				continue // "initbox exits 124", "initbox COMMAND"
			}
			end := len(line)
			if j+1 < len(locs) {
				end = locs[j+1][0]
			}
			seg := line[loc[1]:end]
			for _, stop := range []string{"`", "|", " -- "} {
				seg, _, _ = strings.Cut(seg, stop)
			}
			for _, m := range longFlag.FindAllStringSubmatch(seg, -1) {
				if _, ok := alwaysValid[m[1]]; ok || slices.Contains(flags, m[1]) {
					continue
				}
				t.Errorf("%s:%d: `initbox %s … %s`: initbox %s --help has no %s", filepath.Base(file), i+1, cmd, m[1], cmd, m[1])
			}
		}
	}
}

func pagesFor(cmd string) []string {
	if p, ok := pagesOf[cmd]; ok {
		return p
	}
	return []string{cmd + ".md"}
}

// pageCommands inverts pagesFor: each page and the commands it documents.
func pageCommands(commands []string) map[string][]string {
	out := map[string][]string{}
	for _, c := range commands {
		if _, ok := noPage[c]; ok {
			continue
		}
		for _, p := range pagesFor(c) {
			out[p] = append(out[p], c)
		}
	}
	return out
}

func buildInitbox(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build initbox: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "initbox")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/initbox/initbox")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runHelp(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no INITBOX_* defaults in the help
	if err := cmd.Run(); err != nil {
		t.Fatalf("initbox %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// listCommands reads the COMMANDS section of `initbox --help`.
func listCommands(t *testing.T, bin string) []string {
	t.Helper()
	text := runHelp(t, bin, "--help")
	_, section, ok := strings.Cut(text, "COMMANDS:\n")
	if !ok {
		t.Fatalf("no COMMANDS: in initbox --help:\n%s", text)
	}
	var cmds []string
	for _, line := range strings.Split(section, "\n") {
		if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, " ") {
			break
		}
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		for _, n := range strings.Split(name, ",") { // "help, h"
			if n != "" {
				cmds = append(cmds, n)
			}
		}
	}
	for _, want := range coreCommands {
		if !slices.Contains(cmds, want) {
			t.Fatalf("initbox --help lists commands %q, without %s: has its format changed?\n%s", cmds, want, text)
		}
	}
	return cmds
}

// commandFlags reads every option name, long and short, from the OPTIONS
// sections of `initbox CMD --help`: the first column, up to two spaces.
func commandFlags(t *testing.T, bin, cmd string) []string {
	t.Helper()
	text := runHelp(t, bin, cmd, "--help")
	_, opts, ok := strings.Cut(text, "OPTIONS:\n")
	if !ok {
		t.Fatalf("no OPTIONS: in initbox %s --help:\n%s", cmd, text)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(opts, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-") {
			continue // a category heading, a blank line
		}
		column, _, _ := strings.Cut(line, "  ")
		for _, m := range anyFlag.FindAllStringSubmatch(" "+column, -1) {
			if m[1] != "--help" && m[1] != "-h" {
				seen[m[1]] = true
			}
		}
	}
	flags := make([]string, 0, len(seen))
	for f := range seen {
		flags = append(flags, f)
	}
	sort.Strings(flags)
	if len(flags) == 0 || (slices.Contains(coreCommands, cmd) && len(flags) < 3) {
		t.Fatalf("found only %q in initbox %s --help: has its format changed?\n%s", flags, cmd, text)
	}
	return flags
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the test expects to run in docs/, one level below go.mod: %v", err)
	}
	return root
}

func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return r
}
