package checks

import (
	"context"
	"testing"
	"time"
)

// These run on real time: the timerfd pause is outside synctest's reach.

func TestPauseWaits(t *testing.T) {
	p := newPauser()
	defer p.close()
	start := time.Now()
	if !p.pause(t.Context(), 30*time.Millisecond) {
		t.Fatal("pause reported an interruption")
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("paused %v, want at least 30ms", took)
	}
	// Reusable: the second pause waits again.
	start = time.Now()
	if !p.pause(t.Context(), 20*time.Millisecond) || time.Since(start) < 20*time.Millisecond {
		t.Error("second pause did not wait")
	}
}

func TestPauseStopsWhenContextEnds(t *testing.T) {
	p := newPauser()
	defer p.close()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan bool)
	go func() { done <- p.pause(ctx, time.Hour) }()
	select {
	case ok := <-done:
		if ok {
			t.Error("pause reported a full pause after cancel")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pause did not return after its context was cancelled")
	}
}
