package cli

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/initbox/initbox/internal/option"
)

// flagOf names the flag that sets each option the libraries' messages
// mention: they name options, the command line names flags. A flag that
// is renamed is renamed here, and in its command's file.
var flagOf = map[option.Name]string{
	option.Status:          "--status",
	option.ExpectRegex:     "--expect-regex",
	option.Headers:         "--header",
	option.HeaderFiles:     "--header-file",
	option.BearerTokenFile: "--bearer-token-file",
	option.CAFile:          "--ca-file",
	option.CertFile:        "--cert",
	option.KeyFile:         "--key",
	option.Password:        "--password",
	option.PasswordFile:    "--password-file",
	option.MaxSize:         "--max-size",
	option.ExtractMaxBytes: "--extract-max-size",
	option.ExtractMaxFiles: "--extract-max-files",
	option.Dest:            "-o",
	option.Dir:             "--dir",
	option.MaxOutput:       "--max-output",
	option.AllowDirs:       "--allow-dir",
	option.TrimSuffix:      "--trim-suffix",
	option.OutputDir:       "--output-dir",
	option.OCIPlatform:     "--platform",
	option.OCIAuthFile:     "--docker-config",
	option.OCIFiles:        "--oci-file",
	option.OCIPath:         "--oci-path",
}

// flagNamer rewrites a message for the command line: every option it
// names becomes the flag that sets it. Longer names go first, so that
// AuthOptions.PasswordFile is not taken for AuthOptions.Password. It is
// built on first use, not at start-up, which comes before main has
// installed its signal handlers.
var flagNamer = sync.OnceValue(func() *strings.Replacer {
	names := make([]option.Name, 0, len(flagOf))
	for n := range flagOf {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b option.Name) int { return cmp.Compare(len(b), len(a)) })
	var pairs []string
	for _, n := range names {
		pairs = append(pairs, string(n), flagOf[n])
	}
	return strings.NewReplacer(pairs...)
})

// withFlags is a message as the user reads it: with flags, not options.
func withFlags(msg string) string { return flagNamer().Replace(msg) }

// flagHandler makes every log line name flags where the libraries'
// messages name options: the message and every string attribute.
type flagHandler struct{ slog.Handler }

func (h flagHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, withFlags(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindString {
			a.Value = slog.StringValue(withFlags(a.Value.String()))
		}
		out.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h flagHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flagHandler{h.Handler.WithAttrs(as)}
}

func (h flagHandler) WithGroup(name string) slog.Handler {
	return flagHandler{h.Handler.WithGroup(name)}
}
