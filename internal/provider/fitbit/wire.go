package fitbit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ohx-health/ohx/internal/health"
)

// The scalar wire types below decode proto3 JSON as the Google Health API
// sends it (reference §3.8): int64 fields arrive as JSON strings, doubles as
// numbers, durations as "<seconds>s" strings, timestamps as RFC 3339 text,
// and zero values are left out. Each type also accepts the other
// representation (an int64 as a number, a double as a numeric string),
// because proto3 JSON parsers must. Their UnmarshalJSON methods report
// failures as *json.UnmarshalTypeError naming only the JSON kind they met,
// so that encoding/json adds the field path and no value reaches an error.

// Int64 is an int64 field: a JSON string of digits or a JSON integer. Set is
// false for an absent field, null and "".
type Int64 struct {
	V   int64
	Set bool
}

// UnmarshalJSON accepts a string or number holding a whole number.
func (n *Int64) UnmarshalJSON(data []byte) error {
	*n = Int64{}
	text, kind, err := scalarText(data, reflect.TypeFor[int64]())
	if err != nil || text == "" {
		return err
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		*n = Int64{V: v, Set: true}
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return typeError(kind, reflect.TypeFor[int64]())
	}
	*n = Int64{V: int64(f), Set: true}
	return nil
}

// Float is a double field: a finite JSON number or a numeric string. Set is
// false for an absent field, null and "".
type Float struct {
	V   float64
	Set bool
}

// UnmarshalJSON accepts a finite number or a string holding one; "NaN" and
// "Infinity", which proto3 JSON allows as strings, are rejected because no
// health value is infinite.
func (f *Float) UnmarshalJSON(data []byte) error {
	*f = Float{}
	text, kind, err := scalarText(data, reflect.TypeFor[float64]())
	if err != nil || text == "" {
		return err
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return typeError(kind, reflect.TypeFor[float64]())
	}
	*f = Float{V: v, Set: true}
	return nil
}

// Text is a string field (names, enums). A number or boolean is kept as its
// literal text and null reads as "", so an enum sent as its number still
// decodes; objects and arrays are errors.
type Text string

// UnmarshalJSON accepts a string, number, boolean or null.
func (s *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch kind := jsonKind(data); kind {
	case "null":
		*s = ""
	case "string":
		v, err := unquote(data)
		if err != nil {
			return err
		}
		*s = Text(strings.TrimSpace(v))
	case "number", "bool":
		*s = Text(data)
	default:
		return typeError(kind, reflect.TypeFor[string]())
	}
	return nil
}

// Duration is a google.protobuf.Duration: "32400s", "-14400s", "1303.5s".
// Set is false for an absent field, null and "".
type Duration struct {
	V   time.Duration
	Set bool
}

// UnmarshalJSON accepts a duration string ending in "s" (other Go duration
// units are tolerated) and null.
func (d *Duration) UnmarshalJSON(data []byte) error {
	*d = Duration{}
	data = bytes.TrimSpace(data)
	kind := jsonKind(data)
	if kind == "null" {
		return nil
	}
	var text Text
	if kind != "string" || text.UnmarshalJSON(data) != nil {
		return typeError(kind, reflect.TypeFor[time.Duration]())
	}
	if text == "" {
		return nil
	}
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return typeError(kind, reflect.TypeFor[time.Duration]())
	}
	*d = Duration{V: v, Set: true}
	return nil
}

// minYear and maxYear bound the timestamps ohx accepts. No wearable data
// predates 1900, and within the range every span fits a time.Duration, so
// session lengths cannot overflow; the zero time.Time (year 1) is out.
const (
	minYear = 1900
	maxYear = 2100
)

// Timestamp is a google.protobuf.Timestamp: RFC 3339 text, normally in UTC
// with "Z" and optional fractional seconds. Set is false for an absent
// field, null and "".
type Timestamp struct {
	V   time.Time
	Set bool
}

// UnmarshalJSON accepts an RFC 3339 string and null.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	*t = Timestamp{}
	data = bytes.TrimSpace(data)
	kind := jsonKind(data)
	if kind == "null" {
		return nil
	}
	var text Text
	if kind != "string" || text.UnmarshalJSON(data) != nil {
		return typeError(kind, reflect.TypeFor[time.Time]())
	}
	if text == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, string(text))
	if err != nil || v.Year() < minYear || v.Year() > maxYear {
		return typeError(kind, reflect.TypeFor[time.Time]())
	}
	*t = Timestamp{V: v.UTC(), Set: true}
	return nil
}

// scalarText returns the text of a JSON number or of a string holding one,
// with "" for null and the empty string, and the JSON kind for error reports;
// t is the Go type named when the value is neither.
func scalarText(data []byte, t reflect.Type) (text, kind string, err error) {
	data = bytes.TrimSpace(data)
	kind = jsonKind(data)
	switch kind {
	case "null":
		return "", kind, nil
	case "number":
		return string(data), kind, nil
	case "string":
		v, err := unquote(data)
		if err != nil {
			return "", kind, typeError(kind, t)
		}
		return strings.TrimSpace(v), kind, nil
	}
	return "", kind, typeError(kind, t)
}

// unquote returns the text of a JSON string literal. Almost every string the
// API sends (names, enums, times, int64 digits) has no escapes and is valid
// UTF-8, so it is sliced out directly; the rest go through encoding/json.
func unquote(data []byte) (string, error) {
	if n := len(data); n >= 2 && data[n-1] == '"' {
		inner := data[1 : n-1]
		if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return "", typeError("string", reflect.TypeFor[string]())
	}
	return v, nil
}

// jsonKind names the kind of a JSON value from its first byte.
func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "empty"
	}
	switch c := data[0]; {
	case c == 'n':
		return "null"
	case c == 't' || c == 'f':
		return "bool"
	case c == '"':
		return "string"
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	default:
		return "a non-JSON value"
	}
}

// typeError reports a JSON value of the wrong kind. Value holds the kind,
// never the literal, because the literal may be a health value.
func typeError(kind string, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: kind, Type: t}
}

// decodeObject decodes a response body, which must be one JSON object, into
// v, reporting failures as KindBadProvider errors.
func decodeObject(source string, data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return health.Errorf(health.KindBadProvider, "fitbit %s: empty response body", source)
	}
	if data[0] != '{' {
		return health.Errorf(health.KindBadProvider,
			"fitbit %s: response body is not a JSON object (found %s)", source, jsonKind(data))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(source, data, err)
	}
	return nil
}

// jsonError turns an encoding/json failure into a KindBadProvider error that
// names the field and byte offset but never the offending literal: the
// standard library's own messages quote numbers, which may be health values.
func jsonError(source string, data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax) && syntax.Offset >= int64(len(bytes.TrimSpace(data))):
		return health.Errorf(health.KindBadProvider, "fitbit %s: truncated JSON", source)
	case errors.As(err, &syntax):
		return health.Errorf(health.KindBadProvider,
			"fitbit %s: invalid JSON at byte %d", source, syntax.Offset)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ")
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		msg := fmt.Sprintf("fitbit %s: field %s: cannot read a JSON %s as %s", source, field, kind, typ.Type)
		if typ.Offset > 0 {
			msg += fmt.Sprintf(" (byte %d)", typ.Offset)
		}
		return health.Errorf(health.KindBadProvider, "%s", msg)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return health.Errorf(health.KindBadProvider, "fitbit %s: truncated JSON", source)
	}
	return health.Errorf(health.KindBadProvider, "fitbit %s: malformed JSON", source)
}
