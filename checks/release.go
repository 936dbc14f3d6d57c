package checks

// releaser is a Checker that keeps something between its attempts (the DNS
// check its UDP sockets, the TCP check the socket of a refused connect), to
// make waiting cheap. Whoever runs its attempts calls release when it will
// make no more, so a wait leaves no descriptor behind in a program that
// goes on (serve, run, a library user).
type releaser interface{ release() }

// release lets go of what c kept, if it keeps anything.
func release(c Checker) {
	if r, ok := c.(releaser); ok {
		r.release()
	}
}

func (g *gone) release() { release(g.c) }

func (d *DNS) release() { d.conns.closeAll() }

func (t *TCP) release() { t.spare.close() }
