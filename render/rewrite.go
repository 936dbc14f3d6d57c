package render

import (
	"strconv"
	"strings"
	"text/template/parse"
)

// text/template stops at the first missing key. To name every missing value
// in one run, each parsed tree is rewritten before it executes: every field
// access (.a.b, $x.a, (pipe).a) and every index call becomes a call of
// fnGet, which records a missing key with its position and carries on with
// an empty placeholder; every printing action ends in fnOut, which refuses
// to print "no value". Where a value is only tested (if, with, and, or, not)
// or handed to a function that treats "missing" as "empty" (default, empty,
// coalesce, required, ternary), the access is optional: a missing key is no
// error there, so `default "80" .Env.PORT` works as in Helm.
//
// text/template has no context. What prints meets it in the writer, but a
// loop with nothing to print, or a recursion of templates, calls nothing
// of ours: so a template's body and a range's body that do not start by
// printing start with a call of fnTick, which stops the run once the
// context is done.
const (
	fnGet      = "_initbox_get"
	fnOut      = "_initbox_out"
	fnRequired = "_initbox_required"
	fnTick     = "_initbox_tick"
)

type rewriter struct {
	src   *source
	sites *[]site // the engine's table of sites
	keys  map[string]*parse.StringNode
}

// Nodes the rewrite adds everywhere are shared: execution only reads them,
// and a template of many actions would otherwise double in memory.
var (
	identGet      = parse.NewIdentifier(fnGet)
	identOut      = parse.NewIdentifier(fnOut)
	identRequired = parse.NewIdentifier(fnRequired)
	dot           = &parse.DotNode{NodeType: parse.NodeDot}
	yes           = &parse.BoolNode{NodeType: parse.NodeBool, True: true}
	no            = &parse.BoolNode{NodeType: parse.NodeBool}
	// tick is {{ $_initbox_tick := _initbox_tick }}: a declaration, so that
	// it prints nothing.
	tick = &parse.ActionNode{NodeType: parse.NodeAction, Pipe: &parse.PipeNode{NodeType: parse.NodePipe,
		Decl: []*parse.VariableNode{{NodeType: parse.NodeVariable, Ident: []string{"$" + fnTick}}},
		Cmds: []*parse.CommandNode{command(0, parse.NewIdentifier(fnTick))}}}
)

// rewrite rewrites t, parsed from src, adding its sites to sites.
func rewrite(t *parse.Tree, src *source, sites *[]site) {
	if t == nil || t.Root == nil {
		return
	}
	r := rewriter{src: src, sites: sites, keys: map[string]*parse.StringNode{}}
	r.list(t.Root)
	ticks(t.Root)
}

// ticks makes l start with the tick, unless it starts by printing: text
// and printing actions write every time they run, even "" (fmt.Fprint
// calls Write), and the writer checks the context. Loops that print pay
// nothing for the tick.
func ticks(l *parse.ListNode) {
	if l == nil {
		return
	}
	if len(l.Nodes) > 0 {
		switch n := l.Nodes[0].(type) {
		case *parse.TextNode:
			return
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 {
				return
			}
		}
	}
	l.Nodes = append([]parse.Node{tick}, l.Nodes...)
}

func (r *rewriter) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		r.node(n)
	}
}

func (r *rewriter) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.ActionNode:
		r.pipe(n.Pipe, false)
		if len(n.Pipe.Decl) == 0 {
			site := r.site(site{pos: int(n.Pipe.Pos)})
			n.Pipe.Cmds = append(n.Pipe.Cmds, command(n.Pipe.Pos, identOut, site))
		}
	case *parse.IfNode:
		r.branch(&n.BranchNode, true)
	case *parse.WithNode:
		r.branch(&n.BranchNode, true)
	case *parse.RangeNode:
		r.branch(&n.BranchNode, false)
		ticks(n.List)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			r.pipe(n.Pipe, false)
		}
	}
}

func (r *rewriter) branch(b *parse.BranchNode, tested bool) {
	r.pipe(b.Pipe, tested)
	r.list(b.List)
	r.list(b.ElseList)
}

// pipe rewrites a pipeline whose result is only tested for truth (or may
// be missing for another reason) when opt is set. Each command's result is
// the final argument of the next, so optionality flows backwards.
func (r *rewriter) pipe(p *parse.PipeNode, opt bool) {
	n := len(p.Cmds)
	opts := make([]bool, n)
	for i := n - 1; i >= 0; i-- {
		if i == n-1 {
			opts[i] = opt
		} else {
			opts[i] = finalOptional(p.Cmds[i+1], opts[i+1])
		}
	}
	for i, c := range p.Cmds {
		r.command(c, opts[i], i == 0)
	}
}

// finalOptional says whether the value piped into c may be missing.
func finalOptional(c *parse.CommandNode, opt bool) bool {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return false
	}
	switch id.Ident {
	case "not", "empty", "default", "ternary", "required":
		return true
	case "and", "or", "coalesce":
		return opt
	}
	return false
}

// command rewrites one command; opt says its result may be missing, first
// that nothing is piped into it.
func (r *rewriter) command(c *parse.CommandNode, opt, first bool) {
	switch a := c.Args[0].(type) {
	case *parse.IdentifierNode:
		r.call(c, a.Ident, opt, first)
		return
	case *parse.FieldNode, *parse.ChainNode, *parse.VariableNode:
		if len(c.Args) == 1 && first {
			if g := r.get(a, opt); g != nil {
				c.Args = g.Args
			}
			return
		}
	case *parse.PipeNode:
		r.pipe(a, opt)
	}
	// An operand given arguments (a method call) is an error on our data;
	// text/template reports it. Its arguments are still checked.
	for i := 1; i < len(c.Args); i++ {
		c.Args[i] = r.arg(c.Args[i], false)
	}
}

// call rewrites the arguments of a function call.
func (r *rewriter) call(c *parse.CommandNode, name string, opt, first bool) {
	args := c.Args[1:]
	last := len(args) - 1
	if name == "index" && len(args) > 0 {
		r.index(c, opt)
		return
	}
	var at *parse.NumberNode
	if name == "required" {
		at = r.site(site{pos: int(c.Pos), expr: c.String()}) // before the arguments change
	}
	for i, a := range args {
		var o bool
		switch name {
		case "not", "empty":
			o = true
		case "and", "or", "coalesce":
			o = opt || i < last || !first
		case "default", "ternary", "required":
			o = i == last && first
		}
		args[i] = r.arg(a, o)
	}
	if name == "required" {
		c.Args = append([]parse.Node{identRequired, at}, args...)
	}
}

// index turns `index RECV KEY...` into a strict (or optional) lookup, so a
// missing key is reported like a missing field instead of printing
// "<no value>".
func (r *rewriter) index(c *parse.CommandNode, opt bool) {
	args := c.Args[1:]
	at := r.site(site{pos: int(c.Pos), head: "index", expr: c.String()})
	out := []parse.Node{identGet, at, boolean(opt), r.arg(args[0], opt)}
	for _, k := range args[1:] {
		out = append(out, r.arg(k, false))
	}
	c.Args = out
}

// arg rewrites an argument; opt says it may be missing.
func (r *rewriter) arg(a parse.Node, opt bool) parse.Node {
	switch a := a.(type) {
	case *parse.PipeNode:
		r.pipe(a, opt)
	case *parse.FieldNode, *parse.ChainNode, *parse.VariableNode:
		if g := r.get(a, opt); g != nil {
			return pipe(a.Position(), g)
		}
	}
	return a
}

// get returns the fnGet call that replaces a field access, or nil if n
// reads no field.
func (r *rewriter) get(n parse.Node, opt bool) *parse.CommandNode {
	var (
		recv parse.Node
		keys []string
		head string
		expr string // spelled now if the rewrite will change n
	)
	pos := n.Position()
	switch n := n.(type) {
	case *parse.FieldNode:
		recv, keys = dot, n.Ident
	case *parse.VariableNode:
		if len(n.Ident) < 2 {
			return nil
		}
		head = n.Ident[0]
		recv = &parse.VariableNode{NodeType: parse.NodeVariable, Pos: pos, Ident: []string{head}}
		keys = n.Ident[1:]
	case *parse.ChainNode:
		switch n.Node.(type) {
		case *parse.DotNode:
		case *parse.PipeNode:
			head = "(" + n.Node.String() + ")"
		default:
			head = n.Node.String()
		}
		expr = n.String()
		recv, keys = r.chainReceiver(n.Node, opt), n.Field
		if recv == nil {
			return nil
		}
	default:
		return nil
	}
	at := r.site(site{pos: int(pos), head: head, expr: expr, node: n})
	args := []parse.Node{identGet, at, boolean(opt), recv}
	for _, k := range keys {
		args = append(args, r.str(k))
	}
	return command(pos, args...)
}

func (r *rewriter) chainReceiver(n parse.Node, opt bool) parse.Node {
	switch n := n.(type) {
	case *parse.PipeNode:
		r.pipe(n, opt)
		return n
	case *parse.IdentifierNode: // a function called without arguments
		return pipe(n.Pos, command(n.Pos, n))
	case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode:
		if g := r.get(n, opt); g != nil {
			return pipe(n.Position(), g)
		}
		return n
	case *parse.DotNode:
		return n
	}
	return nil
}

// site adds a site to the table and returns its number, the argument
// that stands for it in the rewritten call.
func (r *rewriter) site(s site) *parse.NumberNode {
	s.src = r.src
	*r.sites = append(*r.sites, s)
	n := len(*r.sites) - 1
	return &parse.NumberNode{NodeType: parse.NodeNumber, Pos: parse.Pos(s.pos), IsInt: true, Int64: int64(n), Text: "site"}
}

// splitLoc splits "name:line:col" (or "name:line") from the right, since a
// file name may hold colons.
func splitLoc(loc string) (file string, line, col int) {
	file = loc
	nums := make([]int, 0, 2)
	for range 2 {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(file[i+1:])
		if err != nil {
			break
		}
		nums = append(nums, n)
		file = file[:i]
	}
	switch len(nums) {
	case 2:
		return file, nums[1], nums[0]
	case 1:
		return file, nums[0], 0
	}
	return loc, 0, 0
}

// str returns a shared string node for a key.
func (r *rewriter) str(s string) *parse.StringNode {
	n, ok := r.keys[s]
	if !ok {
		// Quoted only shows in error contexts, which problemOf cuts off.
		n = &parse.StringNode{NodeType: parse.NodeString, Quoted: `"` + s + `"`, Text: s}
		r.keys[s] = n
	}
	return n
}

func boolean(b bool) *parse.BoolNode {
	if b {
		return yes
	}
	return no
}

func command(pos parse.Pos, args ...parse.Node) *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: args}
}

func pipe(pos parse.Pos, c *parse.CommandNode) *parse.PipeNode {
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{c}}
}
