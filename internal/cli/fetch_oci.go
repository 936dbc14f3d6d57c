package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/fetch"
)

const ociExamples = `
   initbox fetch -o /models oci://registry.internal/models/llama:v3
   initbox fetch --oci-file model.bin -o /models oci://registry.internal/models/llama@sha256:4f…
   initbox fetch --extract -o /shared/rootfs oci://registry.internal/app:1.4
   initbox fetch --oci-path /usr/bin/tool -o /shared/bin oci://registry.internal/tools:latest
   initbox fetch --docker-config /var/run/secrets/regcred/.dockerconfigjson -o /plugins oci://ghcr.io/org/plugins:2`

// ociFlags are the fetch options for oci:// references.
func ociFlags() []cli.Flag {
	cat := "OCI registries (oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], into -o DIR)"
	return []cli.Flag{
		&cli.StringSliceFlag{Category: cat, Name: "oci-file", Usage: "of an artifact, write only the layer with this title (repeatable)"},
		&cli.StringSliceFlag{Category: cat, Name: "media-type", Usage: "of an artifact, write only layers of this media type (repeatable)"},
		&cli.StringFlag{Category: cat, Name: "oci-path", Usage: "of an image, copy only this file (e.g. /usr/bin/tool) into -o DIR"},
		&cli.StringFlag{Category: cat, Name: "platform", Usage: "os/arch[/variant] to pick from an image index (default: the one initbox runs on)"},
		&cli.StringFlag{Category: cat, Name: "docker-config", Usage: "Docker config.json or mounted kubernetes.io/dockerconfigjson secret with registry credentials (default: $DOCKER_CONFIG/config.json, ~/.docker/config.json)"},
		&cli.BoolFlag{Category: cat, Name: "plain-http", Usage: "talk plain http to registries (local registries only)"},
	}
}

// ociOptions reads the oci:// options; the Docker config is looked up
// only when an oci:// reference is fetched.
func ociOptions(c *cli.Context, jobs []fetch.Job) (fetch.OCIOptions, error) {
	o := fetch.OCIOptions{
		PlainHTTP:  c.Bool("plain-http"),
		Platform:   c.String("platform"),
		Files:      c.StringSlice("oci-file"),
		MediaTypes: c.StringSlice("media-type"),
		Path:       c.String("oci-path"),
	}
	any := false
	for _, j := range jobs {
		if !strings.HasPrefix(j.URL, fetch.OCIScheme+"://") {
			continue
		}
		any = true
		if !j.Want.IsZero() || j.SumsURL != "" {
			return o, usagef("--sha256, --sha512 and --checksum-url do not apply to oci:// references: every blob is verified against its digest (pin one with @sha256:…)")
		}
	}
	if !any {
		for _, name := range []string{"oci-file", "media-type", "oci-path", "platform", "docker-config", "plain-http"} {
			if c.IsSet(name) {
				return o, usagef("--%s applies to oci:// references, and none was given", name)
			}
		}
		return o, nil
	}
	if o.Path != "" && (len(o.Files) > 0 || len(o.MediaTypes) > 0) {
		return o, usagef("--oci-path copies a file out of an image; --oci-file and --media-type pick an artifact's files: give one or the other")
	}
	o.AuthFile = dockerConfig(c.String("docker-config"))
	return o, nil
}

// dockerConfig is the file given, or the first Docker config that
// exists where docker looks for it; "" when there is none (anonymous).
func dockerConfig(given string) string {
	if given != "" {
		return given
	}
	var candidates []string
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		candidates = append(candidates, filepath.Join(d, "config.json"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".docker", "config.json"))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// ociHint says which flag answers a ManifestError that asks for a choice.
func ociHint(err error) string {
	var me *fetch.ManifestError
	if errors.As(err, &me) && me.Image {
		return " (give --extract to unpack it into -o DIR, or --oci-path /path/in/image)"
	}
	return ""
}
