package fitbittest

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// filterError is a filter the API refuses with 400 INVALID_ARGUMENT: the
// detailed reason of §7.2 and a field-violation description.
type filterError struct {
	detailed, description string
}

func (e *filterError) Error() string { return e.detailed + ": " + e.description }

// window is a parsed filter: bounds on the physical or the civil time key.
type window struct {
	civil  bool
	lo, hi *time.Time // lo inclusive, hi exclusive
}

// contains reports whether p lies in the window.
func (w window) contains(p *point) bool {
	k := p.key
	if w.civil {
		k = p.civil
	}
	return (w.lo == nil || !k.Before(*w.lo)) && (w.hi == nil || k.Before(*w.hi))
}

// member is a filterable field of a data type.
type member struct {
	civil   bool
	dayOnly bool // {t}.date takes YYYY-MM-DD only
	lowOnly bool // electrocardiogram takes no upper bound
}

// members returns the filter members of t (§3.5), keyed by full name.
func members(t typeSpec) map[string]member {
	p := strings.ReplaceAll(t.id, "-", "_")
	switch t.shape {
	case shapeSample:
		return map[string]member{p + ".sample_time.physical_time": {}, p + ".sample_time.civil_time": {civil: true}}
	case shapeInterval:
		return map[string]member{p + ".interval.start_time": {}, p + ".interval.civil_start_time": {civil: true}}
	case shapeDaily:
		return map[string]member{p + ".date": {civil: true, dayOnly: true}}
	case shapeSleep:
		return map[string]member{p + ".interval.end_time": {}, p + ".interval.civil_end_time": {civil: true}}
	case shapeECG:
		return map[string]member{p + ".interval.start_time": {lowOnly: true}}
	}
	return nil
}

// parseFilter parses the AIP-160 subset of §3.5 for data type t: one or
// more `member op "value"` restrictions joined by AND, op being >= or <.
// An empty filter selects everything.
func parseFilter(t typeSpec, src string) (window, error) {
	var w window
	toks, err := lex(src)
	if err != nil {
		return w, err
	}
	allowed := members(t)
	kinds := map[bool]bool{}
	for i := 0; i < len(toks); {
		if i > 0 {
			switch toks[i] {
			case "AND":
				i++
			case "OR":
				return w, &filterError{"INVALID_DATA_POINT_FILTER_EXPRESSION_STRUCTURE", "OR is not supported here."}
			default:
				return w, &filterError{"INVALID_DATA_POINT_FILTER_UNEXPECTED_TOKEN", fmt.Sprintf("Unexpected token at position %d.", i)}
			}
		}
		if i+3 > len(toks) {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_UNEXPECTED_END_OF_INPUT", "Unexpected end of input."}
		}
		name, op, val := toks[i], toks[i+1], toks[i+2]
		i += 3
		m, ok := allowed[name]
		if !ok {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER", fmt.Sprintf("Member '%s' is not supported for filtering.", name)}
		}
		if op != ">=" && op != "<" {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARATOR", fmt.Sprintf("Comparator '%s' is not supported.", op)}
		}
		if m.lowOnly && op != ">=" {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_DATA_TYPE_RESTRICTION", fmt.Sprintf("Member '%s' only supports '>='.", name)}
		}
		if !strings.HasPrefix(val, `"`) {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE", "Restriction value must be a quoted string."}
		}
		v, ok := parseBound(strings.Trim(val, `"`), m)
		if !ok {
			return w, &filterError{"INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE", fmt.Sprintf("Value for '%s' is not a valid time.", name)}
		}
		kinds[m.civil] = true
		w.civil = m.civil
		if op == ">=" && (w.lo == nil || v.After(*w.lo)) {
			w.lo = &v
		}
		if op == "<" && (w.hi == nil || v.Before(*w.hi)) {
			w.hi = &v
		}
	}
	if len(kinds) > 1 {
		return w, &filterError{"INVALID_DATA_POINT_FILTER_MIXED_TIME_RESTRICTIONS", "Physical and civil time restrictions cannot be mixed."}
	}
	if w.lo != nil && w.hi != nil && !w.hi.After(*w.lo) {
		return w, &filterError{"INVALID_TIME_RANGE", "Query end time must be strictly larger than start time."}
	}
	return w, nil
}

// parseBound reads a physical RFC 3339 instant, or a civil date or date-time
// without zone (as UTC).
func parseBound(s string, m member) (time.Time, bool) {
	if !m.civil {
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if m.dayOnly {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02T15:04:05", s)
	return t, err == nil
}

// lex splits a filter into members, operators, quoted strings and
// keywords.
func lex(src string) ([]string, error) {
	var toks []string
	rs := []rune(src)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			if j == len(rs) {
				return nil, &filterError{"INVALID_DATA_POINT_FILTER_SYNTAX", "Unterminated string."}
			}
			toks = append(toks, string(rs[i:j+1]))
			i = j + 1
		case c == '>' || c == '<' || c == '=' || c == '!':
			j := i + 1
			if j < len(rs) && rs[j] == '=' {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		case c == '_' || c == '.' || c == '-' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == '.' || rs[j] == '-' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		default:
			return nil, &filterError{"INVALID_DATA_POINT_FILTER_SYNTAX", fmt.Sprintf("Unexpected character at position %d.", i)}
		}
	}
	return toks, nil
}
