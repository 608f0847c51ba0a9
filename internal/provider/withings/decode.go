package withings

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// The response sources Decode understands, named after the Withings API
// action they come from. They are stable: `ohx convert --source` takes them
// and they are recorded as the provenance of published Bundles.
const (
	SourceGetmeas             = "getmeas"
	SourceGetactivity         = "getactivity"
	SourceGetintradayactivity = "getintradayactivity"
	SourceSleepGet            = "sleep-get"
	SourceSleepGetsummary     = "sleep-getsummary"
	SourceGetdevice           = "getdevice"
	SourceHeartList           = "heart-list"
)

// Sources returns the names Decode accepts, in a stable order.
func Sources() []string {
	return []string{
		SourceGetmeas, SourceGetactivity, SourceGetintradayactivity,
		SourceSleepGet, SourceSleepGetsummary, SourceGetdevice, SourceHeartList,
	}
}

// Decode turns one raw Withings response body into provider-neutral
// measurements and devices. source is one of Sources(); body is the full
// envelope {"status":0,"body":{…}} or only its inner body (for getmeas also
// the bare measuregrps array).
//
// A non-zero envelope status is returned as a *health.Error of kind
// health.KindBadProvider wrapping a *StatusError: the API client is expected
// to have handled 401, 601 and the retryable statuses before decoding, so a
// decoder that still sees one treats the response as unreadable. Every other
// failure is also KindBadProvider, with a message naming the source and the
// field or position, and never a health value.
func Decode(source string, body []byte) (health.Batch, error) {
	switch source {
	case SourceGetmeas:
		return decodeWith(body, DecodeMeasurePage, MeasurePage.Batch)
	case SourceGetactivity:
		return decodeWith(body, DecodeActivityPage, ActivityPage.Batch)
	case SourceGetintradayactivity:
		return decodeWith(body, DecodeIntradayPage, IntradayPage.Batch)
	case SourceSleepGet:
		return decodeWith(body, DecodeSleepPage, SleepPage.Batch)
	case SourceSleepGetsummary:
		return decodeWith(body, DecodeSleepSummaryPage, SleepSummaryPage.Batch)
	case SourceGetdevice:
		return decodeWith(body, DecodeDevicePage, DevicePage.Batch)
	case SourceHeartList:
		return decodeWith(body, DecodeHeartListPage, HeartListPage.Batch)
	}
	return health.Batch{}, health.Errorf(health.KindInvalid, "withings: unknown source %q", source)
}

// decodeWith decodes a page and converts it.
func decodeWith[P any](body []byte, decode func([]byte) (P, error), convert func(P) (health.Batch, error)) (health.Batch, error) {
	page, err := decode(body)
	if err != nil {
		return health.Batch{}, err
	}
	return convert(page)
}

// converter holds what one conversion accumulates: the batch, the records
// already emitted (Withings repeats groups and measures within one page),
// and the time zones loaded so far. It lives for one call only.
type converter struct {
	batch health.Batch
	seen  map[recordKey]bool
	zones map[string]*time.Location
}

// recordKey is the identity of one emitted measurement.
type recordKey struct {
	kind health.Kind
	id   string
}

// newConverter starts a batch for source.
func newConverter(source string) *converter {
	return &converter{
		batch: health.Batch{Provider: health.ProviderWithings, Source: source},
		seen:  map[recordKey]bool{},
		zones: map[string]*time.Location{},
	}
}

// reserve makes room for n more measurements and their identities, so a
// large page does not regrow the batch repeatedly.
func (c *converter) reserve(n int) {
	c.batch.Measurements = slices.Grow(c.batch.Measurements, n)
	if len(c.seen) == 0 {
		c.seen = make(map[recordKey]bool, n)
	}
}

// add appends m unless a measurement with the same kind and record id was
// already added; the first one wins. It fills in the provider.
func (c *converter) add(m health.Measurement) {
	k := recordKey{m.Kind, m.RecordID}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	m.Provider = health.ProviderWithings
	c.batch.Measurements = append(c.batch.Measurements, m)
}

// zone loads an IANA time zone once per conversion. It returns nil for an
// empty or unknown name: times then stay in UTC and no zone is claimed,
// because a wrong offset is worse than none.
func (c *converter) zone(name FlexString) *time.Location {
	n := string(name)
	if n == "" {
		return nil
	}
	if loc, ok := c.zones[n]; ok {
		return loc
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		loc = nil
	}
	c.zones[n] = loc
	return loc
}

// zoneName returns the name of loc when it was loaded from a name, "" for
// nil.
func zoneName(loc *time.Location) string {
	if loc == nil {
		return ""
	}
	return loc.String()
}

// unixIn returns the unix time sec in loc, or in UTC when loc is nil.
func unixIn(sec int64, loc *time.Location) time.Time {
	t := time.Unix(sec, 0)
	if loc == nil {
		return t.UTC()
	}
	return t.In(loc)
}

// optTime returns the unix time n in loc, or the zero time when n is unset
// or zero.
func optTime(n FlexInt, loc *time.Location) time.Time {
	if !n.Set || n.V == 0 {
		return time.Time{}
	}
	return unixIn(n.V, loc)
}

// maxExponent bounds the decimal exponents scaleValue accepts: powers of ten
// up to 10^22 are exact in float64, so within it the result is the float64
// nearest to the exact decimal.
const maxExponent = 22

// scaleValue returns value × 10^exp as the float64 nearest to the exact
// decimal: 7230 with exp -2 gives 72.3, not 72.30000000000001. Dividing by
// an exact power of ten rounds once, where multiplying by 10^-2 would round
// twice. It reports false when exp is out of range.
func scaleValue(value int64, exp int) (float64, bool) {
	if exp < -maxExponent || exp > maxExponent {
		return 0, false
	}
	if exp >= 0 {
		return float64(value) * math.Pow10(exp), true
	}
	return float64(value) / math.Pow10(-exp), true
}

// roundTo rounds v to the given number of decimals, for values Withings
// sends as fractions that ohx scales (0.86 sleep efficiency becomes 86 %,
// not 86.00000000000001).
func roundTo(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	r := math.Round(v*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return v
	}
	return r
}

// itoa formats an int64 record id.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
