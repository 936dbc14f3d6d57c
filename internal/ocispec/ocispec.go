// Package ocispec holds the two types of the OCI image spec that both
// fetch (which reads manifests) and the test registry (which writes them)
// need. Sharing them hides nothing from the tests: what the tests push is
// parsed and checked by a real registry (distribution) before fetch reads it.
package ocispec

// Descriptor points at a blob or manifest by digest.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
}

// Platform is an image's os/architecture[/variant].
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
