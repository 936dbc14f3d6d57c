package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// The scripts are written from the commands' own definitions, once, when
// asked for: every TAB completes from the script alone, without running
// initbox (urfave/cli's --generate-bash-completion runs the program on each
// TAB, and its bash script needs the bash-completion package).

const completionUsage = `Load the completions into the running shell, or install them for good:
   bash:  source <(initbox completion bash)
          initbox completion bash > /etc/bash_completion.d/initbox
   zsh:   source <(initbox completion zsh)        (after compinit)
          initbox completion zsh > "${fpath[1]}/_initbox"
   fish:  initbox completion fish > ~/.config/fish/completions/initbox.fish`

var completionShells = map[string]func(io.Writer, *cli.App){
	"bash": bashCompletion,
	"zsh":  zshCompletion,
	"fish": fishCompletion,
}

var completionHelp = commandHelp{
	usage: "print a shell completion script: bash, zsh or fish",
	forms: []string{"bash|zsh|fish"},
	about: []string{completionUsage},
}

func completionCommand(e *env) *cli.Command {
	return e.newCommand("completion", completionHelp, nil, printCompletion)
}

func printCompletion(c *cli.Context, e *env) error {
	write, ok := completionShells[c.Args().First()]
	if c.NArg() != 1 || !ok {
		return usagef("completion %s: want one of bash, zsh or fish", strings.Join(c.Args().Slice(), " "))
	}
	write(e.stdout, c.App)
	return nil
}

// completable is what a script knows of a command: its name, one line
// about it, and its options.
type completable struct {
	name, usage string
	options     []flagName
}

// flagName is one name of a flag, with dashes ("--timeout", "-o").
type flagName struct {
	name, usage string
	value       bool // takes a value
}

func completables(app *cli.App) []completable {
	var out []completable
	for _, c := range app.Commands {
		if !c.Hidden {
			out = append(out, completable{c.Name, c.Usage, options(c.Flags)})
		}
	}
	return out
}

func options(flags []cli.Flag) []flagName {
	var out []flagName
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
		}
		for _, n := range f.Names() {
			out = append(out, flagName{dashed(n), usage, takesValue(f)})
		}
	}
	if !slices.ContainsFunc(out, func(o flagName) bool { return o.name == "--help" }) {
		out = append(out, flagName{name: "--help", usage: "show help"}) // urfave/cli adds it later
	}
	return out
}

func optionNames(opts []flagName, valued bool) string {
	var names []string
	for _, o := range opts {
		if !valued || o.value {
			names = append(names, o.name)
		}
	}
	return strings.Join(names, " ")
}

func commandList(cmds []completable) string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return strings.Join(names, " ")
}

// bashCompletion writes a completion function for bash 4 and later. It
// finds the command as the first word that is neither an option nor an
// option's value, then offers that command's options after "-", files
// otherwise, and the shell's own completion after "--".
func bashCompletion(w io.Writer, app *cli.App) {
	cmds := completables(app)
	global := options(app.Flags)
	fmt.Fprintf(w, `# bash completion for initbox: source <(initbox completion bash)
_initbox() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmd="" i opts
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --) compopt -o default 2>/dev/null; COMPREPLY=(); return 0 ;;
        %s) ((i++)) ;;
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $cmd in
    "") if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '%s' -- "$cur"))
        else
            COMPREPLY=($(compgen -W '%s' -- "$cur"))
        fi
        return 0 ;;
    help) COMPREPLY=($(compgen -W '%[3]s' -- "$cur")); return 0 ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return 0 ;;
`, bashAlternatives(global), optionNames(global, false), commandList(cmds))
	for _, c := range cmds {
		if len(c.options) > 1 {
			fmt.Fprintf(w, "    %s) opts='%s' ;;\n", c.name, optionNames(c.options, false))
		}
	}
	valued := map[string]bool{}
	for _, c := range cmds {
		for _, o := range c.options {
			if o.value {
				valued[o.name] = true
			}
		}
	}
	var names []string
	for _, c := range cmds { // in a stable order
		for _, o := range c.options {
			if valued[o.name] {
				names = append(names, o.name)
				delete(valued, o.name)
			}
		}
	}
	fmt.Fprintf(w, `    esac
    case $prev in
    %s) compopt -o default 2>/dev/null; COMPREPLY=(); return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        compopt -o default 2>/dev/null
        COMPREPLY=()
    fi
}
complete -F _initbox initbox
`, strings.Join(names, "|"))
}

// bashAlternatives is the options that take a value, as a case pattern.
func bashAlternatives(opts []flagName) string {
	return strings.ReplaceAll(optionNames(opts, true), " ", "|")
}

// zshCompletion writes a completion function for zsh, both for fpath (the
// #compdef line) and for sourcing (the compdef call).
func zshCompletion(w io.Writer, app *cli.App) {
	cmds := completables(app)
	global := options(app.Flags)
	fmt.Fprintf(w, "#compdef initbox\n\n_initbox() {\n    local -a commands opts\n    commands=(\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s\n", zshQuote(c.name+":"+c.usage))
	}
	fmt.Fprintf(w, `    )
    local cmd="" i
    for ((i = 2; i < CURRENT; i++)); do
        case ${words[i]} in
        --) _files; return ;;
        %s) ((i++)) ;;
        -*) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done
    case $cmd in
    "") if [[ ${words[CURRENT]} == -* ]]; then
            compadd -- %s
        else
            _describe command commands
        fi
        return ;;
    help) _describe command commands; return ;;
    completion) compadd bash zsh fish; return ;;
`, bashAlternatives(global), optionNames(global, false))
	for _, c := range cmds {
		if len(c.options) < 2 {
			continue
		}
		fmt.Fprintf(w, "    %s) opts=(\n", c.name)
		for _, o := range c.options {
			fmt.Fprintf(w, "        %s\n", zshQuote(o.name+":"+firstLine(o.usage)))
		}
		fmt.Fprintf(w, "    ) ;;\n")
	}
	fmt.Fprintf(w, `    esac
    if [[ ${words[CURRENT]} == -* ]]; then
        _describe option opts
    else
        _files
    fi
}

if [[ $funcstack[1] == _initbox ]]; then
    _initbox "$@"
else
    compdef _initbox initbox
fi
`)
}

// zshQuote quotes s for zsh, with the colons of a description escaped
// where _describe would take them for the end of the name.
func zshQuote(s string) string {
	name, desc, _ := strings.Cut(s, ":")
	s = strings.ReplaceAll(name, ":", `\:`) + ":" + desc
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishCompletion writes fish's complete commands: commands where none is
// given yet, then each command's options once it is.
func fishCompletion(w io.Writer, app *cli.App) {
	cmds := completables(app)
	fmt.Fprintf(w, "# fish completion for initbox: initbox completion fish > ~/.config/fish/completions/initbox.fish\n")
	fmt.Fprintf(w, "complete -c initbox -n __fish_use_subcommand -f\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c initbox -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.usage))
	}
	for _, o := range options(app.Flags) {
		fmt.Fprintf(w, "complete -c initbox -n __fish_use_subcommand %s\n", fishOption(o))
	}
	for _, c := range cmds {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, o := range c.options {
			fmt.Fprintf(w, "complete -c initbox -n %s %s\n", cond, fishOption(o))
		}
	}
	names := commandList(cmds)
	fmt.Fprintf(w, "complete -c initbox -n %s -f -a %s\n", fishQuote("__fish_seen_subcommand_from help"), fishQuote(names))
	fmt.Fprintf(w, "complete -c initbox -n %s -f -a 'bash zsh fish'\n", fishQuote("__fish_seen_subcommand_from completion"))
}

func fishOption(o flagName) string {
	kind := "-l " + strings.TrimPrefix(o.name, "--")
	if !strings.HasPrefix(o.name, "--") {
		kind = "-s " + strings.TrimPrefix(o.name, "-")
	}
	if o.value {
		kind += " -r"
	}
	return kind + " -d " + fishQuote(firstLine(o.usage))
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
