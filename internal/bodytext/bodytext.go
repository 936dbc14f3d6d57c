// Package bodytext turns the start of an HTTP error body into a reason a
// person can read in a log line: a 404 page of a typical server is HTML,
// and quoting it as it is shows markup and escapes, not the message.
package bodytext

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	title     = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title`)
	bodyStart = regexp.MustCompile(`(?is)^.*?<body[^>]*>`)
	head      = regexp.MustCompile(`(?is)<head[^>]*>.*?(</head>|$)`)
	hidden    = regexp.MustCompile(`(?is)<(script|style|template)[^>]*>.*?(</(script|style|template)>|$)|<!--.*?(-->|$)`)
	tag       = regexp.MustCompile(`(?s)<[^>]*(>|$)`)
)

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
	if m := title.FindStringSubmatch(page); m != nil {
		t = m[1]
	}
	if loc := bodyStart.FindStringIndex(page); loc != nil {
		page = page[loc[1]:]
	} else {
		page = head.ReplaceAllString(page, " ")
	}
	page = hidden.ReplaceAllString(page, " ")
	text := html.UnescapeString(tag.ReplaceAllString(page, " "))
	if strings.TrimSpace(text) == "" {
		return html.UnescapeString(t)
	}
	return text
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
