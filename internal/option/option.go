// Package option is how checks, fetch and render name their options in
// errors: by the Options field that holds the option ("AuthOptions.
// PasswordFile"), never by a command-line flag. Which flag sets which
// option is the CLI's to say; it maps each Name below to its flag.
package option

import "fmt"

// Name is an option as its library's Options type calls it: the struct and
// the field, so that it is unmistakable in any message.
type Name string

// The options the libraries' messages name.
const (
	Status          Name = "HTTPOptions.Status"
	ExpectRegex     Name = "HTTPOptions.ExpectRegex"
	Headers         Name = "Options.Headers"
	HeaderFiles     Name = "Options.HeaderFiles"
	BearerTokenFile Name = "Options.BearerTokenFile"
	CAFile          Name = "TLSOptions.CAFile"
	CertFile        Name = "TLSOptions.CertFile"
	KeyFile         Name = "TLSOptions.KeyFile"
	Password        Name = "AuthOptions.Password"
	PasswordFile    Name = "AuthOptions.PasswordFile"
	MaxSize         Name = "Options.MaxSize"
	ExtractMaxBytes Name = "Limits.MaxBytes"
	ExtractMaxFiles Name = "Limits.MaxFiles"
	Dest            Name = "Job.Dest"
	Dir             Name = "Job.Dir"
	MaxOutput       Name = "Options.MaxOutput"
	AllowDirs       Name = "Options.AllowDirs"
	TrimSuffix      Name = "TreeOptions.TrimSuffix"
	OutputDir       Name = "TreeOptions.Out"
	OCIPlatform     Name = "OCIOptions.Platform"
	OCIAuthFile     Name = "OCIOptions.AuthFile"
	OCIFiles        Name = "OCIOptions.Files"
	OCIPath         Name = "OCIOptions.Path"
)

// Error is a mistake in what the caller gave, found before any work: an
// option (Option set) or an argument such as a target (Arg only). Arg and
// Err are safe to print: secrets are removed before they get here.
type Error struct {
	Option Name   // the option at fault; "" when Arg is a target or URL
	Arg    string // what was given, or the argument at fault; may be ""
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Option == "":
		return fmt.Sprintf("%s: %v", e.Arg, e.Err)
	case e.Arg == "":
		return fmt.Sprintf("%s: %v", e.Option, e.Err)
	default:
		return fmt.Sprintf("%s %s: %v", e.Option, e.Arg, e.Err)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Usage reports true: the caller's mistake, not a failure of the work.
func (e *Error) Usage() bool { return true }

// Errorf builds an *Error about an option.
func Errorf(name Name, arg, format string, a ...any) error {
	return &Error{Option: name, Arg: arg, Err: fmt.Errorf(format, a...)}
}
