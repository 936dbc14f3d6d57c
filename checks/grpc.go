package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// GRPC is ready when the gRPC health service (grpc.health.v1.Health/Check)
// answers SERVING for the service named in the path, or for the whole
// server without one, like a kubelet gRPC probe. grpc:// is HTTP/2 without
// TLS (prior knowledge), grpcs:// HTTP/2 over TLS. It uses net/http's own
// HTTP/2, not grpc-go: the request and the answer are a few bytes of
// protobuf, written and read by hand.
type GRPC struct {
	url     string
	target  string
	service string
	tls     *tlsConfig
}

// grpcHealthPath is the health service's Check method.
const grpcHealthPath = "/grpc.health.v1.Health/Check"

// grpcServing is HealthCheckResponse.ServingStatus's names.
var grpcServing = []string{"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"}

// grpcCodes are the status codes' names, for grpc-status.
var grpcCodes = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

func newGRPC(target string, o Options, secure bool) (*GRPC, error) {
	ep, err := parseEndpoint(target, "", AuthOptions{})
	if err != nil {
		return nil, err
	}
	if u, _ := url.Parse(target); u.User != nil {
		return nil, usageErrorf(target, "a gRPC target takes no user: want grpc://HOST:PORT[/SERVICE]")
	}
	g := &GRPC{url: "http://" + ep.addr + grpcHealthPath, target: ep.target, service: ep.path}
	if secure {
		g.url = "https://" + ep.addr + grpcHealthPath
		if g.tls, err = newTLSConfig(o.HTTP.TLS); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *GRPC) String() string { return g.target }

// Check calls Health/Check once on a new connection.
func (g *GRPC) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(grpcRequest(g.service)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	if d, ok := ctx.Deadline(); ok { // so the server gives up when we do
		req.Header.Set("Grpc-Timeout", strconv.FormatInt(max(time.Until(d).Milliseconds(), 1), 10)+"m")
	}
	tr := g.transport()
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("grpc: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("grpc: HTTP status %d: is this a gRPC server?", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("grpc: reading the answer: %w", err)
	}
	if err := grpcStatus(resp); err != nil {
		return err
	}
	return g.judge(body)
}

// transport is new for every attempt and speaks HTTP/2 only, so nothing
// carries over between attempts.
func (g *GRPC) transport() *http.Transport {
	var p http.Protocols
	tr := &http.Transport{DialContext: dialer.DialContext, DisableCompression: true, Protocols: &p}
	if g.tls != nil {
		p.SetHTTP2(true)
		tr.TLSClientConfig = g.tls.clone()
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	return tr
}

// grpcStatus reads grpc-status from the trailers, or from the headers of a
// trailers-only answer (an error without a message).
func grpcStatus(resp *http.Response) error {
	code, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if code == "" {
		code, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if code == "0" {
		return nil
	}
	if code == "" {
		return errors.New("grpc: no grpc-status in the answer: is this a gRPC server?")
	}
	name := code
	if n, err := strconv.Atoi(code); err == nil && n >= 0 && n < len(grpcCodes) {
		name = grpcCodes[n]
	}
	if m, err := url.PathUnescape(msg); err == nil {
		msg = m
	}
	switch name {
	case "UNIMPLEMENTED":
		return errors.New("grpc: the server does not implement grpc.health.v1.Health (UNIMPLEMENTED)")
	case "NOT_FOUND":
		return definite(fmt.Errorf("grpc: the health service does not know this service (NOT_FOUND): %s", msg))
	}
	if msg != "" {
		return fmt.Errorf("grpc: %s: %s", name, msg)
	}
	return fmt.Errorf("grpc: %s", name)
}

// grpcRequest is a length-prefixed HealthCheckRequest{service}: field 1,
// a string.
func grpcRequest(service string) []byte {
	msg := []byte{}
	if service != "" {
		msg = binary.AppendUvarint(append(msg, 0x0a), uint64(len(service)))
		msg = append(msg, service...)
	}
	b := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	return append(b, msg...)
}

// judge reads HealthCheckResponse{status}: field 1, a varint; fields it
// does not know are skipped, as protobuf wants.
func (g *GRPC) judge(body []byte) error {
	if len(body) < 5 || body[0] != 0 || int(binary.BigEndian.Uint32(body[1:])) != len(body)-5 {
		return errors.New("grpc: malformed answer (one uncompressed message expected)")
	}
	msg := body[5:]
	status := uint64(0) // absent means UNKNOWN
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return errors.New("grpc: malformed HealthCheckResponse")
		}
		msg = msg[n:]
		switch key & 7 {
		case 0: // varint
			v, n := binary.Uvarint(msg)
			if n <= 0 {
				return errors.New("grpc: malformed HealthCheckResponse")
			}
			if key>>3 == 1 {
				status = v
			}
			msg = msg[n:]
		case 2: // length-delimited
			l, n := binary.Uvarint(msg)
			if n <= 0 || uint64(len(msg)-n) < l {
				return errors.New("grpc: malformed HealthCheckResponse")
			}
			msg = msg[n+int(l):]
		default:
			return fmt.Errorf("grpc: unexpected field type %d in HealthCheckResponse", key&7)
		}
	}
	if status == 1 {
		return nil
	}
	name := fmt.Sprintf("status %d", status)
	if status < uint64(len(grpcServing)) {
		name = grpcServing[status]
	}
	what := "the server"
	if g.service != "" {
		what = fmt.Sprintf("service %q", g.service)
	}
	err := fmt.Errorf("grpc: %s is %s", what, name)
	if status == 2 || status == 3 { // NOT_SERVING, SERVICE_UNKNOWN: said by the server
		return definite(err)
	}
	return err
}
