// Package bodytext turns the start of an HTTP error body into a reason a
// person can read in a log line: a 404 page of a typical server is HTML,
// and quoting it as it is shows markup and escapes, not the message.
package bodytext

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/initbox/initbox/internal/lazy"
)

var (
	title     = lazy.Regexp(`(?is)<title[^>]*>(.*?)</title`)
	bodyStart = lazy.Regexp(`(?is)^.*?<body[^>]*>`)
	head      = lazy.Regexp(`(?is)<head[^>]*>.*?(</head>|$)`)
	hidden    = lazy.Regexp(`(?is)<(script|style|template)[^>]*>.*?(</(script|style|template)>|$)|<!--.*?(-->|$)`)
	tag       = lazy.Regexp(`(?s)<[^>]*(>|$)`)
	entity    = lazy.Regexp(`&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);`)
)

// entities are the named ones error pages use. html.UnescapeString knows
// all 2,231, and costs 74 KB of binary for them.
var entities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": " "}

// Reason returns what to show of body, at most about n bytes: for HTML,
// its text (or its <title>, when it has no text), without tags or
// entities; for anything else, the body itself; white space collapsed
// either way. A cut is marked with "…". body may itself be cut short.
func Reason(body string, n int) string {
	if isHTML(body) {
		body = htmlText(body)
	}
	return cut(strings.Join(strings.Fields(body), " "), n)
}

func isHTML(s string) bool {
	return strings.HasPrefix(http.DetectContentType([]byte(s)), "text/html")
}

// htmlText is the text of an HTML page's body, or its title.
func htmlText(page string) string {
	var t string
	if m := title().FindStringSubmatch(page); m != nil {
		t = m[1]
	}
	if loc := bodyStart().FindStringIndex(page); loc != nil {
		page = page[loc[1]:]
	} else {
		page = head().ReplaceAllString(page, " ")
	}
	page = hidden().ReplaceAllString(page, " ")
	text := unescape(tag().ReplaceAllString(page, " "))
	if strings.TrimSpace(text) == "" {
		return unescape(t)
	}
	return text
}

// unescape replaces numeric entities and the common named ones; others
// stay as written.
func unescape(s string) string {
	return entity().ReplaceAllStringFunc(s, func(e string) string {
		name := e[1 : len(e)-1]
		if r, ok := entities[name]; ok {
			return r
		}
		if name[0] != '#' {
			return e
		}
		base, digits := 10, name[1:]
		if digits[0] == 'x' || digits[0] == 'X' {
			base, digits = 16, digits[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil || !utf8.ValidRune(rune(n)) {
			return e
		}
		return string(rune(n))
	})
}

// cut shortens s to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
