package cli

import "github.com/urfave/cli/v2"

// tlsFlags are the TLS flags of every command that talks to servers, under
// category; insecureUsage says what --insecure-skip-verify gives up there.
func tlsFlags(category, insecureUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Category: category, Name: "ca-file", Usage: "PEM file of CA certificates to trust"},
		&cli.StringFlag{Category: category, Name: "cert", Usage: "client certificate (PEM) for servers that ask for one (mutual TLS); with --key"},
		&cli.StringFlag{Category: category, Name: "key", Usage: "client certificate's private key (PEM)"},
		&cli.BoolFlag{Category: category, Name: "insecure-skip-verify", Usage: insecureUsage},
	}
}
