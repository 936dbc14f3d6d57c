// Package lazy holds package-level values that are built on first use
// rather than at program start.
//
// A package-level regexp.MustCompile runs in the package's init, so
// every command pays for every pattern the binary links in, although
// "initbox version" and a healthcheck use none of them: initbox's own
// patterns were 3,200 of the 4,540 allocations of package init.
package lazy

import (
	"regexp"
	"sync"
)

// Regexp returns a function that compiles expr on its first call and
// returns the same *regexp.Regexp from then on. Like regexp.MustCompile
// it panics if expr does not compile, at that first call; the tests of
// the package using the pattern reach it.
func Regexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
