package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// enteredInError is the status code both Observation and Device use, and
// the DeviceAssociation status code of the same name.
const enteredInError = "entered-in-error"

// object is a JSON object that keeps its members in order, so a resource
// rewritten with a new status reads like the one ohx wrote.
type object []member

type member struct {
	key   string
	value json.RawMessage
}

func parseObject(raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var o object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o = append(o, member{key, v})
	}
	return o, nil
}

func (o object) get(key string) json.RawMessage {
	for _, m := range o {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// matches reports whether the resource carries m's identifier and, when m
// names one, its subject. ohx checks this itself rather than trusting the
// search: a server that ignores an unknown parameter would return
// everything, and everything would be marked.
func (o object) matches(m Match) bool {
	var ids []struct{ System, Value string }
	_ = json.Unmarshal(o.get("identifier"), &ids)
	found := false
	for _, id := range ids {
		found = found || id.System+"|"+id.Value == m.Identifier
	}
	if !found || m.Subject == "" {
		return found
	}
	var subj struct{ Reference string }
	_ = json.Unmarshal(o.get("subject"), &subj)
	return subj.Reference == m.Subject || strings.HasSuffix(subj.Reference, "/"+m.Subject)
}

// markEnteredInError sets the status to entered-in-error and reports
// whether it changed anything. DeviceAssociation's status is a
// CodeableConcept; the other resources ohx writes have a code.
func (o object) markEnteredInError(resourceType string) bool {
	value := json.RawMessage(`"` + enteredInError + `"`)
	if resourceType == "DeviceAssociation" {
		value = json.RawMessage(`{"coding":[{"system":"http://hl7.org/fhir/deviceassociation-status","code":"entered-in-error","display":"Entered in Error"}]}`)
	}
	for i, m := range o {
		if m.key == "status" {
			if bytes.Contains(m.value, []byte(`"`+enteredInError+`"`)) {
				return false
			}
			o[i].value = value
			return true
		}
	}
	return false
}

// checkMatch refuses a Match that cannot name resources safely.
func checkMatch(m Match) error {
	if !validName(m.Type) || !strings.Contains(m.Identifier, "|") || strings.HasPrefix(m.Identifier, "|") {
		return health.Errorf(health.KindInvalid, "mark entered-in-error: want a resource type and an identifier system|value")
	}
	return nil
}

// MarkEnteredInError searches [base]/Type?identifier=system|value (and
// subject), follows the result pages, and PUTs each match back with status
// entered-in-error and If-Match on the version it read, so a concurrent
// change makes the PUT fail (KindTransient) rather than be overwritten.
func (s *ServerSink) MarkEnteredInError(ctx context.Context, m Match) (int, error) {
	if err := checkMatch(m); err != nil {
		return 0, err
	}
	q := url.Values{"identifier": {m.Identifier}, "_count": {"100"}}
	if m.Subject != "" {
		q.Set("subject", m.Subject)
	}
	next, changed := s.base+"/"+m.Type+"?"+q.Encode(), 0
	for next != "" {
		resp, err := s.call(ctx, request{op: "search " + m.Type + " by identifier", method: http.MethodGet, url: next})
		if err != nil {
			return changed, err
		}
		var page struct {
			Entry []struct{ Resource json.RawMessage }
			Link  []struct{ Relation, URL string }
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return changed, health.Wrap(health.KindInternal, err, "search "+m.Type+": decode searchset")
		}
		for _, e := range page.Entry {
			n, err := s.retire(ctx, m, e.Resource)
			changed += n
			if err != nil {
				return changed, err
			}
		}
		next = ""
		for _, l := range page.Link {
			if l.Relation == "next" && strings.HasPrefix(l.URL, s.base+"/") {
				next = l.URL // never follow a link off the server: it would get the token
			}
		}
	}
	return changed, nil
}

// retire marks one search result, if it is a match and not yet marked.
func (s *ServerSink) retire(ctx context.Context, m Match, raw json.RawMessage) (int, error) {
	o, err := parseObject(raw)
	if err != nil || !o.matches(m) {
		return 0, nil
	}
	var head struct {
		ResourceType, ID string
		Meta             struct{ VersionID string }
	}
	_ = json.Unmarshal(raw, &head)
	if head.ResourceType != m.Type || !validID(head.ID) || !o.markEnteredInError(m.Type) {
		return 0, nil
	}
	body, _ := o.MarshalJSON()
	h := http.Header{}
	if head.Meta.VersionID != "" {
		h.Set("If-Match", `W/"`+head.Meta.VersionID+`"`)
	}
	_, err = s.call(ctx, request{op: "mark " + m.Type + " entered-in-error", method: http.MethodPut,
		url: s.base + "/" + m.Type + "/" + head.ID, header: h, body: body})
	if err != nil {
		return 0, err
	}
	return 1, nil
}
