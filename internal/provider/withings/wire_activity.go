package withings

import (
	"bytes"
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
)

// ActivityPage is the body of one Measure v2 getactivity response: daily
// aggregates, one item per local day.
type ActivityPage struct {
	Activities []Activity `json:"activities"`
	More       FlexBool   `json:"more"`
	Offset     FlexInt    `json:"offset"`
}

// Activity is one day of activity totals, for the user's local Date in
// Timezone. Durations are in seconds, distance in metres, energy in kcal.
type Activity struct {
	Date         FlexString `json:"date"`
	Timezone     FlexString `json:"timezone"`
	DeviceID     FlexString `json:"deviceid"`
	HashDeviceID FlexString `json:"hash_deviceid"`
	// Brand is 1 for Withings and 18 for external sources such as Google Fit.
	Brand     FlexInt    `json:"brand"`
	IsTracker FlexBool   `json:"is_tracker"`
	Modified  FlexInt    `json:"modified"`
	Model     FlexString `json:"model"`
	ModelID   FlexInt    `json:"modelid"`

	Steps         FlexFloat `json:"steps"`
	Distance      FlexFloat `json:"distance"`
	Elevation     FlexFloat `json:"elevation"`
	Soft          FlexFloat `json:"soft"`
	Moderate      FlexFloat `json:"moderate"`
	Intense       FlexFloat `json:"intense"`
	Active        FlexFloat `json:"active"`
	Calories      FlexFloat `json:"calories"`
	TotalCalories FlexFloat `json:"totalcalories"`
	HRAverage     FlexFloat `json:"hr_average"`
	HRMin         FlexFloat `json:"hr_min"`
	HRMax         FlexFloat `json:"hr_max"`
	HRZone0       FlexFloat `json:"hr_zone_0"`
	HRZone1       FlexFloat `json:"hr_zone_1"`
	HRZone2       FlexFloat `json:"hr_zone_2"`
	HRZone3       FlexFloat `json:"hr_zone_3"`
}

// DecodeActivityPage decodes a getactivity response (envelope or body).
func DecodeActivityPage(data []byte) (ActivityPage, error) {
	var page ActivityPage
	if err := decodeBody(SourceGetactivity, data, &page); err != nil {
		return ActivityPage{}, err
	}
	return page, nil
}

// IntradayPage is the body of a Measure v2 getintradayactivity response.
// Withings returns at most the 24 hours after the requested startdate, so a
// client asks for longer ranges one day at a time.
type IntradayPage struct {
	Series IntradaySeries `json:"series"`
}

// IntradaySeries is the intraday series, sorted by time. On the wire it is
// an object keyed by epoch-second strings (an empty result may arrive as []).
type IntradaySeries []IntradayEntry

// IntradayEntry is one interval of intraday activity starting at Time (unix
// seconds) and lasting Duration seconds. Entries are sparse: a field is Set
// only when Withings sent it.
type IntradayEntry struct {
	Time int64 `json:"-"`

	Duration            FlexFloat  `json:"duration"`
	Steps               FlexFloat  `json:"steps"`
	Distance            FlexFloat  `json:"distance"`
	Elevation           FlexFloat  `json:"elevation"`
	Calories            FlexFloat  `json:"calories"`
	Stroke              FlexFloat  `json:"stroke"`
	PoolLap             FlexFloat  `json:"pool_lap"`
	HeartRate           FlexFloat  `json:"heart_rate"`
	SpO2Auto            FlexFloat  `json:"spo2_auto"`
	RMSSD               FlexFloat  `json:"rmssd"`
	SDNN1               FlexFloat  `json:"sdnn1"`
	HRVQuality          FlexFloat  `json:"hrv_quality"`
	CoreBodyTemperature FlexFloat  `json:"core_body_temperature"`
	RR                  FlexFloat  `json:"rr"`
	ChestMovementRate   FlexFloat  `json:"chest_movement_rate"`
	DeviceID            FlexString `json:"deviceid"`
	Model               FlexString `json:"model"`
	ModelID             FlexInt    `json:"model_id"`
}

// UnmarshalJSON reads the object keyed by epoch strings, or an empty array
// or null as an empty series.
func (s *IntradaySeries) UnmarshalJSON(data []byte) error {
	entries, err := decodeEpochObject[IntradayEntry](data)
	if err != nil {
		return err
	}
	out := make(IntradaySeries, len(entries))
	for i, e := range entries {
		out[i] = e.v
		out[i].Time = e.t
	}
	*s = out
	return nil
}

// DecodeIntradayPage decodes a getintradayactivity response (envelope or
// body).
func DecodeIntradayPage(data []byte) (IntradayPage, error) {
	var page IntradayPage
	if err := decodeBody(SourceGetintradayactivity, data, &page); err != nil {
		return IntradayPage{}, err
	}
	return page, nil
}

// epochEntry is one value of an object keyed by epoch-second strings.
type epochEntry[T any] struct {
	t int64
	v T
}

// decodeEpochObject reads a JSON object keyed by epoch-second strings into
// entries sorted by time. An empty array and null read as no entries: the
// Withings docs warn that an empty series may come back as [].
func decodeEpochObject[T any](data []byte) ([]epochEntry[T], error) {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		return nil, nil
	case len(data) > 0 && data[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil || len(list) > 0 {
			return nil, typeError("array", reflect.TypeFor[map[string]T]())
		}
		return nil, nil
	}
	var m map[string]T
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	out := make([]epochEntry[T], 0, len(m))
	for k, v := range m {
		t, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, typeError("key", reflect.TypeFor[int64]())
		}
		out = append(out, epochEntry[T]{t: t, v: v})
	}
	slices.SortFunc(out, func(a, b epochEntry[T]) int { return cmp.Compare(a.t, b.t) })
	return out, nil
}
