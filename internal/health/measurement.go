package health

import (
	"math"
	"time"
)

// Provider names a wearable data source. The strings are stable: they appear in
// URLs, configuration names, FHIR identifiers and metric labels.
type Provider string

// The providers ohx reads from. Fitbit data is read through the Google Health
// API, but patients and EHRs know it as Fitbit, so that is its name here.
const (
	ProviderWithings Provider = "withings"
	ProviderFitbit   Provider = "fitbit"
)

// Origin tells whether a value was measured by a device or typed in by a
// person; clinicians weigh the two differently, and FHIR records it.
type Origin string

// The origins ohx distinguishes. The zero value means the provider did not say.
const (
	OriginUnknown Origin = ""
	OriginDevice  Origin = "device"
	OriginManual  Origin = "manual"
)

// Batch is what a provider decoder returns for one API response: the
// measurements and the devices it described, plus where they came from so the
// mapping can record provenance.
type Batch struct {
	// Measurements are in the order the provider listed them.
	Measurements []Measurement
	// Devices are the devices the response described (e.g. Withings
	// getdevice); measurements refer to them by Device.ID.
	Devices []Device
	// Provider is the provider the response came from.
	Provider Provider
	// Source names the API call, e.g. "getmeas" or "heart-rate", and is
	// recorded as the provenance entity of the published Bundle.
	Source string
	// TimeZone is the user's IANA time zone when the response gave one.
	TimeZone string
}

// Measurement is one provider record: a single value, a structured value
// (blood pressure, sleep, ECG, rhythm classification) or a regular series of
// samples. Its identity (Provider, Kind, RecordID) is stable across
// corrections at the provider, so that re-publishing a corrected value
// updates the same FHIR resource instead of creating a second one.
type Measurement struct {
	// Kind says what was measured and fixes the unit of Value.
	Kind Kind
	// Provider is the provider the record came from.
	Provider Provider
	// RecordID identifies the record at the provider, unique for this user
	// within Provider and Kind, and never derived from the value. Withings
	// getmeas uses "<grpid>:<meastype>", Withings daily activity the civil
	// date, the Google Health API the data point name.
	RecordID string

	// Start is the measurement instant, or the start of the period when End
	// is set. It carries the user's UTC offset when the provider gave one
	// (time.FixedZone or a loaded location) and is in UTC otherwise.
	Start time.Time
	// End is the exclusive end of the period the value covers (an interval
	// of steps, a sleep session, a local day); zero for instants.
	End time.Time
	// Day is the user's civil date ("2006-01-02") for daily totals. When Day
	// is set and Start/End are zero, the value covers that whole local day.
	Day string
	// TimeZone is the user's IANA time zone name when known.
	TimeZone string
	// Modified is when the provider last changed the record, when known.
	Modified time.Time

	// Device is the provider's id of the device that took the measurement
	// (Device.ID); empty for manual entries and unknown devices.
	Device string
	// DeviceModel is the provider's model name, kept even when Device is
	// empty because some responses name the model but not the device.
	DeviceModel string
	// Origin says whether a device measured the value or a person entered it.
	Origin Origin

	// Value is the value in the kind's unit (see Kind.Unit). It is unused
	// when the kind has a structured payload below or when Series is set.
	Value float64

	// BloodPressure is set for KindBloodPressure.
	BloodPressure *BloodPressure
	// Sleep is set for KindSleep.
	Sleep *Sleep
	// ECG is set for KindECG.
	ECG *ECG
	// Rhythm is set for KindAFibPPG: the rhythm a PPG sensor classified.
	Rhythm *Classification
	// Series is set when the record is a regular series of samples of the
	// kind (e.g. one day of per-minute heart rate) instead of one value.
	Series *Series
}

// IsPeriod reports whether the measurement covers an interval (End set, or a
// whole civil day) rather than an instant.
func (m *Measurement) IsPeriod() bool {
	return !m.End.IsZero() || (m.Day != "" && m.Start.IsZero())
}

// BloodPressure is one cuff reading. Both pressures are in mm[Hg].
type BloodPressure struct {
	Systolic  float64
	Diastolic float64
	// Pulse is the heart rate the cuff took with the reading, in /min, or 0
	// when it took none. Decoders put it here and do not also emit a
	// separate KindHeartRate measurement for it: the mapping does that.
	Pulse float64
}

// Series is a regular series of samples starting at Start, one every
// Interval, in the kind's unit. A missing sample is NaN (see Gap), so a
// series keeps its timing without a timestamp per sample.
type Series struct {
	Start    time.Time
	Interval time.Duration
	Values   []float64
}

// Gap returns the value that marks a missing sample in a Series.
func Gap() float64 { return math.NaN() }

// IsGap reports whether v marks a missing sample.
func IsGap(v float64) bool { return math.IsNaN(v) }

// At returns the time of sample i.
func (s *Series) At(i int) time.Time {
	return s.Start.Add(time.Duration(i) * s.Interval)
}
