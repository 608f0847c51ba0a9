package withings

import (
	"encoding/json"
)

// SleepPage is the body of a Sleep v2 get response: the sleep states of
// (at most about) one night, each with high-frequency series.
type SleepPage struct {
	Series []SleepSegment `json:"series"`
	// Model is the device model, sent at the body level too.
	Model  FlexString `json:"model"`
	More   FlexBool   `json:"more"`
	Offset FlexInt    `json:"offset"`
}

// SleepSegment is one sleep state from Startdate to Enddate (unix seconds).
// State is 0 awake, 1 light, 2 deep, 3 REM, 4 manual, 5 unspecified, 15 out
// of bed. Model is a name here ("Aura Sensor V2"), ModelID its number.
type SleepSegment struct {
	Startdate    FlexInt    `json:"startdate"`
	Enddate      FlexInt    `json:"enddate"`
	State        FlexInt    `json:"state"`
	Model        FlexString `json:"model"`
	ModelID      FlexInt    `json:"model_id"`
	DeviceID     FlexString `json:"deviceid"`
	HashDeviceID FlexString `json:"hash_deviceid"`

	// HR is heart rate in /min.
	HR EpochSeries `json:"hr"`
	// RR is RESPIRATORY rate in breaths/min, not R-R intervals.
	RR EpochSeries `json:"rr"`
	// Snoring is seconds of snoring per sample.
	Snoring EpochSeries `json:"snoring"`
	// SDNN1 and RMSSD are heart-rate variability in ms; kept apart.
	SDNN1 EpochSeries `json:"sdnn_1"`
	RMSSD EpochSeries `json:"rmssd"`
	// HRVQuality, MvtScore, ChestMovementRate, WithingsIndex and
	// BreathingSounds are decoded for completeness.
	HRVQuality        EpochSeries `json:"hrv_quality"`
	MvtScore          EpochSeries `json:"mvt_score"`
	ChestMovementRate EpochSeries `json:"chest_movement_rate"`
	WithingsIndex     EpochSeries `json:"withings_index"`
	BreathingSounds   EpochSeries `json:"breathing_sounds"`
}

// EpochSeries is a series of samples sorted by time. On the wire it is an
// object keyed by epoch-second strings; an empty one may arrive as [].
type EpochSeries []EpochSample

// EpochSample is one sample of an EpochSeries at Time (unix seconds).
type EpochSample struct {
	Time  int64
	Value float64
}

// UnmarshalJSON reads the object keyed by epoch strings. Samples whose value
// is null are dropped.
func (s *EpochSeries) UnmarshalJSON(data []byte) error {
	entries, err := decodeEpochObject[FlexFloat](data)
	if err != nil {
		return err
	}
	out := make(EpochSeries, 0, len(entries))
	for _, e := range entries {
		if e.v.Set {
			out = append(out, EpochSample{Time: e.t, Value: e.v.V})
		}
	}
	*s = out
	return nil
}

// DecodeSleepPage decodes a Sleep v2 get response (envelope or body).
func DecodeSleepPage(data []byte) (SleepPage, error) {
	var page SleepPage
	if err := decodeBody(SourceSleepGet, data, &page); err != nil {
		return SleepPage{}, err
	}
	return page, nil
}

// SleepSummaryPage is the body of a Sleep v2 getsummary response: one item
// per night.
type SleepSummaryPage struct {
	Series []SleepSummary `json:"series"`
	More   FlexBool       `json:"more"`
	Offset FlexInt        `json:"offset"`
}

// SleepSummary is one night. Model is an int here (16 tracker, 32 sleep
// monitor) and ModelID the device model. Data holds the summary fields as
// sent; they are read through a table because Withings adds fields often
// and sends -1 for "not available".
type SleepSummary struct {
	ID           FlexInt                    `json:"id"`
	Timezone     FlexString                 `json:"timezone"`
	Model        FlexString                 `json:"model"`
	ModelID      FlexInt                    `json:"model_id"`
	DeviceID     FlexString                 `json:"deviceid"`
	HashDeviceID FlexString                 `json:"hash_deviceid"`
	Startdate    FlexInt                    `json:"startdate"`
	Enddate      FlexInt                    `json:"enddate"`
	Date         FlexString                 `json:"date"`
	Created      FlexInt                    `json:"created"`
	Modified     FlexInt                    `json:"modified"`
	Completed    FlexBool                   `json:"completed"`
	Data         map[string]json.RawMessage `json:"data"`
}

// DecodeSleepSummaryPage decodes a Sleep v2 getsummary response (envelope or
// body).
func DecodeSleepSummaryPage(data []byte) (SleepSummaryPage, error) {
	var page SleepSummaryPage
	if err := decodeBody(SourceSleepGetsummary, data, &page); err != nil {
		return SleepSummaryPage{}, err
	}
	return page, nil
}

// number reads the summary field name as a number. It reports false when
// the field is absent, null, not a number, or the -1 "not available"
// sentinel.
func (s *SleepSummary) number(name string) (float64, bool) {
	raw, ok := s.Data[name]
	if !ok {
		return 0, false
	}
	var f FlexFloat
	if err := f.UnmarshalJSON(raw); err != nil || !f.Set || f.V == -1 {
		return 0, false
	}
	return f.V, true
}
