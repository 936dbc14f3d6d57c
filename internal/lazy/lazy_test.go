package lazy

import "testing"

func TestRegexpCompilesOnce(t *testing.T) {
	re := Regexp(`^a+$`)
	first := re()
	if !first.MatchString("aaa") || first.MatchString("b") {
		t.Fatalf("pattern %q matches wrongly", first)
	}
	if got := re(); got != first {
		t.Errorf("second call compiled again: got %p, want %p", got, first)
	}
}

func TestRegexpPanicsOnFirstUse(t *testing.T) {
	re := Regexp(`(`) // building it must not panic: only using it
	defer func() {
		if recover() == nil {
			t.Error("no panic for a pattern that does not compile")
		}
	}()
	re()
}
