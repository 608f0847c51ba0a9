package fitbit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// SourcePairedDevices is the source name of a users.pairedDevices.list
// response. Every other source is a Google Health API data type id.
const SourcePairedDevices = "paired-devices"

// SourceTotalCalories is the one data type read from a rollUp or
// dailyRollUp response, because it has no list (§3.3).
const SourceTotalCalories = "total-calories"

// Sources returns the names Decode accepts, in a stable order: the
// kebab-case Google Health API data type ids ohx reads, then
// paired-devices. They are stable: `ohx convert --source` takes them and
// they are recorded as the provenance of published Bundles.
func Sources() []string {
	return []string{
		"heart-rate", "daily-resting-heart-rate", "heart-rate-variability", "daily-heart-rate-variability",
		"steps", "distance", "floors", "altitude", "active-energy-burned", SourceTotalCalories,
		"weight", "body-fat", "height", "oxygen-saturation", "daily-oxygen-saturation",
		"daily-respiratory-rate", "respiratory-rate-sleep-summary", "daily-sleep-temperature-derivations",
		"core-body-temperature", sourceSleep, sourceECG, "vo2-max", "daily-vo2-max", "run-vo2-max",
		SourcePairedDevices,
	}
}

// Decode turns one raw Google Health API response body into provider-neutral
// measurements or devices. source is one of Sources(). For a data type, body
// is a list response {"dataPoints":[…],"nextPageToken":"…"} (a reconcile
// response of the same shape is read too; for total-calories, which has no
// list, a rollUp or dailyRollUp response); for paired-devices it is a
// {"pairedDevices":[…]} response.
//
// Every failure is a *health.Error of kind health.KindBadProvider (an
// unknown source is health.KindInvalid) whose message names the source and
// the field or position, and never a health value. A failed decode returns
// no partial batch.
func Decode(source string, body []byte) (health.Batch, error) {
	switch source {
	case SourcePairedDevices:
		var page pairedDevicesPage
		if err := decodeObject(source, body, &page); err != nil {
			return health.Batch{}, err
		}
		return page.batch()
	case SourceTotalCalories, sourceSleep, sourceECG:
	default:
		if _, ok := scalarType(source); !ok {
			return health.Batch{}, health.Errorf(health.KindInvalid, "fitbit: unknown source %q", source)
		}
	}
	var page listPage
	if err := decodeObject(source, body, &page); err != nil {
		return health.Batch{}, err
	}
	c := newConverter(source)
	c.spec, _ = scalarType(source)
	if err := c.page(&page); err != nil {
		return health.Batch{}, err
	}
	return c.batch, nil
}

// converter holds what one conversion accumulates: the batch, the record
// identities already emitted (a page may repeat a point) and the zones made
// so far. It lives for one call only.
type converter struct {
	source string
	spec   scalarSpec // the source's mapping, for plain-value types
	batch  health.Batch
	seen   map[recordKey]bool
	zones  map[time.Duration]*time.Location
}

type recordKey struct {
	kind health.Kind
	id   string
}

func newConverter(source string) *converter {
	return &converter{
		source: source,
		batch:  health.Batch{Provider: health.ProviderFitbit, Source: source},
		seen:   map[recordKey]bool{},
		zones:  map[time.Duration]*time.Location{},
	}
}

// page converts a list (or, for total-calories, rollup) page.
func (c *converter) page(p *listPage) error {
	if c.source == SourceTotalCalories {
		if len(p.DataPoints) > 0 {
			return c.errorf("dataPoints", "total-calories has no list; expected a rollup response")
		}
		return c.rollups(p.RollupDataPoints)
	}
	if len(p.RollupDataPoints) > 0 {
		return c.errorf("rollupDataPoints", "rollup responses are not read for this data type; expected a list response")
	}
	c.batch.Measurements = slices.Grow(c.batch.Measurements, len(p.DataPoints))
	for i := range p.DataPoints {
		var err error
		switch c.source {
		case sourceSleep:
			err = c.sleep(i, &p.DataPoints[i])
		case sourceECG:
			err = c.ecg(i, &p.DataPoints[i])
		default:
			err = c.scalar(i, &p.DataPoints[i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// add appends m unless a measurement with the same kind and record id was
// already added; the first one wins, as the list is newest-first and a
// repeat carries nothing new.
func (c *converter) add(m health.Measurement) {
	k := recordKey{m.Kind, m.RecordID}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	m.Provider = health.ProviderFitbit
	c.batch.Measurements = append(c.batch.Measurements, m)
}

// errorf reports a malformed point or field at the position where, which
// names an index and field path and never a value.
func (c *converter) errorf(where, format string, args ...any) error {
	return health.Errorf(health.KindBadProvider, "fitbit %s: %s: %s", c.source, where, fmt.Sprintf(format, args...))
}

// at names point i, e.g. "dataPoints[3]".
func at(i int) string { return "dataPoints[" + itoa(i) + "]" }

func itoa(i int) string { return strconv.Itoa(i) }

// maxOffset bounds the UTC offsets ohx keeps, as RFC 3339 and FHIR do.
const maxOffset = 18 * time.Hour

// zone returns the fixed zone of a UTC offset, or UTC when the offset is
// absent, zero (historical ECG readings, §3.9), not whole minutes or out of
// range: a wrong offset is worse than none, and the instant stays right.
func (c *converter) zone(off Duration) *time.Location {
	d := off.V
	if !off.Set || d == 0 || d%time.Minute != 0 || d > maxOffset || d < -maxOffset {
		return time.UTC
	}
	if loc, ok := c.zones[d]; ok {
		return loc
	}
	loc := time.FixedZone("", int(d/time.Second))
	c.zones[d] = loc
	return loc
}

// instant returns a physical time in the zone of its offset.
func (c *converter) instant(t Timestamp, off Duration) time.Time {
	return t.V.In(c.zone(off))
}

// span resolves an interval: both ends are required and End is exclusive,
// so it must not be before Start. where names the interval.
func (c *converter) span(iv *interval, where string) (start, end time.Time, err error) {
	switch {
	case iv == nil:
		return start, end, c.errorf(where, "missing")
	case !iv.StartTime.Set:
		return start, end, c.errorf(where+".startTime", "missing")
	case !iv.EndTime.Set:
		return start, end, c.errorf(where+".endTime", "missing")
	case iv.EndTime.V.Before(iv.StartTime.V):
		return start, end, c.errorf(where, "endTime before startTime")
	}
	return c.instant(iv.StartTime, iv.StartUTCOffset), c.instant(iv.EndTime, iv.EndUTCOffset), nil
}

// civilDate formats a google.type.Date as YYYY-MM-DD, checking that it is a
// real calendar date.
func civilDate(d *date) (string, bool) {
	if d == nil || !d.Year.Set || !d.Month.Set || !d.Day.Set {
		return "", false
	}
	y, m, day := d.Year.V, d.Month.V, d.Day.V
	if y < 1 || y > 9999 || m < 1 || m > 12 || day < 1 || day > 31 {
		return "", false
	}
	t := time.Date(int(y), time.Month(m), int(day), 0, 0, 0, 0, time.UTC)
	if t.Day() != int(day) {
		return "", false // 31 April
	}
	return t.Format(time.DateOnly), true
}

// utcKey formats an instant for a synthetic record id: UTC, so that the same
// instant sent with another offset or precision gives the same id.
func utcKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// pointName returns the point's resource name: name on list points,
// dataPointName on reconciled ones.
func pointName(p *dataPoint) string {
	if p.Name != "" {
		return string(p.Name)
	}
	return string(p.DataPointName)
}

// syntheticID identifies a point of a type that has no resource name
// (§10.7: heart rate, steps and the daily types are not identifiable). It is
// built from the data type, the point's time key and its data source, never
// from its value, so a corrected value keeps its id, while two devices that
// report the same minute (list returns every source, §3.3) stay apart.
// Slashes and percent signs inside the parts are escaped so the parts
// cannot run together.
func syntheticID(source, timeKey string, ds *dataSource) string {
	id := source + "/" + timeKey
	platform, device, app := sourceParts(ds)
	if platform+device+app == "" {
		return id // reconciled points and rollups carry no source
	}
	// Trailing empty parts are dropped; the number of slashes in a data
	// type's time key is fixed, so the parts still read back unambiguously.
	id += "/" + escapeID(platform) + "/" + escapeID(device) + "/" + escapeID(app)
	return strings.TrimRight(id, "/")
}

// sourceParts names a data source by platform, device and writing app.
func sourceParts(ds *dataSource) (platform, device, app string) {
	if ds == nil {
		return "", "", ""
	}
	platform = string(ds.Platform)
	if d := ds.Device; d != nil {
		device = string(d.DisplayName)
		if device == "" {
			device = strings.TrimSpace(string(d.Manufacturer) + " " + string(d.FormFactor))
		}
	}
	if a := ds.Application; a != nil {
		app = string(a.PackageName)
		if app == "" {
			app = string(a.GoogleWebClientID)
		}
		if app == "" {
			app = string(a.WebClientID)
		}
	}
	return platform, device, app
}

var idEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

func escapeID(s string) string { return idEscaper.Replace(s) }

// origin tells device-measured from manually entered values (§5.1). DERIVED
// values (resting heart rate, sleep, daily aggregates) are computed from a
// device's measurements, so they count as device values when a device is
// named; UNKNOWN (Health Connect) and unspecified stay unknown.
func origin(ds *dataSource) health.Origin {
	if ds == nil {
		return health.OriginUnknown
	}
	switch m := strings.ToUpper(string(ds.RecordingMethod)); m {
	case "MANUAL", "MANUALLY_ENTERED", "MANUAL_ENTRY":
		return health.OriginManual
	case "PASSIVELY_MEASURED", "ACTIVELY_MEASURED":
		return health.OriginDevice
	case "DERIVED":
		if _, device, _ := sourceParts(ds); device != "" {
			return health.OriginDevice
		}
	}
	return health.OriginUnknown
}

// deviceModel is the model the data source names. Data points carry no
// device id (§5.1), so Measurement.Device stays empty: the displayName is
// free text and there is no documented join to a paired device (§5.2).
func deviceModel(ds *dataSource) string {
	if ds == nil || ds.Device == nil {
		return ""
	}
	return string(ds.Device.DisplayName)
}

// attribute sets the origin and device model of m from the point's source.
func attribute(m *health.Measurement, p *dataPoint) {
	m.Origin = origin(p.DataSource)
	m.DeviceModel = deviceModel(p.DataSource)
}
