package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/iotest"
	"time"
)

func TestPumpPassesEveryByteThroughEveryStage(t *testing.T) {
	data := randomData(t, 2*chunks*chunkSize+123) // more chunks than buffers
	var first, second bytes.Buffer
	stages := []stage{
		func(b []byte) error { first.Write(b); return nil },
		func(b []byte) error { second.Write(b); return nil },
	}
	reads := 0
	n, err := pump(t.Context(), iotest.HalfReader(bytes.NewReader(data)), stages, func(int) { reads++ })
	if err != nil || n != int64(len(data)) {
		t.Fatalf("pump: %d, %v; want %d, nil", n, err, len(data))
	}
	if !bytes.Equal(first.Bytes(), data) || !bytes.Equal(second.Bytes(), data) {
		t.Error("a stage saw other bytes than were read")
	}
	if want := 2*chunks + 1; reads != want {
		t.Errorf("%d chunks, want %d: small reads are gathered into full ones", reads, want)
	}
}

func TestPumpReportsReadErrorAfterTheBytesBeforeIt(t *testing.T) {
	data := randomData(t, 1000)
	cutErr := errors.New("connection reset")
	src := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(cutErr))
	var got bytes.Buffer
	n, err := pump(t.Context(), src, []stage{func(b []byte) error { got.Write(b); return nil }}, nil)
	if !errors.Is(err, cutErr) || n != 1000 || !bytes.Equal(got.Bytes(), data) {
		t.Errorf("got %d bytes, %v; want all 1000 bytes written, then the error", n, err)
	}
}

func TestPumpStopsOnStageError(t *testing.T) {
	diskFull := errors.New("no space left on device")
	calls := 0
	stages := []stage{func([]byte) error { calls++; return diskFull }}
	_, err := pump(t.Context(), bytes.NewReader(make([]byte, 50*chunkSize)), stages, nil)
	if !errors.Is(err, diskFull) {
		t.Fatalf("got %v, want the stage's error", err)
	}
	if calls != 1 {
		t.Errorf("stage called %d times after failing, want 1", calls)
	}
}

func TestPumpStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := pump(ctx, bytes.NewReader(make([]byte, 10)), []stage{func([]byte) error { return nil }}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want cancelled", err)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-0/1", 0, 1, true},
		{"bytes 100-199/*", 100, -1, true},
		{"bytes 100-199/150", 0, 0, false},
		{"bytes 200-100/300", 0, 0, false},
		{"items 1-2/3", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		start, total, ok := parseContentRange(tt.in)
		if ok != tt.ok || ok && (start != tt.start || total != tt.total) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", tt.in, start, total, ok, tt.start, tt.total, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d, ok := retryAfter("3", now); !ok || d != 3*time.Second {
		t.Errorf("Retry-After: 3 → %v, %v", d, ok)
	}
	if d, ok := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); !ok || d != 90*time.Second {
		t.Errorf("Retry-After as a date → %v, %v", d, ok)
	}
	if _, ok := retryAfter("soon", now); ok {
		t.Error("Retry-After: soon was accepted")
	}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		d := backoff(100*time.Millisecond, time.Second, attempt, nil)
		if d > want || d < want*9/10 {
			t.Errorf("attempt %d: pause %v, want %v less up to 10%% jitter", attempt, d, want)
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {"7"}}}
	if d := backoff(time.Millisecond, time.Second, 0, resp); d != 7*time.Second {
		t.Errorf("with Retry-After: 7, pause %v, want 7s", d)
	}
	resp.Header.Set("Retry-After", "0")
	if d := backoff(250*time.Millisecond, time.Second, 0, resp); d != 250*time.Millisecond {
		t.Errorf("with Retry-After: 0, pause %v, want the minimum 250ms, not a busy loop", d)
	}
}
