package publish

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Query selects published resources of one patient in a time window, for
// reconciliation against what the provider still has.
type Query struct {
	Type    string // e.g. "Observation"
	Subject string // e.g. "Patient/123"
	System  string // the identifier system whose values are wanted
	// From and To bound the effective time (dateTime, or a period's start),
	// both inclusive.
	From, To time.Time
}

// found is the part of a resource a Query looks at.
type found struct {
	ResourceType      string
	Status            string
	Subject           struct{ Reference string }
	Identifier        []struct{ System, Value string }
	EffectiveDateTime string
	EffectivePeriod   struct{ Start string }
}

// value returns the identifier value of q.System if the resource is a live
// (not entered-in-error) resource of q's type and subject, effective in q's
// window. ohx checks all of it itself: a server may ignore a search
// parameter it does not know.
func (f found) value(q Query) (string, bool) {
	if f.ResourceType != q.Type || f.Status == enteredInError || f.Subject.Reference != q.Subject {
		return "", false
	}
	eff := f.EffectiveDateTime
	if eff == "" {
		eff = f.EffectivePeriod.Start
	}
	t, err := time.Parse(time.RFC3339Nano, eff)
	if err != nil || t.Before(q.From) || t.After(q.To) {
		return "", false
	}
	for _, id := range f.Identifier {
		if id.System == q.System {
			return id.Value, true
		}
	}
	return "", false
}

func checkQuery(q Query) error {
	if !validName(q.Type) || q.Subject == "" || q.System == "" || q.To.Before(q.From) {
		return health.Errorf(health.KindInvalid, "find: need a resource type, subject, identifier system and window")
	}
	return nil
}

// Identifiers searches [base]/Type by subject, identifier system and date,
// follows the result pages on this server, and returns the identifier
// values of the live resources in the window.
func (s *ServerSink) Identifiers(ctx context.Context, q Query) ([]string, error) {
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	params := url.Values{"subject": {q.Subject}, "identifier": {q.System + "|"}, "_count": {"1000"},
		"date": {"ge" + q.From.UTC().Format(time.RFC3339), "le" + q.To.UTC().Format(time.RFC3339)}}
	next := s.base + "/" + q.Type + "?" + params.Encode()
	var out []string
	for next != "" {
		resp, err := s.call(ctx, request{op: "search " + q.Type + " by subject and date", method: http.MethodGet, url: next})
		if err != nil {
			return nil, err
		}
		var page struct {
			Entry []struct{ Resource found }
			Link  []struct{ Relation, URL string }
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return nil, health.Wrap(health.KindInternal, err, "search "+q.Type+": decode searchset")
		}
		for _, e := range page.Entry {
			if v, ok := e.Resource.value(q); ok {
				out = append(out, v)
			}
		}
		next = ""
		for _, l := range page.Link {
			if l.Relation == "next" && strings.HasPrefix(l.URL, s.base+"/") {
				next = l.URL
			}
		}
	}
	return out, nil
}

// Identifiers reads every file of q.Type and returns the identifier values
// of the live resources in the window (one read per file, like
// MarkEnteredInError).
func (d *DirSink) Identifiers(ctx context.Context, q Query) ([]string, error) {
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(d.dir, q.Type, "*.json"))
	if err != nil {
		return nil, health.Wrap(health.KindInternal, err, "list "+q.Type+" files")
	}
	var out []string
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, health.Wrap(health.KindTransient, err, "find: abandoned by the caller")
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, health.Wrap(health.KindUnavailable, err, "read "+q.Type+" file")
		}
		var f found
		if json.Unmarshal(raw, &f) == nil {
			if v, ok := f.value(q); ok {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
