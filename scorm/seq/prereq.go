package seq

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Prerequisite is a parsed SCORM 1.2 adlcp:prerequisites expression in the
// AICC script form: identifiers joined by & (and), | (or), ~ (not),
// parentheses, comparisons id = "status" / id <> "status", and sets
// n*{a,b,c} (at least n of). Real packages also write AND, OR and NOT.
type Prerequisite struct{ root node }

// ParsePrerequisite parses expr; an empty expression is always satisfied.
func ParsePrerequisite(expr string) (*Prerequisite, error) {
	p := &prereqParser{toks: tokenize(expr)}
	if len(p.toks) == 0 {
		return &Prerequisite{}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("prerequisites %q: %w", expr, err)
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("prerequisites %q: unexpected %q", expr, p.toks[p.pos])
	}
	return &Prerequisite{root: n}, nil
}

// Satisfied evaluates the expression; status gives the lesson_status of an
// item identifier ("" when the item has none). An item counts as satisfied
// when it is passed or completed (AICC CMI001: also "browsed" is not).
func (p *Prerequisite) Satisfied(status func(id string) string) bool {
	if p == nil || p.root == nil {
		return true
	}
	return p.root.eval(status)
}

// Identifiers lists the item identifiers the expression mentions.
func (p *Prerequisite) Identifiers() []string {
	var ids []string
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case ident:
			ids = append(ids, n.id)
		case compare:
			ids = append(ids, n.id)
		case not:
			walk(n.x)
		case and:
			walk(n.a)
			walk(n.b)
		case or:
			walk(n.a)
			walk(n.b)
		case set:
			for _, x := range n.xs {
				walk(x)
			}
		}
	}
	if p != nil && p.root != nil {
		walk(p.root)
	}
	return ids
}

type node interface {
	eval(status func(string) string) bool
}

type (
	ident   struct{ id string }
	compare struct {
		id, status string
		equal      bool
	}
	not struct{ x node }
	and struct{ a, b node }
	or  struct{ a, b node }
	set struct {
		min int
		xs  []node
	}
)

func satisfiedStatus(s string) bool { return s == "passed" || s == "completed" }

func (n ident) eval(st func(string) string) bool { return satisfiedStatus(st(n.id)) }
func (n compare) eval(st func(string) string) bool {
	return (normStatus(st(n.id)) == normStatus(n.status)) == n.equal
}
func (n not) eval(st func(string) string) bool { return !n.x.eval(st) }
func (n and) eval(st func(string) string) bool { return n.a.eval(st) && n.b.eval(st) }
func (n or) eval(st func(string) string) bool  { return n.a.eval(st) || n.b.eval(st) }
func (n set) eval(st func(string) string) bool {
	c := 0
	for _, x := range n.xs {
		if x.eval(st) {
			c++
		}
	}
	return c >= n.min
}

// normStatus maps AICC status words and their one-letter forms to one spelling.
func normStatus(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "p":
		return "passed"
	case "c":
		return "completed"
	case "f":
		return "failed"
	case "i":
		return "incomplete"
	case "b":
		return "browsed"
	case "n", "":
		return "not attempted"
	}
	return s
}

func tokenize(s string) []string {
	var toks []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '<' && i+1 < len(rs) && rs[i+1] == '>':
			toks = append(toks, "<>")
			i += 2
		case strings.ContainsRune("&|~(){},=*", r):
			toks = append(toks, string(r))
			i++
		case r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			toks = append(toks, string(rs[i:min(j+1, len(rs))]))
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("&|~(){},=*<>\"", rs[j]) {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		}
	}
	return toks
}

type prereqParser struct {
	toks []string
	pos  int
}

func (p *prereqParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *prereqParser) next() string { t := p.peek(); p.pos++; return t }

func isOp(tok string, sym, word string) bool { return tok == sym || strings.EqualFold(tok, word) }

func (p *prereqParser) or() (node, error) {
	a, err := p.and()
	if err != nil {
		return nil, err
	}
	for isOp(p.peek(), "|", "or") {
		p.next()
		b, err := p.and()
		if err != nil {
			return nil, err
		}
		a = or{a, b}
	}
	return a, nil
}

func (p *prereqParser) and() (node, error) {
	a, err := p.unary()
	if err != nil {
		return nil, err
	}
	for isOp(p.peek(), "&", "and") {
		p.next()
		b, err := p.unary()
		if err != nil {
			return nil, err
		}
		a = and{a, b}
	}
	return a, nil
}

func (p *prereqParser) unary() (node, error) {
	if isOp(p.peek(), "~", "not") {
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return not{x}, nil
	}
	return p.primary()
}

func (p *prereqParser) primary() (node, error) {
	tok := p.next()
	switch {
	case tok == "":
		return nil, fmt.Errorf("unexpected end")
	case tok == "(":
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		return n, nil
	case strings.ContainsAny(tok, "&|~(){},=*\"") || tok == "<>":
		return nil, fmt.Errorf("unexpected %q", tok)
	}
	if n, err := strconv.Atoi(tok); err == nil && p.peek() == "*" {
		p.next()
		if p.next() != "{" {
			return nil, fmt.Errorf("want { after %d*", n)
		}
		s := set{min: n}
		for {
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			s.xs = append(s.xs, x)
			switch p.next() {
			case ",":
				continue
			case "}":
				return s, nil
			default:
				return nil, fmt.Errorf("want , or } in set")
			}
		}
	}
	if op := p.peek(); op == "=" || op == "<>" {
		p.next()
		v := strings.Trim(p.next(), `"`)
		if v == "" {
			return nil, fmt.Errorf("want a status after %s %s", tok, op)
		}
		return compare{id: tok, status: v, equal: op == "="}, nil
	}
	return ident{tok}, nil
}
