package fitbit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Notification is one interval of one Google Health webhook notification
// (reference §6.3): the user and data type it is about, whether data was
// deleted, and the instants the change covers. A notification with several
// intervals yields one Notification per interval; one without intervals (or
// whose intervals carry no readable time) yields one with zero Start and End.
//
// Notifications carry no health values: the data must be fetched.
type Notification struct {
	HealthUserID, DataType string
	// Delete is true for operation DELETE; every other operation (UPSERT,
	// or the "UPDATE" seen in the wild) is an upsert.
	Delete bool
	// Start and End bound the change in UTC; End == Start when Google sent
	// only a start. Both are zero when no interval was given.
	Start, End time.Time
}

// MaxNotifications bounds the elements of one batch. Google is reported to
// batch up to 99 per POST; more than 1000 is refused as malformed.
const MaxNotifications = 1000

// CivilSlack is how far a civil time without a UTC offset is widened on
// each side: civil times are the user's local wall-clock times, whose zone
// the notification does not say, and UTC offsets span −12 h to +14 h. ohx
// reads such a time as if it were UTC and widens the interval by CivilSlack
// on both sides, so that no user-local data is missed whatever the user's
// zone (the extra fetch is harmless: publishing is idempotent).
const CivilSlack = 14 * time.Hour

// maxUserID bounds healthUserId (documented as 1–63 characters, §2.5; a
// little slack for future formats).
const maxUserID = 128

// ParseNotifications reads a webhook request body: the verification request
// {"type":"verification"} (verification true, no notes), one notification
// object {"data":{…}}, or a JSON array of them (at most MaxNotifications).
// It is lenient as §6.3 advises: version is ignored, every interval
// representation is optional, physicalTimeInterval is preferred and the
// civil ones (civilDateTimeInterval, then civilIso8601TimeInterval as an
// object or an "a/b" string) are the fallback, read as UTC and widened by
// CivilSlack when they carry no offset. An element that is itself the data
// object (no "data" wrapper) is accepted too.
//
// Errors are *health.Error of KindInvalid naming the element and field at
// fault; they never repeat a value of the body.
func ParseNotifications(body []byte) (verification bool, notes []Notification, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return false, nil, invalid("notification body is empty")
	}
	if !json.Valid(body) {
		return false, nil, invalid("notification body is not valid JSON")
	}
	switch body[0] {
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			return false, nil, invalid("notification batch is not a JSON array")
		}
		if len(elems) > MaxNotifications {
			return false, nil, invalid("notification batch has %d elements, more than %d", len(elems), MaxNotifications)
		}
		for i, e := range elems {
			var w wireElement
			if err := decodeElement(e, &w); err != nil {
				return false, nil, invalid("notification [%d]: %s", i, err)
			}
			if w.Data == nil {
				return false, nil, invalid("notification [%d]: data is missing", i)
			}
			ns, err := w.Data.notifications()
			if err != nil {
				return false, nil, invalid("notification [%d]: %s", i, err)
			}
			notes = append(notes, ns...)
		}
		return false, notes, nil
	case '{':
		var w wireElement
		if err := decodeElement(body, &w); err != nil {
			return false, nil, invalid("notification: %s", err)
		}
		if w.Data == nil {
			if strings.EqualFold(w.Type, "verification") {
				return true, nil, nil
			}
			return false, nil, invalid("notification: neither data nor type verification is present")
		}
		ns, err := w.Data.notifications()
		if err != nil {
			return false, nil, invalid("notification: %s", err)
		}
		return false, ns, nil
	}
	return false, nil, invalid("notification body is neither a JSON object nor an array")
}

func invalid(format string, args ...any) error {
	return health.Errorf(health.KindInvalid, "fitbit: "+format, args...)
}

// wireElement is one element of a batch, or the whole single-object body.
type wireElement struct {
	Type string    `json:"type"`
	Data *wireData `json:"data"`
}

// wireData is a notification's "data". version and
// clientProvidedSubscriptionName are not read.
type wireData struct {
	HealthUserID json.RawMessage `json:"healthUserId"`
	Operation    string          `json:"operation"`
	DataType     string          `json:"dataType"`
	Intervals    []wireInterval  `json:"intervals"`
}

type wireInterval struct {
	Physical *struct {
		StartTime string `json:"startTime"`
		EndTime   string `json:"endTime"`
	} `json:"physicalTimeInterval"`
	CivilDateTime *struct {
		StartDateTime *notifCivil `json:"startDateTime"`
		EndDateTime   *notifCivil `json:"endDateTime"`
	} `json:"civilDateTimeInterval"`
	// CivilISO is an object {startTime, endTime} or a string "a/b".
	CivilISO json.RawMessage `json:"civilIso8601TimeInterval"`
}

// notifCivil is a google.type.Date with an optional TimeOfDay.
type notifCivil struct {
	Date *struct {
		Year  notifInt `json:"year"`
		Month notifInt `json:"month"`
		Day   notifInt `json:"day"`
	} `json:"date"`
	Time *struct {
		Hours   notifInt `json:"hours"`
		Minutes notifInt `json:"minutes"`
		Seconds notifInt `json:"seconds"`
		Nanos   notifInt `json:"nanos"`
	} `json:"time"`
}

// notifInt is an integer sent as a JSON number or a decimal string.
type notifInt int64

func (f *notifInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	*f = notifInt(n)
	return nil
}

// decodeElement decodes one object, turning decoder errors into messages
// that name the field but never the value.
func decodeElement(b []byte, w *wireElement) error {
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := json.Unmarshal(b, w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s has the wrong JSON type", te.Field)
		}
		return errors.New("malformed notification object")
	}
	if w.Data == nil {
		// Lenient: an element that is the data object itself.
		var d wireData
		if json.Unmarshal(b, &d) == nil && len(d.HealthUserID) > 0 && d.DataType != "" {
			w.Data = &d
		}
	}
	return nil
}

// notifications validates d and expands it into one Notification per
// interval.
func (d *wireData) notifications() ([]Notification, error) {
	user, err := userID(d.HealthUserID)
	if err != nil {
		return nil, err
	}
	if d.DataType == "" {
		return nil, errors.New("data.dataType is missing")
	}
	if len(d.DataType) > 64 {
		return nil, errors.New("data.dataType is too long")
	}
	base := Notification{HealthUserID: user, DataType: kebab(d.DataType),
		Delete: strings.EqualFold(strings.TrimSpace(d.Operation), "DELETE")}
	if len(d.Intervals) == 0 {
		return []Notification{base}, nil
	}
	out := make([]Notification, 0, len(d.Intervals))
	for i, iv := range d.Intervals {
		n := base
		n.Start, n.End, err = iv.window()
		if err != nil {
			return nil, fmt.Errorf("data.intervals[%d].%s", i, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// kebab returns a data type in the kebab-case of paths and webhooks
// ("heart-rate"), from that or, leniently, camelCase or SNAKE_CASE.
func kebab(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range strings.TrimSpace(s) {
		lower := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		switch {
		case r == '_' || r == ' ':
			r = '-'
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
		prevLower = lower
	}
	return b.String()
}

// userID reads healthUserId, a string (or, leniently, a JSON integer).
func userID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("data.healthUserId is missing")
	}
	var s string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return "", errors.New("data.healthUserId is malformed")
		}
	} else {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", errors.New("data.healthUserId is neither a string nor a number")
		}
		if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
			return "", errors.New("data.healthUserId is not an integer")
		}
		s = n.String()
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errors.New("data.healthUserId is empty")
	case len(s) > maxUserID:
		return "", errors.New("data.healthUserId is too long")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return "", errors.New("data.healthUserId has characters other than printable ASCII")
		}
	}
	return s, nil
}

// window returns the interval's instants from the first representation
// that has a time: physical, then civil date-time, then civil ISO 8601.
// A representation present but unreadable is an error naming it.
func (iv wireInterval) window() (start, end time.Time, err error) {
	if p := iv.Physical; p != nil && (p.StartTime != "" || p.EndTime != "") {
		start, err = physicalTime(p.StartTime)
		if err != nil {
			return start, end, errors.New("physicalTimeInterval.startTime is not a valid time")
		}
		end, err = physicalTime(p.EndTime)
		if err != nil {
			return start, end, errors.New("physicalTimeInterval.endTime is not a valid time")
		}
		start, end = ordered(start, end, 0)
		return start, end, nil
	}
	if c := iv.CivilDateTime; c != nil && (c.StartDateTime != nil || c.EndDateTime != nil) {
		start, err = c.StartDateTime.instant()
		if err != nil {
			return start, end, errors.New("civilDateTimeInterval.startDateTime " + err.Error())
		}
		end, err = c.EndDateTime.instant()
		if err != nil {
			return start, end, errors.New("civilDateTimeInterval.endDateTime " + err.Error())
		}
		start, end = ordered(start, end, CivilSlack)
		return start, end, nil
	}
	if len(iv.CivilISO) > 0 && string(iv.CivilISO) != "null" {
		return civilISO(iv.CivilISO)
	}
	return time.Time{}, time.Time{}, nil
}

// physicalTime parses an RFC 3339 instant; "" is the zero time. A time
// without an offset is read as UTC (physical times are UTC).
func physicalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, _, err := civilTime(s, false)
	return t, err
}

// civilLayouts are the zone-less ISO 8601 forms accepted for civil times.
var civilLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// civilTime parses an ISO 8601 local date-time or date as UTC, or an
// RFC 3339 time with its offset (zoned true). For a date alone at an
// interval's end, endOfDay moves it to the next midnight, so the whole day
// is covered.
func civilTime(s string, endOfDay bool) (t time.Time, zoned bool, err error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true, nil
	}
	for _, layout := range civilLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "2006-01-02" && endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			return t, false, nil
		}
	}
	return time.Time{}, false, errors.New("not a valid time")
}

// instant reads a civil date-time as UTC; nil is the zero time.
func (c *notifCivil) instant() (time.Time, error) {
	if c == nil {
		return time.Time{}, nil
	}
	if c.Date == nil {
		return time.Time{}, errors.New("has no date")
	}
	y, mo, d := c.Date.Year, c.Date.Month, c.Date.Day
	if y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, errors.New("has an invalid date")
	}
	var h, mi, s, ns notifInt
	if c.Time != nil {
		h, mi, s, ns = c.Time.Hours, c.Time.Minutes, c.Time.Seconds, c.Time.Nanos
		if h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 || ns < 0 || ns > 999_999_999 {
			return time.Time{}, errors.New("has an invalid time of day")
		}
	}
	return time.Date(int(y), time.Month(mo), int(d), int(h), int(mi), int(s), int(ns), time.UTC), nil
}

// civilISO reads civilIso8601TimeInterval, an object {startTime, endTime}
// or a string "start/end".
func civilISO(raw json.RawMessage) (start, end time.Time, err error) {
	const field = "civilIso8601TimeInterval"
	var a, b string
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return start, end, errors.New(field + " is malformed")
		}
		var ok bool
		if a, b, ok = strings.Cut(s, "/"); !ok {
			b = ""
		}
	case '{':
		var o struct {
			StartTime string `json:"startTime"`
			EndTime   string `json:"endTime"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return start, end, errors.New(field + " has the wrong JSON type")
		}
		a, b = o.StartTime, o.EndTime
	default:
		return start, end, errors.New(field + " is neither an object nor a string")
	}
	zonedA, zonedB := true, true
	if a != "" {
		if start, zonedA, err = civilTime(a, false); err != nil {
			return start, end, errors.New(field + " start is not a valid time")
		}
	}
	if b != "" {
		if end, zonedB, err = civilTime(b, true); err != nil {
			return start, end, errors.New(field + " end is not a valid time")
		}
	} else if a != "" && !zonedA && len(strings.TrimSpace(a)) == len("2006-01-02") {
		end = start.AddDate(0, 0, 1) // a lone date covers its day
	}
	slack := time.Duration(0)
	if !zonedA || !zonedB {
		slack = CivilSlack
	}
	start, end = ordered(start, end, slack)
	return start, end, nil
}

// ordered fills a missing bound from the other, swaps reversed bounds and
// widens by slack; zero in, zero out.
func ordered(start, end time.Time, slack time.Duration) (time.Time, time.Time) {
	switch {
	case start.IsZero() && end.IsZero():
		return start, end
	case start.IsZero():
		start = end
	case end.IsZero():
		end = start
	}
	if end.Before(start) {
		start, end = end, start
	}
	return start.Add(-slack), end.Add(slack)
}
