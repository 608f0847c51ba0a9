package withings

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
	"unicode/utf8"

	"github.com/ohx-health/ohx/internal/health"
)

// The wire types below decode what Withings actually sends rather than what
// its documentation promises: the same field arrives as a number in one
// response and as a string in another, and null wherever a value is missing.
// Their UnmarshalJSON methods report failures as *json.UnmarshalTypeError
// naming only the JSON kind they met, so that encoding/json adds the field
// path and no value ever reaches an error message.

// FlexInt is an integer that Withings may send as a JSON number, as a string
// of digits, or as null. Set is false for null and for an absent field.
type FlexInt struct {
	V   int64
	Set bool
}

// UnmarshalJSON accepts a number with no fractional part, a numeric string,
// an empty string or null.
func (n *FlexInt) UnmarshalJSON(data []byte) error {
	if v, ok := parseSmallInt(data); ok {
		*n = FlexInt{V: v, Set: true}
		return nil
	}
	*n = FlexInt{}
	text, kind, err := scalarText(data)
	if err != nil || text == "" {
		return err
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		*n = FlexInt{V: v, Set: true}
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return typeError(kind, reflect.TypeFor[int64]())
	}
	*n = FlexInt{V: int64(f), Set: true}
	return nil
}

// parseSmallInt parses a plain JSON integer of up to 18 digits without
// allocating; it reports false for anything else, which the caller then
// parses the slow way. Nearly every number Withings sends takes this path.
func parseSmallInt(data []byte) (int64, bool) {
	neg := len(data) > 0 && data[0] == '-'
	if neg {
		data = data[1:]
	}
	if len(data) == 0 || len(data) > 18 || (data[0] == '0' && len(data) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range data {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// FlexFloat is a number that Withings may send as a JSON number, as a
// numeric string, or as null. Set is false for null and for an absent field.
type FlexFloat struct {
	V   float64
	Set bool
}

// UnmarshalJSON accepts a finite number, a numeric string, an empty string or
// null. strconv.ParseFloat rounds the decimal literal to the nearest float64,
// so 1028.559 on the wire prints back as 1028.559.
func (f *FlexFloat) UnmarshalJSON(data []byte) error {
	*f = FlexFloat{}
	text, kind, err := scalarText(data)
	if err != nil || text == "" {
		return err
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return typeError(kind, reflect.TypeFor[float64]())
	}
	*f = FlexFloat{V: v, Set: true}
	return nil
}

// FlexString is text that Withings may send as a JSON string, as a number
// (model is an int in one endpoint and a name in another; userid is either),
// or as null, which reads as "".
type FlexString string

// UnmarshalJSON accepts a string, a number (kept as its literal text), a
// boolean (kept as "true"/"false") or null.
func (s *FlexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return typeError("empty", reflect.TypeFor[string]())
	}
	switch data[0] {
	case 'n':
		*s = ""
		return nil
	case '"':
		v, err := unquote(data)
		if err != nil {
			return err
		}
		*s = FlexString(v)
		return nil
	case '{', '[':
		return typeError(jsonKind(data), reflect.TypeFor[string]())
	}
	*s = FlexString(data)
	return nil
}

// FlexBool is a flag that Withings sends as a JSON boolean or as 0/1 (the
// `more` pagination field is documented as an integer and arrives as both).
type FlexBool bool

// UnmarshalJSON accepts true, false, null, a number (non-zero is true) or
// the same as a string.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch string(data) {
	case "true", `"true"`:
		*b = true
		return nil
	case "false", `"false"`, "null", `""`:
		*b = false
		return nil
	}
	var n FlexInt
	if err := n.UnmarshalJSON(data); err != nil {
		return typeError(jsonKind(data), reflect.TypeFor[bool]())
	}
	*b = n.V != 0
	return nil
}

// scalarText returns the text of a JSON number or of a string holding one,
// with "" for null and the empty string, and the JSON kind for error reports.
func scalarText(data []byte) (text, kind string, err error) {
	data = bytes.TrimSpace(data)
	kind = jsonKind(data)
	switch kind {
	case "null":
		return "", kind, nil
	case "number":
		return string(data), kind, nil
	case "string":
		v, err := unquote(data)
		return strings.TrimSpace(v), kind, err
	}
	return "", kind, typeError(kind, reflect.TypeFor[float64]())
}

// unquote returns the text of a JSON string literal. Most Withings strings
// (ids, model names, dates) have no escapes and valid UTF-8, so they are
// sliced out directly; the rest go through encoding/json.
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

// envelope is the shape of every Withings response: status 0 and a body on
// success, a non-zero status and a free-form error text otherwise, both with
// HTTP 200. Body points at the page being decoded, so that a full envelope
// is decoded in one pass.
type envelope[P any] struct {
	Status *FlexInt `json:"status"`
	Body   *P       `json:"body"`
}

// StatusError is the cause inside the *health.Error that the decoders
// return when a response envelope carries a non-zero status. The API client
// classifies such statuses itself (401 refresh, 601 back off, 2554/2555 and
// 5xx retry) before decoding; a decoder that meets one anyway reports
// health.KindBadProvider, and callers can recover the code with errors.As.
// The Withings error text is not kept: it is free-form and may echo input.
type StatusError struct {
	Status int
}

// Error names the status code.
func (e *StatusError) Error() string {
	return fmt.Sprintf("withings status %d", e.Status)
}

// statusKey is how a top-level envelope field starts. An inner body never
// has it at the top level, and almost never anywhere, so its absence lets
// the decoder skip the envelope pass.
const statusKey = `"status"`

// decodeBody decodes a response that is either the full envelope
// {"status":0,"body":{…}} or the inner body object itself into page.
func decodeBody[P any](source string, data []byte, page *P) error {
	data = bytes.TrimSpace(data)
	if err := checkObject(source, "response body", data); err != nil {
		return err
	}
	if bytes.Contains(data, []byte(statusKey)) {
		env := envelope[P]{Body: page}
		err := json.Unmarshal(data, &env)
		if env.Status != nil || err != nil {
			return envelopeResult(source, data, env.Status, err)
		}
		var zero P
		*page = zero // "status" was nested: data is the inner body
	}
	if err := json.Unmarshal(data, page); err != nil {
		return jsonError(source, err)
	}
	return nil
}

// envelopeResult reports the outcome of decoding an envelope: a non-zero
// status wins over a body that failed to decode, since error bodies need not
// have the success shape.
func envelopeResult(source string, data []byte, status *FlexInt, err error) error {
	if err != nil {
		var probe struct {
			Status FlexInt `json:"status"`
		}
		if json.Unmarshal(data, &probe) == nil && probe.Status.V != 0 {
			status = &probe.Status
		}
	}
	if status != nil && status.V != 0 {
		return health.Wrap(health.KindBadProvider, &StatusError{Status: int(status.V)},
			fmt.Sprintf("withings %s: response status %d", source, status.V))
	}
	if err != nil {
		return jsonError(source, err)
	}
	return nil
}

// checkObject reports an empty or non-object response.
func checkObject(source, what string, data []byte) error {
	if len(data) == 0 {
		return health.Errorf(health.KindBadProvider, "withings %s: empty %s", source, what)
	}
	if data[0] != '{' {
		return health.Errorf(health.KindBadProvider,
			"withings %s: %s is not a JSON object (found %s)", source, what, jsonKind(data))
	}
	return nil
}

// jsonError turns an encoding/json failure into a KindBadProvider error that
// names the field and byte offset but never the offending literal: the
// standard library's own messages quote numbers, which may be health values.
func jsonError(source string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return health.Errorf(health.KindBadProvider,
			"withings %s: invalid JSON at byte %d", source, syntax.Offset)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ")
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		msg := fmt.Sprintf("withings %s: field %s: cannot read a JSON %s as %s", source, field, kind, typ.Type)
		if typ.Offset > 0 {
			msg += fmt.Sprintf(" (byte %d)", typ.Offset)
		}
		return health.Errorf(health.KindBadProvider, "%s", msg)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return health.Errorf(health.KindBadProvider, "withings %s: truncated JSON", source)
	}
	return health.Errorf(health.KindBadProvider, "withings %s: malformed JSON", source)
}
