// Package grpchealth is a gRPC health server (grpc.health.v1.Health/Check)
// on net/http's HTTP/2, for tests: it answers as grpc-go's health server
// does, frame for frame, without linking grpc-go. The main binary does not
// import it.
package grpchealth

import (
	"encoding/binary"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Status is HealthCheckResponse.ServingStatus.
type Status int

const (
	Unknown Status = iota
	Serving
	NotServing
	ServiceUnknown
)

// Server holds a status per service; "" is the whole server. A new Server
// reports the whole server SERVING, as grpc-go's does.
type Server struct {
	mu     sync.Mutex
	status map[string]Status
	calls  int
}

func New() *Server { return &Server{status: map[string]Status{"": Serving}} }

// SetStatus sets a service's status.
func (s *Server) SetStatus(service string, st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[service] = st
}

// Calls is how many Check calls the server has answered.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Handler serves the health service; other methods are UNIMPLEMENTED.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		http.Error(w, "gRPC requests only", http.StatusUnsupportedMediaType)
		return
	}
	if r.ProtoMajor != 2 {
		http.Error(w, "gRPC needs HTTP/2", http.StatusHTTPVersionNotSupported)
		return
	}
	w.Header().Set("Content-Type", "application/grpc")
	if r.URL.Path != "/grpc.health.v1.Health/Check" {
		trailersOnly(w, 12, "unknown service "+strings.TrimPrefix(r.URL.Path, "/"))
		return
	}
	service, ok := readRequest(r.Body)
	if !ok {
		trailersOnly(w, 13, "grpc: error unmarshalling request")
		return
	}
	s.mu.Lock()
	st, known := s.status[service]
	s.calls++
	s.mu.Unlock()
	if !known {
		trailersOnly(w, 5, "unknown service")
		return
	}
	msg := []byte{}
	if st != Unknown { // proto3 leaves a zero value out
		msg = append(msg, 0x08, byte(st))
	}
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	w.WriteHeader(http.StatusOK)
	w.Write(append(binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg))), msg...))
	w.Header().Set("Grpc-Status", "0")
}

// trailersOnly answers an error the way gRPC does: status in the headers,
// no body.
func trailersOnly(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Grpc-Status", strconv.Itoa(code))
	w.Header().Set("Grpc-Message", url.PathEscape(msg))
	w.WriteHeader(http.StatusOK)
}

// readRequest reads HealthCheckRequest{service string = 1}.
func readRequest(body io.Reader) (string, bool) {
	b, err := io.ReadAll(io.LimitReader(body, 1<<16))
	if err != nil || len(b) < 5 || b[0] != 0 || int(binary.BigEndian.Uint32(b[1:])) != len(b)-5 {
		return "", false
	}
	msg := b[5:]
	if len(msg) == 0 {
		return "", true
	}
	if msg[0] != 0x0a {
		return "", false
	}
	n, k := binary.Uvarint(msg[1:])
	if k <= 0 || uint64(len(msg)-1-k) != n {
		return "", false
	}
	return string(msg[1+k:]), true
}

// Protocols is what a gRPC server speaks: HTTP/2 only, with or without TLS.
func Protocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	return &p
}
