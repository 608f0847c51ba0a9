package publish

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// operationOutcome is the part of an R5 OperationOutcome ohx reads.
type operationOutcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Details  *struct {
			Text string `json:"text"`
		} `json:"details"`
		Diagnostics string   `json:"diagnostics"`
		Expression  []string `json:"expression"`
		Location    []string `json:"location"`
	} `json:"issue"`
}

// bundleResponse is the part of a batch-response or transaction-response
// ohx reads.
type bundleResponse struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Response *struct {
			Status   string          `json:"status"`
			Location string          `json:"location"`
			Outcome  json.RawMessage `json:"outcome"`
		} `json:"response"`
	} `json:"entry"`
}

// parseIssues reads an OperationOutcome and keeps only what is safe to
// report. Anything that is not an OperationOutcome yields no issues.
func parseIssues(raw []byte) []Issue {
	var oo operationOutcome
	if len(raw) == 0 || json.Unmarshal(raw, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return nil
	}
	out := make([]Issue, 0, len(oo.Issue))
	for _, i := range oo.Issue {
		text := i.Diagnostics
		if text == "" && i.Details != nil {
			text = i.Details.Text
		}
		out = append(out, Issue{
			Severity:    i.Severity,
			Code:        i.Code,
			Expression:  i.Expression,
			Location:    i.Location,
			Diagnostics: redact(text),
		})
	}
	return out
}

// maxDiagnostics bounds a redacted diagnostics text, in runes.
const maxDiagnostics = 200

// closingQuote returns the quote that closes r, if r opens a quotation.
func closingQuote(r rune) (rune, bool) {
	switch r {
	case '"', '\'', '`':
		return r, true
	case '“':
		return '”', true
	case '‘':
		return '’', true
	case '«':
		return '»', true
	}
	return 0, false
}

// redact masks what in a server's diagnostics text may be a submitted value:
// every quoted string becomes "…" and every number becomes #. What remains
// (words, element names) explains the problem without repeating the data.
func redact(s string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s) && n < maxDiagnostics; n++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if closer, ok := closingQuote(r); ok {
			if end := strings.IndexRune(s[i+size:], closer); end >= 0 {
				b.WriteString(`"…"`)
				i += size + end + utf8.RuneLen(closer)
				continue
			}
		}
		if unicode.IsDigit(r) {
			b.WriteByte('#')
			i += numberLen(s[i:])
			continue
		}
		b.WriteRune(r)
		i += size
	}
	if n >= maxDiagnostics {
		b.WriteString("…")
	}
	return b.String()
}

// numberLen returns the length of the number s starts with: digits, with
// decimal or grouping separators between digits, and an exponent.
func numberLen(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			i++
		case (c == '.' || c == ',' || c == ':' || c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			i++
		default:
			return i
		}
	}
	return i
}

// entryStatus parses a Bundle response status such as "201 Created".
func entryStatus(s string) int {
	code, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.Atoi(code)
	if err != nil {
		return 0
	}
	return n
}

// describeIssues renders issues for an error message: severity, code, paths
// and the redacted text.
func describeIssues(issues []Issue) string {
	parts := make([]string, 0, len(issues))
	for _, i := range issues {
		p := i.Severity + " " + i.Code
		if paths := append(append([]string(nil), i.Expression...), i.Location...); len(paths) > 0 {
			p += " at " + strings.Join(paths, ", ")
		}
		if i.Diagnostics != "" {
			p += ": " + i.Diagnostics
		}
		parts = append(parts, strings.TrimSpace(p))
	}
	return strings.Join(parts, "; ")
}

// describeRejected summarises refused entries for an error message, naming
// at most a few of them.
func describeRejected(rejected []EntryResult, total int) string {
	const shown = 3
	var b strings.Builder
	fmt.Fprintf(&b, "FHIR server rejected %d of %d entries", len(rejected), total)
	for k, e := range rejected {
		if k == shown {
			fmt.Fprintf(&b, "; and %d more", len(rejected)-shown)
			break
		}
		fmt.Fprintf(&b, "; %s/%s: HTTP %d", e.ResourceType, e.ID, e.Status)
		if d := describeIssues(e.Issues); d != "" {
			b.WriteString(" " + d)
		}
	}
	return b.String()
}
